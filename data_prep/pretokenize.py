"""Tokenize documents into memmapped `.bin` shards plus `meta.json` (see tinyllm/shards.py).

    python -m data_prep.pretokenize --tokenizer runs/tokenizer --train runs/corpus/stories_train.jsonl \
        --val runs/corpus/stories_val.jsonl --out runs/data

Each document is written as <s> text </s>. Without --val, a --val-fraction of documents (chosen
by a hash of their text, so duplicates never straddle the split) is held out, and at least a floor
of --val-min-docs documents and --val-min-tokens tokens: while the hashed share is below it, further
documents are held out as they come (never more than 10 % of the tokens read so far), and the
summary line counts them. Documents stream
through a pool of worker processes in chunks, in order, so output is deterministic and memory
stays bounded. The output directory appears only when complete.
"""

import argparse
import itertools
import os
import time
import zlib
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm import tqdm

from data_prep.sources import SourceStats, iter_documents, txt_layout_note
from tinyllm import patches
from tinyllm.atomic import atomic_dir, write_json
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.ownership import check_replaceable
from tinyllm.shards import FORMAT, VERSION, dtype_for_vocab
from tinyllm.tokenizer import encode_document, fingerprint, load_tokenizer

_worker_tok = None
VAL_MIN_DOCS = 1
VAL_MIN_TOKENS = 16_384     # 64 validation windows of 256 tokens: a loss that moves by noise, not by 4 windows
FLOOR_MAX_SHARE = 0.10      # the floor never holds out more than this share of the tokens read so far


def _init_worker(tokenizer_dir: str) -> None:
    global _worker_tok
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # parallelism comes from the process pool

    _worker_tok = load_tokenizer(tokenizer_dir)


def _encode_chunk(chunk: list[tuple[str, str]]) -> list[tuple[str, np.ndarray]]:
    return [(split, np.asarray(encode_document(_worker_tok, text), dtype=np.int64)) for split, text in chunk]


class ShardWriter:
    """Appends documents to `{split}_{i:03d}.bin`, starting a new shard every `shard_tokens`."""

    def __init__(self, out_dir: Path, split: str, dtype: str, shard_tokens: int):
        self.out_dir, self.split, self.dtype, self.shard_tokens = out_dir, split, np.dtype(dtype), shard_tokens
        self.shards: list[dict] = []
        self._file = None

    def _open_next(self):
        if self._file:
            self._file.close()
        name = f"{self.split}_{len(self.shards):03d}.bin"
        self.shards.append({"file": name, "tokens": 0, "documents": 0})
        self._file = open(self.out_dir / name, "wb")

    def write(self, ids: np.ndarray) -> None:
        first = True
        while len(ids):
            if self._file is None or self.shards[-1]["tokens"] >= self.shard_tokens:
                self._open_next()
            shard = self.shards[-1]
            take = min(len(ids), self.shard_tokens - shard["tokens"])
            self._file.write(ids[:take].astype(self.dtype).tobytes())
            shard["tokens"] += take
            shard["documents"] += int(first)  # a document belongs to the shard it starts in
            ids, first = ids[take:], False

    def close(self) -> dict:
        if self._file:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        return {"tokens": sum(s["tokens"] for s in self.shards),
                "documents": sum(s["documents"] for s in self.shards), "shards": self.shards}


def _is_val(text: str, val_fraction: float) -> bool:
    return zlib.crc32(text.encode("utf-8")) % 1_000_000 < val_fraction * 1_000_000


def _labelled(train_docs, val_docs, val_fraction):
    """(split, text) pairs: val sources first when given, otherwise a hashed held-out fraction
    ("train" documents may still be held out for the floor, by ValFloor, once their length is known)."""
    if val_docs is not None:
        yield from (("val", t) for t in val_docs)
        yield from (("train", t) for t in train_docs)
    else:
        for text in train_docs:
            yield ("val" if _is_val(text, val_fraction) else "train"), text


