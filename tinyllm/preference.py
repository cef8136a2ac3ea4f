"""Preference pairs: one conversational shape for every source, and the measurements on them.

A pair is {"prompt": [messages ending with a user turn], "chosen": [one assistant message],
"rejected": [one assistant message]}. Everything is rendered with the tokenizer's one chat
template (tinyllm.tokenizer), exactly as SFT training, chat, TRL's reward trainer and TRL's
DPO trainer render it, so every stage sees the same tokens for the same conversation.

Measurements (used by stages.reward, stages.dpo and the quickstart):
- `completion_logps`: log p(completion | prompt) under a causal LM, summed over the completion's
  tokens (its content and <|im_end|>), the quantity DPO compares.
- `preference_accuracy`: share of pairs where the model gives the chosen answer the higher
  log-likelihood; chance is 50 %.
- `reward_scores`: a reward model's scalar score of each prompt + completion.
- `implicit_reward_accuracy`: DPO's implicit reward (beta times the policy's log-prob gain over the
  reference) compared pair by pair: k of n held-out pairs, never a mean of per-batch means.
"""

import re
from pathlib import Path

from tinyllm.chat import prompt_ids
from tinyllm.checkpoint_check import check_config, check_tokenizer_fits, check_weights, read_config
from tinyllm.errors import TinyLLMError
from tinyllm.model import weights_format
from tinyllm.sft_data import check_messages, render
from tinyllm.tokenizer import load_tokenizer

SPLITS = ("train", "test")
INFO_FILE = "preference_info.json"


# --- Records -> pairs -------------------------------------------------------------------------

HH_TURN = re.compile(r"\n\n(Human|Assistant): ?")
HH_ROLES = {"Human": "user", "Assistant": "assistant"}


def parse_transcript(text: str, where: str) -> list[dict]:
    """An hh-rlhf transcript ("\\n\\nHuman: ... \\n\\nAssistant: ...") as a list of messages."""
    if not isinstance(text, str):
        raise ValueError(f"{where}: transcript is {type(text).__name__}, not a string")
    parts = HH_TURN.split("\n\n" + text)  # a transcript may start with its blank line or without: part 0 is blank
    if parts[0].strip() or len(parts) < 3:
        raise ValueError(f"{where}: unparsable transcript (expected '\\n\\nHuman: ...\\n\\nAssistant: ...' turns)")
    return [{"role": HH_ROLES[role], "content": content.strip()} for role, content in zip(parts[1::2], parts[2::2])]


def _as_messages(value, role: str, field: str, where: str) -> list[dict]:
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    if isinstance(value, list) and all(isinstance(m, dict) for m in value):
        return [{"role": m.get("role"), "content": m.get("content")} for m in value]
    raise ValueError(f"{where}: field '{field}' must be a string or a list of messages, got {type(value).__name__}")


def _split_shared_prompt(chosen: list[dict], rejected: list[dict], where: str):
    """Full conversations for both answers -> (shared prompt, chosen reply, rejected reply)."""
    if len(chosen) < 2 or len(rejected) < 2 or chosen[:-1] != rejected[:-1]:
        raise ValueError(f"{where}: chosen and rejected do not share a prompt (they must differ in the last turn only)")
    return chosen[:-1], chosen[-1:], rejected[-1:]


