"""Reward model and DPO through TRL on the briefly fine-tuned tiny model: one chat template,
checkpoints that reload with the same scores, the reference model DPO really uses."""

import json

import pytest
import torch

from conftest import ROOT
from stages.dpo import main as dpo_main
from stages.reward import main as reward_main
from tinyllm.errors import TinyLLMError


@pytest.fixture(scope="module")
def pref_data(corpus_dir, tmp_path_factory):
    from data_prep.preference import build_preferences

    out = tmp_path_factory.mktemp("pref") / "pref"
    build_preferences([str(corpus_dir / "preferences_train.jsonl")], out, heldout=[str(corpus_dir / "preferences_val.jsonl")])
    return out


def run_reward(fine_tuned, pref_data, out_dir, *overrides):
    reward_main([str(ROOT / "recipes" / "rm_tiny.yaml"), f"model={fine_tuned}", f"data={pref_data}", f"out_dir={out_dir}",
                 "max_length=768", "max_steps=30", "save_every=30", "log_every=10", *overrides])
    return out_dir


def run_dpo(fine_tuned, pref_data, out_dir, *overrides):
    dpo_main([str(ROOT / "recipes" / "dpo_tiny.yaml"), f"model={fine_tuned}", f"data={pref_data}", f"out_dir={out_dir}",
              "max_length=768", "max_steps=30", "save_every=30", "log_every=5", "eval_pairs=40", *overrides])
    return out_dir


def logged_losses(run_dir):
    state = json.loads(next(run_dir.glob("checkpoint-*/trainer_state.json")).read_text())
    return {h["step"]: h["loss"] for h in state["log_history"] if "loss" in h}


def test_one_chat_template_across_sft_reward_and_dpo(fine_tuned, pref_data, tmp_path):
    """TRL's tokenization of a pair is SFT's rendering of the same conversation, token for token:
    the DPO prompt is what chat feeds the model, prompt + answer is the SFT sample, one BOS, no EOS."""
    from trl import DPOConfig, DPOTrainer, RewardConfig, RewardTrainer

    from stages.dpo import DPORecipe
    from stages.reward import load_reward_init
    from tinyllm.chat import prompt_ids
    from tinyllm.train_args import training_arguments
    from tinyllm.model import load_checkpoint
    from tinyllm.preference import load_preferences
    from tinyllm.sft_data import render

    pairs = load_preferences(pref_data, "test").select(range(3))
    model, tok = load_checkpoint(fine_tuned)
    ref, _ = load_checkpoint(fine_tuned)
    cfg = DPORecipe(out_dir=str(tmp_path / "o"), model=str(fine_tuned), data=str(pref_data), eval_every=0)
    dpo = DPOTrainer(model=model, ref_model=ref, args=training_arguments(cfg, "fp32", DPOConfig, max_length=None),
                     train_dataset=pairs, processing_class=tok)
    rm, _ = load_reward_init(str(fine_tuned), seed=0)
    reward = RewardTrainer(model=rm, args=training_arguments(cfg, "fp32", RewardConfig, max_length=None),
                           train_dataset=pairs, processing_class=tok)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    for pair, dpo_row, rm_row in zip(pairs, dpo.train_dataset, reward.train_dataset):
        for answer in ("chosen", "rejected"):
            ids, mask = render(tok, pair["prompt"] + pair[answer])
            assert dpo_row["prompt_ids"] == prompt_ids(tok, pair["prompt"])
            assert dpo_row["prompt_ids"] + dpo_row[f"{answer}_ids"] == ids == rm_row[f"{answer}_ids"]
            # The answer DPO scores is what SFT trains on (content + <|im_end|>) plus the turn's newline.
            assert [t for t, m in zip(ids, mask) if m] == dpo_row[f"{answer}_ids"][:-1]
            assert ids.count(tok.bos_token_id) == 1 and ids[0] == tok.bos_token_id
            assert tok.eos_token_id not in ids and ids.count(im_end) == 2