class ValFloor:
    """Holds out further documents, in order, while the validation split is below the floor."""

    def __init__(self, min_docs: int, min_tokens: int):
        self.min_docs, self.min_tokens = min_docs, min_tokens
        self.tokens = {"train": 0, "val": 0}
        self.docs = {"train": 0, "val": 0}
        self.added_docs = self.added_tokens = 0

    def split(self, hashed: str, n_tokens: int) -> str:
        below = self.docs["val"] < self.min_docs or self.tokens["val"] < self.min_tokens
        # "<=" lets the very first document through; after that the floor keeps to FLOOR_MAX_SHARE.
        share_ok = self.tokens["val"] <= FLOOR_MAX_SHARE * (self.tokens["train"] + self.tokens["val"])
        split = "val" if hashed == "val" or (below and share_ok) else "train"
        if split == "val" and hashed == "train":
            self.added_docs += 1
            self.added_tokens += n_tokens
        self.tokens[split] += n_tokens
        self.docs[split] += 1
        return split


def _chunks(items, size):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def pretokenize(train, out_dir, tokenizer_dir, val=None, val_fraction=0.005, shard_tokens=100_000_000,
                workers=None, field=None, skip_bad=False, overwrite=False, chunk_docs=256,
                val_min_docs=VAL_MIN_DOCS, val_min_tokens=VAL_MIN_TOKENS):
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise TinyLLMError(f"{out_dir}: already exists (pass --overwrite to replace it)")
    check_replaceable(out_dir, {"train": train, "val": val, "tokenizer": tokenizer_dir}, "--out", "--overwrite")
    tok = load_tokenizer(tokenizer_dir)
    dtype = dtype_for_vocab(len(tok))
    stats = {"train": SourceStats(), "val": SourceStats()}
    train_docs = iter_documents(train, field=field, skip_bad=skip_bad, stats=stats["train"])
    val_docs = iter_documents(val, field=field, skip_bad=skip_bad, stats=stats["val"]) if val else None
    workers = workers or os.cpu_count() or 1
    start = time.time()
    with atomic_dir(out_dir, overwrite=overwrite, owner="token shards") as tmp:
        writers = {s: ShardWriter(tmp, s, dtype, shard_tokens) for s in ("train", "val")}
        chunks = _chunks(_labelled(train_docs, val_docs, val_fraction), chunk_docs)
        pool = get_context("fork").Pool(workers, _init_worker, (str(tokenizer_dir),)) if workers > 1 else None
        if pool is None:
            _init_worker(str(tokenizer_dir))
        encoded = pool.imap(_encode_chunk, chunks) if pool else map(_encode_chunk, chunks)
        total = 0
        floor = ValFloor(val_min_docs, val_min_tokens) if val is None else None
        try:
            with tqdm(desc="pretokenize", unit=" tok", unit_scale=True, disable=None) as bar:
                for chunk in encoded:
                    for split, ids in chunk:
                        split = floor.split(split, len(ids)) if floor else split
                        writers[split].write(ids)
                        total += len(ids)
                        bar.update(len(ids))
        finally:
            if pool:
                pool.terminate()
        splits = {s: w.close() for s, w in writers.items()}
        if splits["train"]["documents"] + splits["val"]["documents"] == 0:
            raise TinyLLMError(f"{', '.join(train)}: no documents found (empty corpus)")
        if splits["train"]["documents"] == 0:
            raise TinyLLMError(f"{', '.join(train)}: no training documents left after holding out validation")
        if splits["val"]["documents"] == 0:
            raise TinyLLMError(f"{', '.join(val or train)}: no validation documents "
                               f"(give --val, or a larger corpus / --val-fraction)")
        seconds = time.time() - start
        meta = {
            "format": FORMAT, "version": VERSION, "dtype": dtype, "vocab_size": len(tok),
            "bos_id": tok.bos_token_id, "eos_id": tok.eos_token_id, "pad_id": tok.pad_token_id,
            "tokenizer": str(tokenizer_dir), "tokenizer_fingerprint": fingerprint(tok),
            "sources": {"train": list(train), "val": list(val) if val else f"held out: {val_fraction} of train"},
            "val_floor": None if floor is None else {
                "min_documents": val_min_docs, "min_tokens": val_min_tokens,
                "documents_added": floor.added_docs, "tokens_added": floor.added_tokens},
            "skipped_bad_records": stats["train"].skipped + stats["val"].skipped,
            "paragraph_split_files": {**stats["train"].paragraph_files, **stats["val"].paragraph_files},
            "line_split_files": {**stats["train"].line_files, **stats["val"].line_files},
            "splits": splits, "seconds": round(seconds, 2), "tokens_per_second": round(total / max(seconds, 1e-9)),
        }
        write_json(tmp / "meta.json", meta)
    skipped = meta["skipped_bad_records"]
    if floor is None:
        held = "from --val"
    else:
        held = (f"{splits['val']['documents'] - floor.added_docs:,} hashed at {val_fraction:g}"
                f" + {floor.added_docs:,} ({floor.added_tokens:,} tokens) for the floor of "
                f"{val_min_docs:,} docs / {val_min_tokens:,} tokens")
    print(f"pretokenize: {splits['train']['tokens']:,} train tokens ({splits['train']['documents']:,} docs), "
          f"{splits['val']['tokens']:,} val tokens ({splits['val']['documents']:,} docs: {held}), {dtype}, "
          f"{meta['tokens_per_second']:,} tok/s with {workers} worker(s)"
          + (f", {skipped} bad record(s) skipped, first: {stats['train'].first_skip or stats['val'].first_skip}" if skipped else "")
          + f" -> {out_dir}")
    note = txt_layout_note([stats["train"], stats["val"]])
    if note:
        print(note)
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True, help="tokenizer directory (data_prep.train_tokenizer)")
    parser.add_argument("--train", nargs="+", required=True,
                        help="training sources: files, globs, synthetic:SPLIT[:N[:SEED]], hf:NAME (see data_prep/sources.py)")
    parser.add_argument("--val", nargs="+", help="validation sources (default: hold out --val-fraction of train)")
    parser.add_argument("--val-fraction", type=float, default=0.005,
                        help="share of documents held out (by a hash of their text) when there is no --val")
    parser.add_argument("--val-min-docs", type=int, default=VAL_MIN_DOCS,
                        help=f"floor of held-out documents without --val (default {VAL_MIN_DOCS})")
    parser.add_argument("--val-min-tokens", type=int, default=VAL_MIN_TOKENS,
                        help=f"floor of held-out tokens without --val (default {VAL_MIN_TOKENS:,}: 64 windows of "
                        f"256); the floor takes documents in order, at most {FLOOR_MAX_SHARE * 100:.0f} %% of the tokens read, and "
                        "the summary line counts them")
    parser.add_argument("--out", required=True, help="output data directory")
    parser.add_argument("--shard-tokens", type=int, default=100_000_000, help="tokens per shard file")
    parser.add_argument("--workers", type=int, default=None, help="tokenizer processes (default: all cores)")
    parser.add_argument("--field", help="JSON field holding the text (default: text/story/completion/content)")
    parser.add_argument("--skip-bad", action="store_true", help="skip and count bad records instead of stopping")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    args = parser.parse_args(argv)
    patches.apply()  # quiet third-party warnings (TINYLLM_VERBOSE=1 shows them); forked workers inherit it
    if not 0 <= args.val_fraction < 1:
        raise TinyLLMError("--val-fraction must be in [0, 1)")
    if args.val_min_docs < 0 or args.val_min_tokens < 0:
        raise TinyLLMError("--val-min-docs and --val-min-tokens must not be negative")
    if args.shard_tokens < 1:
        raise TinyLLMError("--shard-tokens must be positive")
    pretokenize(args.train, args.out, args.tokenizer, args.val, args.val_fraction, args.shard_tokens,
                args.workers, args.field, args.skip_bad, args.overwrite,
                val_min_docs=args.val_min_docs, val_min_tokens=args.val_min_tokens)


if __name__ == "__main__":
    run_cli(main)