def to_pair(record, where: str) -> dict:
    """Any supported record -> {"prompt", "chosen", "rejected"} as message lists, validated.

    Supported: {"prompt", "chosen", "rejected"} as strings or message lists (the synthetic pairs
    are strings), and {"chosen", "rejected"} without a prompt as full conversations or hh-rlhf
    transcripts that differ in the last assistant turn only. Raises ValueError naming `where`.
    """

    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [f for f in ("chosen", "rejected") if f not in record]
    if missing:
        raise ValueError(f"{where}: missing field(s) {', '.join(missing)} (fields: {', '.join(map(str, record)) or 'none'})")
    for field in ("prompt", "chosen", "rejected"):
        value = record.get(field)
        if field in record and (value is None or (isinstance(value, (str, list)) and not value)
                                or (isinstance(value, str) and not value.strip())):
            raise ValueError(f"{where}: empty field '{field}'")
    if "prompt" in record:
        prompt = _as_messages(record["prompt"], "user", "prompt", where)
        chosen = _as_messages(record["chosen"], "assistant", "chosen", where)
        rejected = _as_messages(record["rejected"], "assistant", "rejected", where)
    elif isinstance(record["chosen"], str):
        prompt, chosen, rejected = _split_shared_prompt(parse_transcript(record["chosen"], where),
                                                        parse_transcript(record["rejected"], where), where)
    else:
        prompt, chosen, rejected = _split_shared_prompt(_as_messages(record["chosen"], "assistant", "chosen", where),
                                                        _as_messages(record["rejected"], "assistant", "rejected", where),
                                                        where)
    for name, reply in (("chosen", chosen), ("rejected", rejected)):
        if len(reply) != 1 or reply[0]["role"] != "assistant":
            raise ValueError(f"{where}: '{name}' must be one assistant turn")
        check_messages(prompt + reply, where)
    if chosen[0]["content"].strip() == rejected[0]["content"].strip():
        raise ValueError(f"{where}: chosen equals rejected")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


# --- The dataset on disk ------------------------------------------------------------------------

def load_preferences(path, split: str | None = None):
    """The DatasetDict written by data_prep.preference (or one split of it), held in memory.

    In memory, so that TRL's tokenization and reference log-prob caches never write into the
    data directory.
    """
    from datasets import load_from_disk

    path = Path(path)
    if not (path / INFO_FILE).is_file():
        raise TinyLLMError(f"{path}: not a preference dataset (no {INFO_FILE}; make it with data_prep.preference)")
    try:
        data = load_from_disk(str(path), keep_in_memory=True)
    except Exception as err:  # datasets / pyarrow raise many types for damaged files
        first = (str(err).strip().splitlines() or [""])[0]
        raise TinyLLMError(f"{path}: cannot read the preference dataset ({type(err).__name__}: {first})") from None
    if not hasattr(data, "keys"):
        raise TinyLLMError(f"{path}: not a preference dataset with splits {', '.join(SPLITS)} (one split only)")
    for name in ([split] if split else SPLITS):
        if name not in data:
            raise TinyLLMError(f"{path}: no '{name}' split (it has {', '.join(data)})")
        check_pairs(data[name], f"{path} [{name}]")
    return data if split is None else data[split]


def check_pairs(rows, where: str) -> None:
    """Every row a valid pair (to_pair's rules), or one line naming the split and row index."""
    if len(rows) == 0:
        raise TinyLLMError(f"{where}: the split is empty")
    missing = [c for c in ("prompt", "chosen", "rejected") if c not in rows.column_names]
    if missing:
        raise TinyLLMError(f"{where}: missing column(s) {', '.join(missing)} (columns: {', '.join(rows.column_names)})")
    for i, row in enumerate(rows):
        try:
            to_pair(row, f"{where} row {i}")
        except ValueError as err:
            raise TinyLLMError(str(err)) from None


# --- Measurements ------------------------------------------------------------------------------

def first_pairs(dataset, n: int | None):
    """The first `n` pairs of a split (all when n is None): fewer pairs to tokenize (and, with
    precomputed reference log-probs, to score) when a short run would not reach the rest."""
    if n is not None and n < 1:
        raise TinyLLMError(f"recipe key 'train_pairs' must be >= 1, got {n}")
    return dataset if n is None or n >= len(dataset) else dataset.select(range(n))


def pair_lengths(tok, pairs, progress: bool = False) -> list[tuple[int, int, int]]:
    """(prompt, prompt + chosen, prompt + rejected) token counts of each pair, rendered as TRL does."""
    from tqdm import tqdm

    return [(len(prompt_ids(tok, p["prompt"])), len(render(tok, p["prompt"] + p["chosen"])[0]),
             len(render(tok, p["prompt"] + p["rejected"])[0]))
            for p in tqdm(pairs, desc="measure lengths", unit=" pair", disable=not progress or None)]


