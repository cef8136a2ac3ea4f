"""The README's claims about training data and objectives, checked on what the Trainer actually receives.

Each test fails when its claim breaks (the faults planted to show it are in the comments):
- SFT labels are exactly the assistant's tokens and their <|im_end|>, in all three batchings;
- packed rows, as the collator builds them, give each conversation the logits it gets alone;
- the reward model's held-out accuracy clears a binomial bound, and falls below chance when the
  training pairs are swapped;
- a run resumed with dropout > 0 continues exactly as the uninterrupted one (RNG restored).

They start from a freshly initialised tiny model (no pretraining), so they need only the tokenizer
and data fixtures.
"""

import json
import math
import random

import pytest
import torch
from transformers import Trainer

from conftest import ROOT

IGNORE = -100


def make_checkpoint(tokenizer_dir, out, **config):
    """A freshly initialised tiny Llama with the suite's tokenizer, saved as stages expect it."""
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = build_model("tiny", len(tok), 1024, seed=0, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                        pad_id=tok.pad_token_id)
    for key, value in config.items():
        setattr(model.config, key, value)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny_checkpoint(tokenizer_dir, tmp_path_factory):
    return make_checkpoint(tokenizer_dir, tmp_path_factory.mktemp("tiny") / "init")


@pytest.fixture
def trainer_inputs(monkeypatch):
    """Every batch the Trainer hands to compute_loss, as it arrives (after the collator)."""
    seen = []
    original = Trainer.compute_loss

    def recording(self, model, inputs, *args, **kwargs):
        seen.append({k: v.detach().clone() for k, v in inputs.items() if torch.is_tensor(v)})
        return original(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(Trainer, "compute_loss", recording)
    return seen


def run_sft(checkpoint, sft_data, out_dir, *overrides):
    from stages.sft import main as sft_main

    sft_main([str(ROOT / "recipes" / "sft_tiny.yaml"), f"model={checkpoint}", f"train_data={sft_data / 'train.pkl'}",
              f"out_dir={out_dir}", "val_data=null", "pack_len=768", "batch_size=2", "max_steps=2", "eval_every=0",
              "save_every=0", "log_every=1", "warmup_steps=0", *overrides])
    return out_dir


def expected_labels(tok, ids: list[int]) -> list[int]:
    """Labels read off the tokens themselves, independently of the stored mask: the content of each
    assistant turn and its <|im_end|> keep their id, everything else (system and user turns, <s>,
    role headers, the newline after <|im_end|>, padding) is IGNORE."""
    start, end = tok.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>"])
    newline = tok.convert_tokens_to_ids("<0x0A>")
    out, i = [IGNORE] * len(ids), 0
    while i < len(ids):
        if ids[i] != start:
            i += 1
            continue
        j = ids.index(newline, i)  # the role header ends at its newline
        role = tok.decode(ids[i + 1:j]).strip()
        k = ids.index(end, j)
        if role == "assistant":
            out[j + 1:k + 1] = ids[j + 1:k + 1]
        i = k + 1
    return out


@pytest.mark.parametrize("batching", ["padded", "length_grouped", "packed"])
def test_sft_labels_are_exactly_the_assistant_tokens(tiny_checkpoint, sft_data, tmp_path, trainer_inputs, batching):
    # Planted: labels_for returning input_ids (every token trained) -> fails for all three batchings.
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tiny_checkpoint)
    run_sft(tiny_checkpoint, sft_data, tmp_path / batching, f"batching={batching}")
    assert len(trainer_inputs) == 2
    assistant_turns = 0
    for batch in trainer_inputs:
        for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
            assert labels == expected_labels(tok, ids)
            assistant_turns += ids.count(tok.convert_tokens_to_ids("<|im_end|>"))
    assert assistant_turns >= 4  # the check saw real conversations, not empty rows


def packed_rows_match_alone(ids, positions, states, model, bos_id) -> int:
    """Assert each conversation's states in packed rows equal its states alone; return how many had
    another conversation before it in its row."""
    compared = 0
    for row in range(len(ids)):
        pos = positions[row].tolist()
        starts = [i for i, p in enumerate(pos) if p == 0] + [len(pos)]
        for a, b in zip(starts, starts[1:]):
            if ids[row, a] != bos_id:  # the padding that fills the row's tail
                continue
            with torch.no_grad():
                alone = model(input_ids=ids[row, a:b][None], use_cache=False).last_hidden_state[0]
            torch.testing.assert_close(states[row, a:b], alone, rtol=0, atol=1e-4)
            compared += a > 0
    return compared


