"""Online RL (stages.grpo): the rewards as documented, bad input refused before anything is written,
stop/resume continuing the same data order, and the effect itself: on held-out questions the RL
model answers right more often than the SFT model it started from, by more than chance allows."""

import json
import math
import shutil

import pytest

from conftest import ROOT
from grpo_task import make_task, train_sft

ESTHER = [{"role": "user", "content": "Esther had 19 socks. She gave 1 to a friend. How many socks did Esther have left?"}]


@pytest.fixture(scope="module")
def task(tokenizer_dir, tmp_path_factory):
    return make_task(tmp_path_factory.mktemp("grpo_task"), tokenizer_dir)


def grpo(task, out_dir, *overrides, model=None):
    from stages.grpo import main

    return main([str(ROOT / "recipes" / "grpo_tiny.yaml"), f"model={model or task['base']}",
                 f"prompts={task['prompts']}", f"out_dir={out_dir}", *overrides])


# --- rewards ---

def test_rewards_score_hand_made_replies(tokenizer_dir):
    from tinyllm.generate import stop_ids
    from tinyllm.rewards import FormatReward, exact, total_rewards
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    stop = stop_ids(tok)[0]
    replies = {
        "right": "Esther had 18 socks left.",
        "wrong": "Esther had 17 socks left.",
        "wrong, contains the digits": "Esther had 118 socks left.",
        "right, rambling": "Let me think. She had 19 socks and gave 1 away. So she had 18 socks left.",
    }
    completions = [[{"role": "assistant", "content": r}] for r in replies.values()]
    assert exact([ESTHER] * 4, completions, answer=["18"] * 4) == [1.0, 0.0, 0.0, 1.0]
    assert exact([ESTHER], completions[:1], answer=[None]) == [0.0]  # no answer, nothing to check

    fmt = FormatReward(stop)
    ended = [tok.encode(r, add_special_tokens=False) + [stop] for r in replies.values()]
    # One sentence and <|im_end|>: 1; the rambling reply is three sentences: only the 0.5 for stopping.
    assert fmt([ESTHER] * 4, completions, completion_ids=ended) == [1.0, 1.0, 1.0, 0.5]
    cut = [tok.encode(replies["right"], add_special_tokens=False)]  # ran out of tokens: no <|im_end|>
    assert fmt([ESTHER], completions[:1], completion_ids=cut) == [0.5]

    records = [{"prompt": ESTHER, "answer": "18", "reference": None, "kind": "arithmetic", "id": i} for i in range(4)]
    totals = total_rewards([exact, fmt], [1.0, 0.2], records, list(replies.values()), ended)
    assert totals == pytest.approx([1.2, 0.2, 0.2, 1.1])


@pytest.fixture(scope="module")
def reward_model(task, tmp_path_factory):
    """A reward model with the policy's tokenizer (untrained head: only the plumbing is under test)."""
    from stages.reward import load_reward_init

    model, tok = load_reward_init(str(task["base"]), seed=0)
    out = tmp_path_factory.mktemp("rm") / "rm"
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out


def test_reward_model_reward_equals_score_cli(task, reward_model, tmp_path):
    from stages.reward import main as reward_main
    from tinyllm.rewards import RewardModelReward
    from tinyllm.tokenizer import load_tokenizer

    replies = ["Esther had 18 socks left.", "I like socks."]
    reward_main(["--score", str(reward_model), "--prompt", ESTHER[0]["content"], "--response", replies[0],
                 "--response", replies[1], "--out", str(tmp_path / "scores.json")])
    cli = json.loads((tmp_path / "scores.json").read_text())["scores"]
    rm = RewardModelReward(reward_model, load_tokenizer(task["base"]))
    got = rm([ESTHER, ESTHER], [[{"role": "assistant", "content": r}] for r in replies])
    assert got == pytest.approx([cli[r] for r in replies], abs=1e-6)
    assert got[0] != got[1]


# --- bad input: one line, nothing written ---