def length_census(tok, pairs, max_length: int, progress: bool = False) -> dict:
    """Which pairs do not fit `max_length` tokens: `too_long` (either answer, with its prompt,
    is longer: the reward trainer drops these, DPO cuts them), `prompt_too_long` (the prompt
    alone fills max_length: DPO drops these) and the longest pair, in tokens."""
    lengths = pair_lengths(tok, pairs, progress)
    return {"max_length": max_length, "pairs": len(lengths),
            "too_long": [i for i, (_, c, r) in enumerate(lengths) if max(c, r) > max_length],
            "prompt_too_long": [i for i, (p, _, _) in enumerate(lengths) if p >= max_length],
            "longest": max((max(c, r) for _, c, r in lengths), default=0)}


def _batches(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _right_padded(rows: list[list[int]], pad_id: int, device):
    import torch

    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad_id] * (width - len(r)) for r in rows], device=device)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=device)
    return ids, mask


def completion_logps(model, tok, prompts: list[list[dict]], completions: list[list[dict]], batch_size: int = 16,
                     progress: bool = False, max_length: int | None = None) -> list[float]:
    """log p(completion | prompt), summed over the completion's tokens, one float per pair;
    with `max_length`, over the tokens within it (cut at the end, as TRL's DPO cuts)."""
    import torch
    from tqdm import tqdm

    rows = []
    for prompt, completion in zip(prompts, completions):
        start = len(prompt_ids(tok, prompt))
        full = render(tok, prompt + completion)[0]
        rows.append((full[:max_length] if max_length else full, start))
    device = next(model.parameters()).device
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    out = []
    with torch.no_grad():
        for batch in tqdm(list(_batches(rows, batch_size)), desc="log-probs", unit="batch", disable=not progress or None):
            ids, mask = _right_padded([r for r, _ in batch], pad, device)
            logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits[:, :-1].float(), dim=-1)
            token_logp = logp.gather(-1, ids[:, 1:, None])[..., 0]
            for row, (full, start) in enumerate(batch):
                # Position t predicts token t+1: the completion's tokens are start .. len(full)-1.
                out.append(float(token_logp[row, start - 1:len(full) - 1].sum()))
    return out


def preference_accuracy(model, tok, pairs, batch_size: int = 16, progress: bool = False,
                        max_length: int | None = None) -> dict:
    """How often the model's log-likelihood prefers the chosen answer (chance: 0.5).

    With `max_length`, as DPO trains: answers are cut at max_length tokens (counted in
    `truncated`) and pairs whose prompt alone fills it are left out (counted in `dropped`)."""
    truncated = dropped = 0
    if max_length is not None:
        census = length_census(tok, pairs, max_length)
        skip = set(census["prompt_too_long"])
        truncated, dropped = len(set(census["too_long"]) - skip), len(skip)
        pairs = [p for i, p in enumerate(pairs) if i not in skip]
        if not pairs:
            return {"n": 0, "truncated": truncated, "dropped": dropped, "preference_accuracy": None,
                    "mean_logp_margin": None}
    prompts = [p["prompt"] for p in pairs]
    chosen = completion_logps(model, tok, prompts, [p["chosen"] for p in pairs], batch_size, progress, max_length)
    rejected = completion_logps(model, tok, prompts, [p["rejected"] for p in pairs], batch_size, progress, max_length)
    wins = [c > r for c, r in zip(chosen, rejected)]
    return {"n": len(wins), "truncated": truncated, "dropped": dropped, "preference_accuracy": sum(wins) / len(wins),
            "mean_logp_margin": sum(c - r for c, r in zip(chosen, rejected)) / len(wins),
            "chosen_logps": chosen, "rejected_logps": rejected}


def flipped_pairs(before: dict, after: dict) -> tuple[int, int]:
    """(won, lost): pairs that two `preference_accuracy` results on the same pairs judge differently,
    wrong before and right after, and right before and wrong after. The accuracy changes by
    (won - lost) / n; a sign test on won against lost tells a real change from reshuffled verdicts."""
    verdicts = [(bc > br, ac > ar) for bc, br, ac, ar in zip(before.get("chosen_logps", []), before.get("rejected_logps", []),
                                                             after.get("chosen_logps", []), after.get("rejected_logps", []))]
    return sum(1 for b, a in verdicts if a and not b), sum(1 for b, a in verdicts if b and not a)