def test_reward_model_saves_its_score_head_and_scores(fine_tuned, pref_data, tmp_path, capsys):
    from safetensors.torch import load_file

    from stages.reward import load_reward_init
    from tinyllm.preference import load_preferences, load_reward_model, reward_accuracy, reward_scores

    run = run_reward(fine_tuned, pref_data, tmp_path / "rm")
    report = json.loads((run / "report.json").read_text())
    # Held-out pairs longer than max_length are left out of scoring as they are of training, and counted.
    assert report["heldout_pairs"] + report["heldout_pairs_too_long"] == 80 and 0 <= report["heldout_accuracy"] <= 1
    assert "score.weight" in load_file(run / "final" / "model.safetensors")
    model, tok = load_reward_model(run / "final")
    assert type(model).__name__ == "LlamaForSequenceClassification"
    assert model.config.pad_token_id == tok.pad_token_id and model.config.num_labels == 1
    pairs = list(load_preferences(pref_data, "test"))
    again = reward_accuracy(model, tok, pairs, max_length=768)
    # The reloaded checkpoint scores the held-out pairs exactly as the trained model did in memory.
    assert again["accuracy"] == report["heldout_accuracy"]
    assert again["mean_margin"] == pytest.approx(report["heldout_mean_margin"], abs=1e-5)
    fresh, _ = load_reward_init(str(fine_tuned), seed=1337)
    prompts, chosen = [p["prompt"] for p in pairs[:8]], [p["chosen"] for p in pairs[:8]]
    trained_scores = reward_scores(model, tok, prompts, chosen)
    assert max(abs(a - b) for a, b in zip(trained_scores, reward_scores(fresh, tok, prompts, chosen))) > 1e-3
    # Padding does not move a score: the head reads the last real token.
    alone = [reward_scores(model, tok, [p], [c])[0] for p, c in zip(prompts, chosen)]
    assert trained_scores == pytest.approx(alone, abs=1e-5)

    reward_main(["--score", str(run / "final"), "--prompt", "What is 2 plus 3?", "--response", "2 plus 3 is 5.",
                 "--response", "It is 7."])
    lines = capsys.readouterr().out.strip().splitlines()[-2:]
    assert lines[0].endswith("  2 plus 3 is 5.") and lines[1].endswith("  It is 7.")
    reward_main(["--score", str(run / "final"), "--data", str(pref_data), "--out", str(tmp_path / "s.json")])
    assert json.loads((tmp_path / "s.json").read_text())["accuracy"] == report["heldout_accuracy"]
    with pytest.raises(TinyLLMError, match="not a reward model"):
        reward_main(["--score", str(fine_tuned), "--data", str(pref_data)])


@pytest.fixture
def checkpoint_loads(monkeypatch):
    """How many times a stage loads a causal-LM checkpoint (the policy, plus a reference copy or not)."""
    import tinyllm.model

    calls = []
    original = tinyllm.model.load_checkpoint

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    # every module that imported the function by name (the stages, tinyllm.preference) calls the counting one
    import stages.dpo
    import stages.reward
    import tinyllm.preference

    for module in (tinyllm.model, tinyllm.preference, stages.dpo, stages.reward):
        if getattr(module, "load_checkpoint", None) is original:
            monkeypatch.setattr(module, "load_checkpoint", counting)
    return calls


def test_dpo_widens_the_held_out_margin_and_precomputed_reference_matches(fine_tuned, pref_data, tmp_path,
                                                                         checkpoint_loads):
    from tinyllm.model import load_checkpoint

    run = run_dpo(fine_tuned, pref_data, tmp_path / "dpo", "lr=2e-3")
    assert len(checkpoint_loads) == 2  # policy and a frozen reference copy
    report = json.loads((run / "report.json").read_text())
    # DPO raises log p(chosen) - log p(rejected) on pairs it never saw (by more than 0.2 nat in 30 steps at lr 2e-3).
    assert report["mean_logp_margin"] > report["sft_mean_logp_margin"] + 0.2, report
    assert report["heldout_reward_margin"] > 0
    model, _ = load_checkpoint(run / "final")
    assert type(model).__name__ == "LlamaForCausalLM" and not (run / "final" / "adapter_config.json").exists()

    checkpoint_loads.clear()
    pre = run_dpo(fine_tuned, pref_data, tmp_path / "pre", "lr=2e-3", "precompute_ref=true")
    assert len(checkpoint_loads) == 1  # no reference copy: its log-probs were computed before training
    a, b = logged_losses(run), logged_losses(pre)
    assert sorted(a) == sorted(b) == [5, 10, 15, 20, 25, 30]
    for step in a:
        assert abs(a[step] - b[step]) < 1e-4, (step, a[step], b[step])


def test_dpo_with_lora_keeps_no_reference_copy_and_merges(fine_tuned, pref_data, tmp_path, checkpoint_loads):
    from tinyllm.model import load_checkpoint
    from tinyllm.sft_data import render

    run = run_dpo(fine_tuned, pref_data, tmp_path / "lora", "lora=true", "lora_r=8", "lr=5e-3", "max_steps=10",
                  "save_every=10")
    assert len(checkpoint_loads) == 1  # the reference is the base model under the disabled adapter
    assert (run / "adapter" / "adapter_config.json").is_file()
    merged, tok = load_checkpoint(run / "final")
    base, _ = load_checkpoint(fine_tuned)
    ids = torch.tensor([render(tok, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}])[0]])
    with torch.no_grad():
        assert (merged(input_ids=ids).logits - base(input_ids=ids).logits).abs().max() > 1e-4


@pytest.mark.parametrize("stage, override, message", [
    ("dpo", "loss_type=bogus", "recipe key 'loss_type' must be one of sigmoid, hinge"),
    ("dpo", "beta=0", "recipe key 'beta' must be > 0"),
    ("dpo", "sft_weight=-1", "recipe key 'sft_weight' must be >= 0"),
    ("dpo", "data=NOWHERE", "nowhere: not a preference dataset"),
    ("reward", "data=NOWHERE", "nowhere: not a preference dataset"),
    ("reward", "model=NOWHERE", "nowhere: not a checkpoint directory"),
])
def test_bad_reward_and_dpo_recipes_are_refused(fine_tuned, pref_data, tmp_path, stage, override, message):
    run = run_dpo if stage == "dpo" else run_reward
    with pytest.raises(TinyLLMError, match=message):
        run(fine_tuned, pref_data, tmp_path / "x", override.replace("NOWHERE", str(tmp_path / "nowhere")))
    assert not (tmp_path / "x").exists()