def test_bad_inputs_refused_in_one_line_before_anything_is_written(task, reward_model, corpus_dir, tmp_path, capsys):
    from data_prep.train_tokenizer import train_tokenizer
    from test_bad_inputs import cli

    def refused(*overrides) -> str:
        out = tmp_path / "run"
        message = cli("stages.grpo", [ROOT / "recipes" / "grpo_tiny.yaml", f"model={task['base']}",
                                      f"out_dir={out}", *overrides], capsys)
        assert not out.exists(), message
        return message

    no_answers = tmp_path / "no_answers"
    no_answers.mkdir()
    for split in ("train", "test"):
        records = [json.loads(line) for line in (task["prompts"] / f"{split}.jsonl").read_text().splitlines()]
        records[2]["answer"] = None
        (no_answers / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    message = refused(f"prompts={no_answers}", "rewards={exact: 1.0}")
    assert "train.jsonl:3" in message and "'answer'" in message
    # The same prompts are fine when nothing needs the answers.
    assert "custom" in refused(f"prompts={no_answers}", "rewards={format: 1.0, custom: 1.0}")

    message = refused(f"prompts={task['prompts']}", "rewards={custom: 1.0}", "reward_function=no_such_module_xyz:f")
    assert "reward_function" in message and "no_such_module_xyz" in message
    assert "has no function" in refused(f"prompts={task['prompts']}", "rewards={custom: 1.0}",
                                        "reward_function=grpo_task:no_such_function")

    other_tok = tmp_path / "other_tok"
    train_tokenizer([str(corpus_dir / "stories_val.jsonl")], other_tok, vocab_size=400)  # other ids
    foreign = tmp_path / "foreign_rm"
    shutil.copytree(reward_model, foreign)
    for f in foreign.glob("*token*"):
        f.unlink()
    shutil.copytree(other_tok, foreign, dirs_exist_ok=True)
    message = refused(f"prompts={task['prompts']}", "rewards={reward_model: 1.0}", f"reward_model={foreign}")
    assert "another tokenizer" in message


# --- stop / resume ---

def test_stop_and_resume_continue_the_same_data_order(task, tmp_path, monkeypatch):
    """A run stopped at step 2 and resumed sees the same prompts, in the same order, as one that never stopped."""
    quick = ["rewards={exact: 1.0, custom: 0.0}", "reward_function=grpo_task:record_ids", "max_steps=4",
             "batch_size=8", "num_generations=4", "max_completion_length=3", "eval_prompts=4", "save_every=2",
             "log_every=1"]

    def seen(path):
        return [line.split() for line in path.read_text().splitlines()]

    monkeypatch.setenv("GRPO_RECORD", str(tmp_path / "straight.txt"))
    grpo(task, tmp_path / "straight", *quick)
    monkeypatch.setenv("GRPO_RECORD", str(tmp_path / "resumed.txt"))
    grpo(task, tmp_path / "resumed", *quick, "stop_at_step=2")
    assert len(seen(tmp_path / "resumed.txt")) == 2 and not (tmp_path / "resumed" / "final").exists()
    grpo(task, tmp_path / "resumed", *quick, "resume=true")

    straight, resumed = seen(tmp_path / "straight.txt"), seen(tmp_path / "resumed.txt")
    assert len(straight) == 4 and resumed == straight
    report = json.loads((tmp_path / "resumed" / "report.json").read_text())
    assert report["steps"] == 4


def test_rloo_runs_through_the_same_stage(task, tmp_path):
    grpo(task, tmp_path / "rloo", "algorithm=rloo", "max_steps=2", "batch_size=8", "num_generations=4",
         "max_completion_length=3", "eval_prompts=4", "save_every=0", "log_every=1")
    report = json.loads((tmp_path / "rloo" / "report.json").read_text())
    assert report["algorithm"] == "rloo" and report["steps"] == 2 and report["heldout_prompts"] == 4
    assert (tmp_path / "rloo" / "final" / "model.safetensors").is_file()


# --- the effect ---

def wilson(rate: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a rate over n items (z = 1.96: each side 2.5 %); sound at 0 % and 100 % too."""
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.e2e
def test_rl_beats_the_sft_model_on_held_out_questions(task, tmp_path):
    """GRPO with the exact reward lifts held-out exact match above the SFT model's by more than chance allows.

    The SFT model learned mostly wrong replies (tests/stages/grpo_task.py): greedily it answers wrong. The claim
    "RL's rate > SFT's rate" holds at 95 % when the RL rate's lower 97.5 % bound is above the SFT rate's
    upper 97.5 % bound (Wilson intervals over n = 200 held-out prompts never trained on; the two 2.5 %
    risks add up to 5 %). At 0 % vs 100 % the bounds are 1.9 % and 98.1 %.
    """
    sft = train_sft(task, tmp_path / "sft")
    grpo(task, tmp_path / "rl", *RL_OVERRIDES, model=sft)
    report = json.loads((tmp_path / "rl" / "report.json").read_text())
    before, after, n = report["sft_exact_match"], report["exact_match"], report["heldout_prompts"]
    assert n == 200
    sft_high, rl_low = wilson(before, n)[1], wilson(after, n)[0]
    print(f"held-out exact match over {n} prompts: SFT {before:.3f} (95% upper bound {sft_high:.3f}) -> "
          f"RL {after:.3f} (95% lower bound {rl_low:.3f})")
    assert rl_low > sft_high, (before, after, sft_high, rl_low)
    assert report["mean_reward"] > report["sft_mean_reward"]


RL_OVERRIDES = ["rewards={exact: 1.0, format: 0.2}", "max_steps=30", "batch_size=32", "num_generations=8", "lr=2e-3",
                "max_completion_length=4", "eval_prompts=200", "save_every=0", "log_every=10", "warmup_steps=0"]