def implicit_reward_accuracy(reference: dict, policy: dict, beta: float) -> dict:
    """DPO's implicit-reward accuracy from two `preference_accuracy` results on the same pairs.

    The implicit reward of an answer is beta * (log p_policy - log p_reference); a pair is won when
    the chosen answer's reward is higher. Returned as k correct of n pairs (accuracy = k / n), with
    the mean reward margin: TRL's evaluate() averages per-batch means instead, which is not k / n
    when the last batch is short.
    """
    columns = (policy["chosen_logps"], reference["chosen_logps"], policy["rejected_logps"], reference["rejected_logps"])
    margins = [beta * ((pc - rc) - (pr - rr)) for pc, rc, pr, rr in zip(*columns)]
    if not margins or len(margins) != reference["n"]:
        raise ValueError(f"implicit_reward_accuracy: {len(margins)} pairs scored by both models, "
                         f"expected {reference['n']}")
    correct = sum(m > 0 for m in margins)
    return {"n": len(margins), "correct": correct, "accuracy": correct / len(margins),
            "mean_margin": sum(margins) / len(margins)}


def reward_scores(model, tok, prompts: list[list[dict]], completions: list[list[dict]], batch_size: int = 16,
                  progress: bool = False) -> list[float]:
    """A reward model's score of each prompt + completion, rendered as in training."""
    import torch
    from tqdm import tqdm

    rows = [render(tok, prompt + completion)[0] for prompt, completion in zip(prompts, completions)]
    device = next(model.parameters()).device
    scores = []
    with torch.no_grad():
        for batch in tqdm(list(_batches(rows, batch_size)), desc="score", unit="batch", disable=not progress or None):
            ids, mask = _right_padded(batch, model.config.pad_token_id, device)
            scores += model(input_ids=ids, attention_mask=mask).logits[:, 0].float().tolist()
    return scores


def reward_accuracy(model, tok, pairs, batch_size: int = 16, progress: bool = False,
                    max_length: int | None = None) -> dict:
    """Held-out pairwise accuracy (chosen scored above rejected; chance 0.5) and mean margin.

    With `max_length`, pairs longer than that (either answer) are left out and counted in
    `too_long`, as the reward trainer leaves them out of training."""
    too_long = 0
    if max_length is not None:
        census = length_census(tok, pairs, max_length)
        skip = set(census["too_long"])
        pairs, too_long = [p for i, p in enumerate(pairs) if i not in skip], len(skip)
        if not pairs:
            return {"n": 0, "too_long": too_long, "accuracy": None, "mean_margin": None}
    prompts = [p["prompt"] for p in pairs]
    chosen = reward_scores(model, tok, prompts, [p["chosen"] for p in pairs], batch_size, progress)
    rejected = reward_scores(model, tok, prompts, [p["rejected"] for p in pairs], batch_size, progress)
    margins = [c - r for c, r in zip(chosen, rejected)]
    return {"n": len(margins), "too_long": too_long, "accuracy": sum(m > 0 for m in margins) / len(margins),
            "mean_margin": sum(margins) / len(margins)}


def load_reward_model(path):
    """(LlamaForSequenceClassification, tokenizer) from a stages.reward checkpoint."""
    from transformers import AutoModelForSequenceClassification

    path = Path(path)
    config = read_config(path)
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        raise TinyLLMError(f"{path}: not a reward model ({', '.join(map(str, architectures)) or 'no architecture'}); "
                           f"train one with stages.reward")
    check_config(config, path)
    tok = load_tokenizer(path)
    check_tokenizer_fits(config, tok, path)
    safetensors = weights_format(path)
    check_weights(config, path)
    model = AutoModelForSequenceClassification.from_pretrained(str(path), use_safetensors=safetensors)
    model.eval()
    return model, tok
