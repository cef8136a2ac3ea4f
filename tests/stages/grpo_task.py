"""A small task on which online RL measurably helps, built from nothing in seconds (tests/stages/test_grpo.py).

    "Is 385 more than 99?"  ->  "yes."

The SFT model is fine-tuned (stages.sft, from a freshly initialised tiny model) on replies that are
*mostly wrong*: "no." 70 % of the time, "yes." 30 % (noisy labels). It answers in the right form,
greedily "no.", and samples the right answer about 3 times in 10. The RL prompt set holds the checked
answer; the held-out prompts use digit triples never seen in training. GRPO with the `exact`
reward has a signal in most groups (some replies right, some wrong) and should lift held-out exact
match far above the SFT model's ~0 %. (A task whose answer must be copied from the prompt was tried
first: the tiny model does not learn to copy within a test's budget on 2 cores.)
"""

import json
import random
from pathlib import Path

QUESTION = "Is {}{}{} more than 99?"
RIGHT, WRONG, P_RIGHT = "yes", "no", 0.3


def _triples(rng: random.Random) -> list[tuple[int, int, int]]:
    triples = [(a, b, c) for a in range(10) for b in range(10) for c in range(10) if len({a, b, c}) == 3]
    rng.shuffle(triples)
    return triples


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_task(out: Path, tokenizer_dir, n_sft: int = 2000, n_test: int = 200, seed: int = 0) -> dict:
    """SFT data (noisy), the RL prompt set (train + held out) and an untrained base checkpoint under `out`."""
    from data_prep.prompts import read_prompts, write_prompts
    from data_prep.sft import build_sft
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    triples = _triples(rng)
    test_triples, train_triples = triples[:n_test], triples[n_test:]

    def conv(t, reply):
        return {"messages": [{"role": "user", "content": QUESTION.format(*t)},
                             {"role": "assistant", "content": f"{reply}."}], "answer": RIGHT, "kinds": ["more"]}

    sft = [conv(t, RIGHT if rng.random() < P_RIGHT else WRONG) for t in (rng.choice(train_triples) for _ in range(n_sft))]
    rl = [conv(t, RIGHT) for t in train_triples]
    test = [conv(t, RIGHT) for t in test_triples]
    build_sft([str(_write(out / "sft.jsonl", sft))], out / "sft.pkl", tokenizer_dir, max_len=64)
    write_prompts(out / "prompts", read_prompts(_write(out / "rl.jsonl", rl)),
                  read_prompts(_write(out / "test.jsonl", test)), {"sources": "tests/stages/grpo_task.py"})

    tok = load_tokenizer(tokenizer_dir)
    model = build_model("tiny", len(tok), 128, seed=seed, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                        pad_id=tok.pad_token_id)
    model.save_pretrained(str(out / "base"))
    tok.save_pretrained(str(out / "base"))
    return {"base": out / "base", "sft_data": out / "sft.pkl", "prompts": out / "prompts"}


def train_sft(task: dict, out_dir: Path, *overrides) -> Path:
    from conftest import ROOT
    from stages.sft import main as sft_main

    sft_main([str(ROOT / "recipes" / "sft_tiny.yaml"), f"model={task['base']}", f"train_data={task['sft_data']}",
              "val_data=null", f"out_dir={out_dir}", "batching=padded", "batch_size=32", "max_steps=60", "lr=3e-3",
              "warmup_steps=10", "eval_every=0", "save_every=0", "log_every=50", *overrides])
    return out_dir / "final"


def record_ids(prompts, completions, id=None, **kwargs) -> list[float]:
    """A `custom` reward for the resume test: appends the prompt ids it is shown (one line a training step;
    the held-out scoring outside the trainer, which passes no trainer_state, is not recorded), rewards 0."""
    import os

    if "trainer_state" not in kwargs:
        return [0.0] * len(completions)
    with open(os.environ["GRPO_RECORD"], "a", encoding="utf-8") as f:
        f.write(" ".join(str(i) for i in id) + "\n")
    return [0.0] * len(completions)
