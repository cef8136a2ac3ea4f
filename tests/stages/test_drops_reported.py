"""Nothing dropped or overridden without a word: epochs vs max_steps, and reward / DPO pairs
longer than max_length, counted in the start line, run.json and report.json."""

import json

import pytest

from conftest import ROOT
from tinyllm.errors import TinyLLMError
from tinyllm.step_budget import resolve_steps


def test_command_line_max_steps_beats_recipe_epochs():
    budget = resolve_steps("r.yaml", ["max_steps=10", "lr=1e-3"], epochs=2.0, max_steps=10, items=800, items_per_step=8)
    assert budget.max_steps == 10 and budget.steps_from.startswith("max_steps (command line")
    assert budget.note == "max_steps=10 from the command line replaces r.yaml's epochs: 2 (which would be 200 steps)"


def test_recipe_epochs_replace_max_steps_and_say_so():
    budget = resolve_steps("r.yaml", [], epochs=2.0, max_steps=1000, items=800, items_per_step=8)
    assert (budget.max_steps, budget.steps_from) == (200, "epochs")
    assert "epochs 2 over 800 samples = 200 steps; this replaces max_steps 1000" in budget.note
    assert resolve_steps("r.yaml", [], None, 7, 800, 8).max_steps == 7


def test_both_on_the_command_line_is_refused():
    with pytest.raises(TinyLLMError, match="both on the command line"):
        resolve_steps("r.yaml", ["epochs=1", "max_steps=5"], epochs=1.0, max_steps=5, items=80, items_per_step=8)


def test_sft_recipe_epochs_and_command_line_max_steps(pretrained, sft_data, tmp_path, capsys):
    from stages.sft import main as sft_main

    recipe = tmp_path / "sft_epochs.yaml"
    recipe.write_text((ROOT / "recipes" / "sft_tiny.yaml").read_text() + "epochs: 2\n")
    out = tmp_path / "run"
    sft_main([str(recipe), f"model={pretrained}", f"train_data={sft_data / 'train.pkl'}", "val_data=null", f"out_dir={out}",
              "max_steps=3", "pack_len=768", "eval_every=0", "save_every=0", "log_every=1"])
    printed = capsys.readouterr().out
    assert f"max_steps=3 from the command line replaces {recipe}'s epochs: 2" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["steps"] == 3 and report["steps_from"].startswith("max_steps (command line")
    assert json.loads((out / "run.json").read_text())["steps_from"] == report["steps_from"]


@pytest.fixture(scope="module")
def long_pref_data(tmp_path_factory):
    """30 short train pairs and 10 far over 192 tokens; 6 short held-out pairs and 4 long."""
    from data_prep.preference import build_preferences

    def pairs(n, long, tag):
        filler = " Then the little cat sat on the warm red mat by the door." * (40 if long else 0)
        return [{"prompt": f"Question {tag}{i}: what did the cat do?{filler}", "chosen": "The cat sat.",
                 "rejected": "The dog ran away."} for i in range(n)]

    tmp = tmp_path_factory.mktemp("longpref")
    (tmp / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pairs(30, False, "a") + pairs(10, True, "b")))
    (tmp / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pairs(6, False, "c") + pairs(4, True, "d")))
    build_preferences([str(tmp / "train.jsonl")], tmp / "pref", heldout=[str(tmp / "test.jsonl")])
    return tmp / "pref"


def test_reward_model_counts_over_length_pairs_and_scores_within_max_length(pretrained, long_pref_data, tmp_path,
                                                                            capsys):
    from stages.reward import main as reward_main

    out = tmp_path / "rm"
    reward_main([str(ROOT / "recipes" / "rm_tiny.yaml"), f"model={pretrained}", f"data={long_pref_data}",
                 f"out_dir={out}", "max_length=192", "max_steps=3", "train_pairs=null", "save_every=0", "log_every=1"])
    captured = capsys.readouterr()
    start = next(line for line in captured.out.splitlines() if line.startswith("reward model from"))
    assert "30 train (10 of 40 longer than max_length 192 left out" in start
    report = json.loads((out / "report.json").read_text())
    assert (report["train_pairs"], report["train_pairs_read"], report["train_pairs_too_long"]) == (30, 40, 10)
    assert (report["heldout_pairs"], report["heldout_pairs_too_long"]) == (6, 4)
    assert json.loads((out / "run.json").read_text())["train_pairs_too_long"] == 10
    assert "over 6 pairs (4 longer than max_length 192 left out)" in captured.out
    assert "scoring 10 held-out pairs at max_length 192 ..." in captured.out  # said before the (slow) scoring


def test_dpo_counts_cut_pairs_and_scores_within_max_length(pretrained, long_pref_data, tmp_path, capsys):
    from stages.dpo import main as dpo_main

    out = tmp_path / "dpo"
    dpo_main([str(ROOT / "recipes" / "dpo_tiny.yaml"), f"model={pretrained}", f"data={long_pref_data}",
              f"out_dir={out}", "max_length=192", "max_steps=2", "train_pairs=null", "save_every=0", "log_every=1",
              "eval_every=0"])
    printed = capsys.readouterr().out
    assert "max_length 192: 0 of 40 train pairs cut at the end, 10 dropped (prompt alone fills it)" in printed
    report = json.loads((out / "report.json").read_text())
    assert (report["train_pairs_truncated"], report["train_pairs_dropped"]) == (0, 10)
    assert (report["heldout_pairs"], report["heldout_pairs_dropped"]) == (6, 4)
