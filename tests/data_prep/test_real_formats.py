"""Data as people ship it: small files in each real layout (compressed, nested, LLaMA-Factory,
hh-rlhf), each loaded, with the counts of the summary line asserted."""

import bz2
import gzip
import json
import lzma
import sys

import pytest

from data_prep.preference import build_preferences
from data_prep.pretokenize import pretokenize
from data_prep.sft import build_sft
from data_prep.sources import SourceStats, iter_documents
from tinyllm.errors import TinyLLMError
from tinyllm.preference import load_preferences
from tinyllm.sft_data import load_sft
from tinyllm.tokenizer import load_tokenizer


def zstd_compress(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress, ".zst": zstd_compress}


def write(path, text: str):
    """Write `text` to `path`, compressed by its last suffix if that is a compression."""
    data = text.encode("utf-8")
    compress = COMPRESSORS.get(path.suffix)
    path.write_bytes(compress(data) if compress else data)
    return str(path)


def jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# --- Pretraining sources: compression, nested JSON, .txt without separators ----------------------

POEMS = [{"title": "春晓", "author": "孟浩然", "paragraphs": ["春眠不觉晓，处处闻啼鸟。", "夜来风雨声，花落知多少。"]},
         {"title": "静夜思", "author": "李白", "paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]}]


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz", ".zst"])
def test_compressed_jsonl_streams_the_same_documents(tmp_path, suffix):
    records = [{"text": f"Story number {i}."} for i in range(50)]
    path = write(tmp_path / f"stories.jsonl{suffix}", jsonl(records))
    assert list(iter_documents(path)) == [r["text"] for r in records]
    json_path = write(tmp_path / f"stories.json{suffix}", json.dumps(records))
    assert list(iter_documents(json_path)) == [r["text"] for r in records]


def test_damaged_compressed_file_is_one_line(tmp_path):
    data = gzip.compress(jsonl([{"text": "x" * 5000}] * 200).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TinyLLMError, match=r"cut.jsonl.gz: damaged .gz data"):
        list(iter_documents(str(path)))


def test_zst_without_the_package_says_what_to_install(tmp_path, monkeypatch):
    path = write(tmp_path / "a.jsonl.zst", jsonl([{"text": "hi"}]))
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if not installed
    with pytest.raises(TinyLLMError, match=r"a.jsonl.zst: reading .zst needs the zstandard package \(pip install"):
        list(iter_documents(path))


@pytest.mark.parametrize("layout,field", [("flat", "paragraphs"), ("nested", "content.paragraphs")])
def test_nested_poetry_json_field_path_joins_lists(tmp_path, layout, field):
    records = POEMS if layout == "flat" else [{"id": i, "content": p} for i, p in enumerate(POEMS)]
    path = write(tmp_path / "poet.tang.json.gz", json.dumps(records, ensure_ascii=False))
    stats = SourceStats()
    docs = list(iter_documents(path, field=field, stats=stats))
    assert stats.documents == 2
    assert docs[0] == "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"


def test_field_path_errors_name_the_record_and_path(tmp_path):
    path = write(tmp_path / "p.jsonl", jsonl([{"content": {"paragraphs": ["a"]}}, {"content": {"body": "b"}}]))
    with pytest.raises(TinyLLMError, match=r"p.jsonl:2: no field 'content.paragraphs' \(fields: body\)"):
        list(iter_documents(path, field="content.paragraphs"))


def test_pretokenize_nested_gz_and_txt_without_separator(tokenizer_dir, tmp_path, capsys):
    poems = write(tmp_path / "poems.jsonl.gz", jsonl([{"content": {"paragraphs": ["Mia ran.", "Tom sat."]}}] * 40))
    txt = write(tmp_path / "notes.txt.bz2", "\n\n".join(f"Paragraph {i} about a cat." for i in range(30)) + "\n")
    meta = pretokenize([poems, txt], tmp_path / "shards", tokenizer_dir, val_fraction=0.2, workers=1,
                       field="content.paragraphs")
    line = capsys.readouterr().out
    docs = meta["splits"]["train"]["documents"] + meta["splits"]["val"]["documents"]
    assert docs == 70  # 40 poems + 30 paragraphs
    assert f"({meta['splits']['train']['documents']:,} docs)" in line
    assert "note: 1 .txt file(s) without a '<|endoftext|>' line, so each blank-line paragraph is a document" in line
    assert meta["paragraph_split_files"] == {txt: 30}


# --- SFT: LLaMA-Factory alpaca with history, sharegpt, OpenAI messages ---------------------------

ALPACA_HISTORY = [
    {"instruction": "And the dog?", "input": "", "output": "The dog was brown.", "system": "Be brief.",
     "history": [["What colour was the cat?", "The cat was black."], ["And the bird?", "The bird was blue."]]},
    {"instruction": "Name a fruit.", "input": "", "output": "An apple.", "history": []},
    {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5.",
     "history": [["Can you count?", "Yes."]]},
]


def test_alpaca_history_and_system_are_kept_and_counted(tokenizer_dir, tmp_path, capsys):
    path = write(tmp_path / "lima.json.gz", json.dumps(ALPACA_HISTORY))
    header = build_sft([path], tmp_path / "sft.pkl", tokenizer_dir, max_len=4096)
    line = capsys.readouterr().out
    assert "3 samples from 3 conversations (3 alpaca; 2 multi-turn)" in line
    assert header["multi_turn"] == 2 and header["layouts"] == {"alpaca": 3}
    tok = load_tokenizer(tokenizer_dir)
    first = tok.decode(load_sft(tmp_path / "sft.pkl")["samples"][0]["input_ids"])
    for text in ("Be brief.", "What colour was the cat?", "The cat was black.", "The bird was blue.", "The dog was brown."):
        assert text in first


def test_sharegpt_and_openai_role_spellings(tokenizer_dir, tmp_path, capsys):
    records = [
        {"conversations": [{"from": "human", "value": "Hi."}, {"from": "gpt", "value": "Hello."},
                           {"from": "human", "value": "Bye."}, {"from": "gpt", "value": "Goodbye."}],
         "system": "Be kind."},
        {"conversations": [{"from": "user", "value": "Hi."}, {"from": "assistant", "value": "Hey."}]},
        {"messages": [{"role": "system", "content": "Short answers."}, {"role": "user", "content": "Sky?"},
                      {"role": "assistant", "content": "Blue."}]},
        {"messages": [{"from": "prompter", "value": "Grass?"}, {"from": "bot", "value": "Green."}]},
    ]
    path = write(tmp_path / "chat.jsonl.xz", jsonl(records))
    header = build_sft([path], tmp_path / "sft.pkl", tokenizer_dir, max_len=4096)
    assert "4 samples from 4 conversations (2 messages, 2 sharegpt; 1 multi-turn)" in capsys.readouterr().out
    assert header["conversations"] == 4


def test_sft_warns_when_more_than_a_tenth_is_dropped(tokenizer_dir, tmp_path, capsys):
    records = [{"instruction": "Tell a story." + " Longer." * (60 if i < 3 else 0), "output": "Once."} for i in range(10)]
    path = write(tmp_path / "s.jsonl", jsonl(records))
    header = build_sft([path], tmp_path / "sft.pkl", tokenizer_dir, max_len=64)
    err = capsys.readouterr().err
    assert header["dropped_too_long"] == 3
    assert "warning: 3 of 10 conversations (30%) were dropped for length at max_len 64" in err


# --- Preference layouts --------------------------------------------------------------------------

def hh(*turns):
    return "".join(f"\n\n{role}: {text}" for role, text in turns)


def test_hh_rlhf_gzipped_as_shipped(tmp_path, capsys):
    records = [{"chosen": hh(("Human", f"Question {i}?"), ("Assistant", "A kind answer.")),
                "rejected": hh(("Human", f"Question {i}?"), ("Assistant", "A rude answer."))} for i in range(8)]
    records.append({"chosen": hh(("Human", "Hi"), ("Assistant", "Hello"), ("Human", "Help?"), ("Assistant", "Sure.")),
                    "rejected": hh(("Human", "Hi"), ("Assistant", "Hello"), ("Human", "Help?"), ("Assistant", "No."))})
    train = write(tmp_path / "train.jsonl.gz", jsonl(records))
    test = write(tmp_path / "test.jsonl.gz", jsonl(records[:2]))
    info = build_preferences([train], tmp_path / "pref", heldout=[test])
    line = capsys.readouterr().out
    assert "11 records -> 9 train and 2 held-out pairs (11 hh transcript; 1 multi-turn)" in line
    assert info["layouts"] == {"hh transcript": 11}


LF_SHAREGPT = [{"conversations": [{"from": "human", "value": "Hi."}, {"from": "gpt", "value": "Hello."},
                                  {"from": "human", "value": f"Name colour {i}."}],
                "chosen": {"from": "gpt", "value": "Red."}, "rejected": {"from": "gpt", "value": "I will not."}}
               for i in range(4)]
LF_ALPACA = [{"instruction": f"Pick a number {i}.", "input": "", "output": ["Seven.", "Banana."],
              "history": [["Are you ready?", "Yes."]] if i == 0 else []} for i in range(3)]
LF_RANKED = [{"instruction": "Best greeting?", "input": "", "output": ["Hello!", "Hi.", "Yo.", "..."]}]


@pytest.mark.parametrize("ranked,ranked_pairs", [("first-vs-last", 1), ("first-vs-each", 3)])
def test_llama_factory_preference_layouts(tmp_path, capsys, ranked, ranked_pairs):
    paths = [write(tmp_path / "dpo_en_demo.json", json.dumps(LF_SHAREGPT)),
             write(tmp_path / "oaast_rm_zh.json.bz2", json.dumps(LF_ALPACA + LF_RANKED, ensure_ascii=False))]
    info = build_preferences(paths, tmp_path / "pref", heldout_fraction=0.3, ranked=ranked)
    line = capsys.readouterr().out
    total = 4 + 3 + ranked_pairs
    assert info["train_pairs"] + info["test_pairs"] == total
    assert f"8 records -> {info['train_pairs']} train and {info['test_pairs']} held-out pairs " \
           f"(3 alpaca, {ranked_pairs} ranked, 4 sharegpt; 5 multi-turn)" in line
    data = load_preferences(tmp_path / "pref")
    pairs = list(data["train"]) + list(data["test"])
    lf = next(p for p in pairs if p["prompt"][-1]["content"] == "Name colour 0.")
    assert [m["role"] for m in lf["prompt"]] == ["user", "assistant", "user"]
    assert lf["chosen"][0]["content"] == "Red." and lf["rejected"][0]["content"] == "I will not."
    ranked_rejects = sorted(p["rejected"][0]["content"] for p in pairs if p["prompt"][-1]["content"] == "Best greeting?")
    assert ranked_rejects == (["..."] if ranked == "first-vs-last" else ["...", "Hi.", "Yo."])


def test_alpaca_preference_output_must_be_a_list(tmp_path):
    path = write(tmp_path / "p.jsonl", jsonl([{"instruction": "Q", "output": ["A"]}]))
    with pytest.raises(TinyLLMError, match=r"p.jsonl:1: alpaca preference 'output' must be a list"):
        build_preferences([path], tmp_path / "pref")


def test_readme_lists_every_layout_and_compression():
    from conftest import ROOT
    from data_prep.formats import RANKED_MODES, SFT_FORMATS
    from tinyllm.textio import COMPRESSIONS

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Your own data")[1].split("\n## ")[0]
    for name in (*SFT_FORMATS, *RANKED_MODES, *COMPRESSIONS, "LLaMA-Factory sharegpt", "LLaMA-Factory alpaca",
                 "hh-rlhf", "history", "nested JSON", ".parquet", "`.txt`"):
        assert name in section, name


def test_sft_max_len_defaults_to_the_checkpoint_context(tokenizer_dir, tmp_path):
    import shutil

    from data_prep.sft import default_max_len

    assert default_max_len(tokenizer_dir)[0] == 512
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tokenizer_dir, ckpt)
    (ckpt / "config.json").write_text(json.dumps({"max_position_embeddings": 2048}))
    assert default_max_len(ckpt) == (2048, f"the context of {ckpt}")
