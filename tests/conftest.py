"""Shared fixtures: one small synthetic corpus, tokenizer and shard directory per test session.

Everything runs in-process (importing the stack costs ~10 s per process) and offline.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DS_ACCELERATOR", "cpu")

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARD_TOKENS = 20_000  # small, so the fixture data spans several shards


def made_once(name, build, tmp_path_factory):
    """`build(out)` into a fresh folder, or, where TINYLLM_TEST_FIXTURE_CACHE names a folder, into
    that folder's `name` the first time and reused after. scripts.mutation sets it: mutmut runs each
    mutant's tests in a new process, and the corpus and tokenizer (made by code that no mutated
    module is part of) would otherwise be rebuilt for every mutant, most of its time."""
    cache = os.environ.get("TINYLLM_TEST_FIXTURE_CACHE")
    if not cache:
        out = tmp_path_factory.mktemp(name) / name
        build(out)
        return out
    out = Path(cache) / name
    if not out.is_dir():
        made = tmp_path_factory.mktemp(name) / name
        build(made)
        Path(cache).mkdir(parents=True, exist_ok=True)
        staged = Path(cache) / f".{name}.{os.getpid()}"
        shutil.copytree(made, staged)
        try:
            staged.rename(out)  # atomic; a process that made it first wins
        except OSError:
            shutil.rmtree(staged)
    return out


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    from data_prep.synthetic import write_corpus

    return made_once("corpus", lambda out: write_corpus(out, seed=0, lang="en", train_stories=800, val_stories=80,
                                                          test_stories=40), tmp_path_factory)


@pytest.fixture(scope="session")
def tokenizer_dir(corpus_dir, tmp_path_factory):
    from data_prep.train_tokenizer import train_tokenizer

    return made_once("tokenizer", lambda out: train_tokenizer([str(corpus_dir / "stories_train.jsonl")], out,
                                                                vocab_size=512), tmp_path_factory)


@pytest.fixture(scope="session")
def data_dir(corpus_dir, tokenizer_dir, tmp_path_factory):
    from data_prep.pretokenize import pretokenize

    out = tmp_path_factory.mktemp("data") / "data"
    pretokenize([str(corpus_dir / "stories_train.jsonl")], out, tokenizer_dir,
                val=[str(corpus_dir / "stories_val.jsonl")], shard_tokens=SHARD_TOKENS, workers=2)
    return out


# A briefly pretrained tiny model, its SFT data and a briefly fine-tuned model, shared by the
# SFT, reward and DPO tests (~40 s together on 2 cores).

@pytest.fixture(scope="session")
def pretrained(data_dir, tmp_path_factory):
    from stages.pretrain import main as pretrain_main

    out = tmp_path_factory.mktemp("sft_base") / "ptm"
    pretrain_main([str(ROOT / "recipes" / "ptm_tiny.yaml"), f"data_dir={data_dir}", f"out_dir={out}", "seq_len=128",
                   "batch_size=16", "max_steps=150", "eval_every=0", "save_every=0", "log_every=50", "lr=3e-3",
                   "warmup_steps=10"])
    return out / "final"


@pytest.fixture(scope="session")
def sft_data(corpus_dir, tokenizer_dir, tmp_path_factory):
    from data_prep.sft import build_sft

    out = tmp_path_factory.mktemp("sft_data")
    build_sft([str(corpus_dir / "dialogues_train.jsonl")], out / "train.pkl", tokenizer_dir, max_len=768)
    build_sft([str(corpus_dir / "dialogues_val.jsonl")], out / "val.pkl", tokenizer_dir, max_len=768)
    return out


@pytest.fixture(scope="session")
def fine_tuned(pretrained, sft_data, tmp_path_factory):
    return sft(pretrained, sft_data, tmp_path_factory.mktemp("sft") / "run", "max_steps=60") / "final"


def sft(pretrained, sft_data, out_dir, *overrides):
    from stages.sft import main as sft_main

    sft_main([str(ROOT / "recipes" / "sft_tiny.yaml"), f"model={pretrained}", f"train_data={sft_data / 'train.pkl'}",
              f"val_data={sft_data / 'val.pkl'}", f"out_dir={out_dir}", "pack_len=768", "max_steps=40",
              "eval_every=20", "save_every=20", "log_every=10", *overrides])
    return out_dir


def copy_data(data_dir, tmp):
    """A copy of the session's shards to damage in one test."""
    out = tmp / "data"
    shutil.copytree(data_dir, out)
    return out


def read_jsonl(path, field="text"):
    return [json.loads(line)[field] for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


# Test tiers: `pytest` runs the suite (what CI runs, then `pytest -m quickstart` for the quickstart);
# `pytest -m "not e2e"` is the fast tier for day-to-day work. A test is e2e when it is slow, is the
# quickstart, or needs a trained model (the session's pretrained / fine-tuned fixtures, ~40 s to
# build); tests can also mark themselves e2e.
E2E_FIXTURES = {"pretrained", "fine_tuned"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("slow") or item.get_closest_marker("quickstart") or E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


LOCK_FILES = (".tinyllm.lock", ".tinyllm.lock.holder")  # a run's lock and who holds it


def run_in_process(module: str, argv) -> tuple[int, str, str]:
    """Run `python -m module argv` in this process as the CLI does: (exit status, stdout, stderr)."""
    import contextlib
    import importlib
    import io

    from tinyllm.errors import run_cli

    main = importlib.import_module(module).main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_cli(main, [str(a) for a in argv])
        except SystemExit as stop:
            code = stop.code or 0
    return code, out.getvalue(), err.getvalue()


def tree_hashes(*roots, locks: bool = False) -> dict[str, str]:
    """{path: sha256} of every file under `roots` (files or folders); the lock's own files, which say
    who holds it now, only with `locks`."""
    import hashlib

    found = {}
    for root in roots:
        root = Path(root)
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and (locks or path.name not in LOCK_FILES):
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