@pytest.mark.parametrize("ce_chunk", [0, 256])
def test_packed_rows_in_training_and_validation_keep_conversations_apart(tiny_checkpoint, sft_data, tmp_path,
                                                                        monkeypatch, ce_chunk):
    """The transformer's states for each conversation of a packed row, as the Trainer runs it (training
    step and validation loss), equal its states alone: no attention across conversations."""
    # Planted: collate_packed adding attention_mask=ones (a plain causal mask over the whole row) -> fails.
    from transformers import LlamaModel

    from tinyllm.model import load_checkpoint

    seen = {}  # mode -> (input_ids, position_ids, last hidden state) of the first trunk forward in that mode
    original = LlamaModel.forward

    def recording(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        state = out.last_hidden_state.detach().clone()
        seen.setdefault("train" if self.training else "eval", (kwargs["input_ids"].clone(), kwargs.get("position_ids"), state))
        return out

    monkeypatch.setattr(LlamaModel, "forward", recording)
    run = run_sft(tiny_checkpoint, sft_data, tmp_path / "packed", "batching=packed", "max_steps=1", "pack_len=1600",
                  f"ce_chunk={ce_chunk}", f"val_data={sft_data / 'val.pkl'}")
    monkeypatch.setattr(LlamaModel, "forward", original)
    compared = 0
    for mode, weights in (("train", tiny_checkpoint), ("eval", run / "final")):  # the weights each pass saw
        ids, positions, states = seen[mode]
        assert positions is not None, mode
        model, tok = load_checkpoint(weights)
        model.eval()
        compared += packed_rows_match_alone(ids, positions, states, model.model, tok.bos_token_id)
    assert compared >= 2


# --- The reward model learns which answer is preferred --------------------------------------------

HELDOUT = 80
# With 80 held-out pairs, a model that learned nothing gets k ~ Binomial(80, 1/2): P(k >= 48) = 4.6 %
# (and P(k <= 32) the same). The cue below is learnt to ~80/80, so 48 leaves a wide margin on the right side
# while a model trained on swapped pairs (~0/80) or not at all fails it 95 % of the time.
BOUND = 48


def binomial_tail(n: int, k: int) -> float:
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n


def arithmetic_pairs(n: int, seed: int, swap: bool = False) -> list[dict]:
    """Short questions; the rejected answer is always "I do not know.": a cue a tiny model learns fast."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        a, b = rng.randint(0, 50), rng.randint(0, 50)
        good, bad = f"{a} plus {b} is {a + b}.", "I do not know."
        chosen, rejected = (bad, good) if swap else (good, bad)
        pairs.append({"prompt": f"What is {a} plus {b}?", "chosen": chosen, "rejected": rejected})
    return pairs


def reward_run(checkpoint, tmp_path, swap: bool) -> dict:
    from data_prep.preference import build_preferences
    from stages.reward import main as reward_main

    name = "swapped" if swap else "straight"
    for split, pairs in (("train", arithmetic_pairs(128, 0, swap)), ("val", arithmetic_pairs(HELDOUT, 1))):
        (tmp_path / f"{name}_{split}.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    data = tmp_path / f"{name}_pref"
    build_preferences([str(tmp_path / f"{name}_train.jsonl")], data, heldout=[str(tmp_path / f"{name}_val.jsonl")])
    out = tmp_path / f"rm_{name}"
    reward_main([str(ROOT / "recipes" / "rm_tiny.yaml"), f"model={checkpoint}", f"data={data}", f"out_dir={out}",
                 "max_length=64", "max_steps=16", "train_pairs=128", "batch_size=8", "lr=3e-3", "warmup_steps=2",
                 "save_every=0", "log_every=8"])
    return json.loads((out / "report.json").read_text())


def test_reward_model_learns_the_preference_and_not_its_opposite(tiny_checkpoint, tmp_path):
    # Planted: stages.reward training on the pairs with chosen and rejected swapped -> 0/80 < 48.
    assert binomial_tail(HELDOUT, BOUND) < 0.05
    straight = reward_run(tiny_checkpoint, tmp_path, swap=False)
    assert straight["heldout_pairs"] == HELDOUT
    correct = round(straight["heldout_accuracy"] * HELDOUT)
    assert correct >= BOUND, straight
    swapped = reward_run(tiny_checkpoint, tmp_path, swap=True)  # held-out pairs unswapped
    print(f"held-out: {correct}/{HELDOUT} trained, {round(swapped['heldout_accuracy'] * HELDOUT)}/{HELDOUT} swapped")
    assert round(swapped["heldout_accuracy"] * HELDOUT) <= HELDOUT - BOUND, swapped


# --- Resume restores the RNG ---------------------------------------------------------------------

def logged_losses(run_dir, checkpoint):
    state = json.loads((run_dir / checkpoint / "trainer_state.json").read_text())
    return {h["step"]: h["loss"] for h in state["log_history"] if "loss" in h}


def test_resume_with_dropout_continues_exactly(tokenizer_dir, sft_data, tmp_path):
    # Planted: Trainer._load_rng_state as a no-op (resume without the RNG) -> step 4 differs by 7e-4 (tolerance 1e-6).
    checkpoint = make_checkpoint(tokenizer_dir, tmp_path / "init", attention_dropout=0.3)
    common = ["batching=padded", "max_steps=6", "save_every=3", "lr=3e-3"]
    straight = run_sft(checkpoint, sft_data, tmp_path / "straight", *common)
    cut = run_sft(checkpoint, sft_data, tmp_path / "cut", *common, "stop_at_step=3")
    assert (cut / "checkpoint-3" / "rng_state.pth").is_file()
    run_sft(checkpoint, sft_data, cut, *common, "resume=true")
    a, b = logged_losses(straight, "checkpoint-6"), logged_losses(cut, "checkpoint-6")
    assert sorted(a) == sorted(b) == [1, 2, 3, 4, 5, 6]
    for step in a:
        assert a[step] == pytest.approx(b[step], abs=1e-6), (step, a, b)
    # Dropout draws random numbers here: without it the same steps give other losses (so the check has teeth).
    plain = run_sft(make_checkpoint(tokenizer_dir, tmp_path / "init0"), sft_data, tmp_path / "plain", *common)
    assert max(abs(a[s] - l) for s, l in logged_losses(plain, "checkpoint-6").items()) > 1e-3
