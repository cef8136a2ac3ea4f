"""Pretokenized shards: they decode back to the source, windows are right across shard boundaries,
and every inconsistency between shards, meta.json and tokenizer is refused by name."""

import json

import numpy as np
import pytest

from conftest import SHARD_TOKENS, copy_data, read_jsonl
from tinyllm.errors import TinyLLMError
from tinyllm.shards import TokenStream, WindowDataset, check_tokenizer, read_meta
from tinyllm.tokenizer import load_tokenizer


def all_tokens(data_dir, split):
    meta = read_meta(data_dir)
    return np.concatenate([np.fromfile(data_dir / s["file"], dtype=meta["dtype"]) for s in meta["splits"][split]["shards"]])


def test_shards_decode_back_to_source_documents(data_dir, corpus_dir, tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    for split in ("train", "val"):
        tokens = all_tokens(data_dir, split).astype(np.int64)
        starts = np.flatnonzero(tokens == tok.bos_token_id)
        docs = [tok.decode(doc[1:-1]) for doc in np.split(tokens, starts[1:])]
        assert all(doc_tokens[-1] == tok.eos_token_id for doc_tokens in np.split(tokens, starts[1:]))
        assert docs == read_jsonl(corpus_dir / f"stories_{split}.jsonl")


def test_meta_counts_match_files(data_dir, corpus_dir):
    meta = read_meta(data_dir)
    train = meta["splits"]["train"]
    assert meta["dtype"] == "uint16" and meta["vocab_size"] == 512
    assert len(train["shards"]) >= 3, "fixture should span several shards"
    assert all(s["tokens"] == SHARD_TOKENS for s in train["shards"][:-1])
    assert train["documents"] == len(read_jsonl(corpus_dir / "stories_train.jsonl"))
    assert sum(s["documents"] for s in train["shards"]) == train["documents"]
    for shard in train["shards"]:
        assert (data_dir / shard["file"]).stat().st_size == 2 * shard["tokens"]


def test_windows_are_exact_across_shard_boundaries(data_dir):
    flat = all_tokens(data_dir, "train").astype(np.int64)
    seq_len = 97  # odd on purpose: windows start at arbitrary offsets inside shards
    ds = WindowDataset(TokenStream(data_dir, "train"), seq_len)
    assert ds.n_windows == len(flat) // (seq_len + 1)
    crossing = 0
    for i in range(len(ds)):
        item = ds[i]
        start = i * (seq_len + 1)
        window = flat[start:start + seq_len + 1]
        assert item["input_ids"].tolist() == window[:-1].tolist()
        assert item["labels"].tolist() == window[1:].tolist() == item["shift_labels"].tolist()
        crossing += start // SHARD_TOKENS != (start + seq_len) // SHARD_TOKENS
    assert crossing >= 2, "some windows must straddle a shard boundary"



def test_truncated_shard_is_refused(data_dir, tmp_path):
    bad = copy_data(data_dir, tmp_path)
    with open(bad / "train_001.bin", "ab") as f:
        f.write(b"\x00")
    with pytest.raises(TinyLLMError, match=r"train_001.bin: size \d+ bytes is not a multiple of 2 \(uint16\)"):
        TokenStream(bad, "train")


def test_token_id_beyond_vocab_is_refused(data_dir, tmp_path):
    bad = copy_data(data_dir, tmp_path)
    shard = np.memmap(bad / "train_002.bin", dtype=np.uint16, mode="r+")
    shard[5] = 600
    shard.flush()
    del shard
    with pytest.raises(TinyLLMError, match="train_002.bin: token id 600 >= vocab size 512"):
        TokenStream(bad, "train")


def test_meta_mismatching_the_tokenizer_is_refused(data_dir, tokenizer_dir, tmp_path):
    tok = load_tokenizer(tokenizer_dir)
    bad = copy_data(data_dir, tmp_path)
    meta = json.loads((bad / "meta.json").read_text())
    meta["vocab_size"] = 4096
    (bad / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(TinyLLMError, match="meta.json: vocab size 4096 does not match the tokenizer's 512"):
        check_tokenizer(read_meta(bad), bad, tok)
    meta["vocab_size"], meta["tokenizer_fingerprint"] = 512, "0123456789abcdef"
    (bad / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(TinyLLMError, match="meta.json: tokenizer fingerprint 0123456789abcdef does not match"):
        check_tokenizer(read_meta(bad), bad, tok)


def test_missing_meta_or_shard_is_refused(data_dir, tmp_path):
    with pytest.raises(TinyLLMError, match="data directory not found"):
        read_meta(tmp_path / "nowhere")
    bad = copy_data(data_dir, tmp_path)
    (bad / "val_000.bin").unlink()
    with pytest.raises(TinyLLMError, match="val_000.bin: shard listed in meta.json is missing"):
        TokenStream(bad, "val")
    (bad / "meta.json").unlink()
    with pytest.raises(TinyLLMError, match="meta.json: not found"):
        read_meta(bad)


def test_seq_len_longer_than_data_is_refused(data_dir):
    stream = TokenStream(data_dir, "val")
    with pytest.raises(TinyLLMError, match=r"the val split has \d+ tokens, fewer than one window"):
        WindowDataset(stream, len(stream) + 5, split_name="val")
