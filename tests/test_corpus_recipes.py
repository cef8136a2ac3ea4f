"""recipes/tinystories.sh and recipes/chinese.sh: offline on local copies unless the network is
allowed, the commands they run (DRY_RUN=1), one line when the data is missing, and (slow) a real
short run of each on tiny local files."""

import json
import os
import subprocess

import pytest

from conftest import ROOT


def recipe(name, *args, **env):
    full = {k: v for k, v in os.environ.items() if k not in ("ALLOW_NETWORK", "DRY_RUN", "TS_TRAIN", "ZH_TRAIN")}
    full.update({"PYTHONPATH": str(ROOT), **env})
    return subprocess.run(["bash", f"recipes/{name}", *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=900)


def test_tinystories_dry_run_offline_by_default_and_hub_only_when_allowed(tmp_path):
    local = recipe("tinystories.sh", "max_steps=20", DRY_RUN="1", TS_TRAIN="a.txt", TS_VAL="b.txt")
    assert local.returncode == 0, local.stderr
    assert "(offline)" in local.stderr and "hf:" not in local.stdout
    lines = local.stdout.splitlines()
    assert lines[0].startswith("python -m data_prep.train_tokenizer --source a.txt") and "--vocab-size 4096" in lines[0]
    assert "--train a.txt --val b.txt" in lines[1]
    assert lines[2].startswith("bash recipes/launch.sh pretrain ptm_9m.yaml") and lines[2].strip().endswith("max_steps=20")

    hub = recipe("tinystories.sh", DRY_RUN="1", ALLOW_NETWORK="1", SIZE="24m")
    assert hub.returncode == 0, hub.stderr
    assert "--train hf:roneneldan/TinyStories:train --val hf:roneneldan/TinyStories:validation" in hub.stdout
    assert "ptm_24m.yaml" in hub.stdout and "network allowed" in hub.stderr

    missing = recipe("tinystories.sh", OUT=str(tmp_path / "out"))  # no local copy, no network: one line
    assert missing.returncode == 2 and not (tmp_path / "out").exists()
    assert missing.stderr.strip().splitlines()[-1].startswith("error: data/TinyStories/TinyStories-train.txt not found")
    assert "ALLOW_NETWORK=1" in missing.stderr and "Traceback" not in missing.stderr


def test_chinese_dry_run_trains_a_chinese_sized_tokenizer_or_uses_the_one_given(tmp_path):
    trained = recipe("chinese.sh", DRY_RUN="1", ZH_TRAIN="zh.jsonl", FIELD="paragraphs")
    assert trained.returncode == 0, trained.stderr
    assert "--vocab-size 16384" in trained.stdout and "--field paragraphs" in trained.stdout
    assert "ptm_24m.yaml" in trained.stdout and "(offline)" in trained.stderr and "hf:" not in trained.stdout

    given = recipe("chinese.sh", DRY_RUN="1", ZH_TRAIN="zh.jsonl", TOKENIZER="tok/chatglm3")
    assert "train_tokenizer" not in given.stdout and "--tokenizer tok/chatglm3" in given.stdout

    hub = recipe("chinese.sh", DRY_RUN="1", ALLOW_NETWORK="1")
    assert "--train hf:pleisto/wikipedia-cn-20230720-filtered" in hub.stdout and "network allowed" in hub.stderr

    missing = recipe("chinese.sh")
    assert missing.returncode == 2 and missing.stderr.strip().startswith("error: no ZH_TRAIN")


@pytest.mark.slow
def test_both_recipes_run_on_tiny_local_files(tmp_path):
    from data_prep.synthetic import iter_stories

    stories = [s.text for s in iter_stories(0, "train", lang="en", n=400)]
    (tmp_path / "train.txt").write_text("\n<|endoftext|>\n".join(stories) + "\n")
    (tmp_path / "valid.txt").write_text("\n<|endoftext|>\n".join(stories[:20]) + "\n")
    poems = [{"paragraphs": s.text.split("\n\n")} for s in iter_stories(0, "train", lang="zh", n=400)]
    (tmp_path / "poems.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in poems))
    tiny = ("max_steps=2", "batch_size=2", "eval_windows=2", "save_every=0", "log_every=1")

    en = recipe("tinystories.sh", *tiny, TS_TRAIN=str(tmp_path / "train.txt"), TS_VAL=str(tmp_path / "valid.txt"),
                OUT=str(tmp_path / "en"), VOCAB="512", WORKERS="1")
    assert en.returncode == 0, en.stderr[-3000:]
    assert "pretokenize: " in en.stdout and "(400 docs)" in en.stdout
    assert (tmp_path / "en" / "ptm_9m" / "final" / "config.json").exists()
    assert "validation perplexity over 2 windows" in en.stdout and "260K 1.297" in en.stderr

    zh = recipe("chinese.sh", *tiny, ZH_TRAIN=str(tmp_path / "poems.jsonl"), FIELD="paragraphs", VOCAB="2048",
                SIZE="9m", OUT=str(tmp_path / "zh"), WORKERS="1")
    assert zh.returncode == 0, zh.stderr[-3000:]
    assert "for the floor of 1 docs / 16,384 tokens" in zh.stdout  # no ZH_VAL: the hold-out's floor
    assert (tmp_path / "zh" / "ptm_9m" / "final" / "config.json").exists()
