"""Shared fixtures: one small synthetic corpus, tokenizer and shard directory per test session.

Everything runs in-process (importing the stack costs ~10 s per process) and offline.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DS_ACCELERATOR", "cpu")

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARD_TOKENS = 20_000  # small, so the fixture data spans several shards


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    from data_prep.synthetic import write_corpus

    out = tmp_path_factory.mktemp("corpus") / "corpus"
    write_corpus(out, seed=0, lang="en", train_stories=800, val_stories=80, test_stories=40)
    return out


@pytest.fixture(scope="session")
def tokenizer_dir(corpus_dir, tmp_path_factory):
    from data_prep.train_tokenizer import train_tokenizer

    out = tmp_path_factory.mktemp("tok") / "tokenizer"
    train_tokenizer([str(corpus_dir / "stories_train.jsonl")], out, vocab_size=512)
    return out


@pytest.fixture(scope="session")
def data_dir(corpus_dir, tokenizer_dir, tmp_path_factory):
    from data_prep.pretokenize import pretokenize

    out = tmp_path_factory.mktemp("data") / "data"
    pretokenize([str(corpus_dir / "stories_train.jsonl")], out, tokenizer_dir,
                val=[str(corpus_dir / "stories_val.jsonl")], shard_tokens=SHARD_TOKENS, workers=2)
    return out


def read_jsonl(path, field="text"):
    return [json.loads(line)[field] for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
