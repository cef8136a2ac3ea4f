"""SFT data: conversations rendered with the one chat template into token ids and an
assistant-only loss mask, stored as a pickle of plain lists read back by a restricted unpickler.

The user's design asks for pickle; loading goes through `SafeUnpickler`, which accepts only
the opcodes of plain containers, strings and numbers: any reference to a global (the way a
crafted pickle runs code) is refused before anything is called.
"""

import io
import pickle
from pathlib import Path

from tinyllm.atomic import write_bytes
from tinyllm.errors import TinyLLMError
from tinyllm.tokenizer import fingerprint

FORMAT = "tinyllm-sft"
VERSION = 1
ROLES = ("system", "user", "assistant")


def check_messages(messages, where: str) -> None:
    """Optional system turn, then user / assistant alternating, ending with the assistant."""
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"{where}: no messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise ValueError(f"{where}: message {i} has role {m.get('role') if isinstance(m, dict) else m!r}, "
                             f"expected one of {', '.join(ROLES)}")
        if not isinstance(m.get("content"), str) or not m["content"].strip():
            raise ValueError(f"{where}: message {i} ({m['role']}) has empty content")
    turns = messages[1:] if messages[0]["role"] == "system" else messages
    if not any(m["role"] == "assistant" for m in turns):
        raise ValueError(f"{where}: conversation has no assistant turn")
    for i, m in enumerate(turns):
        expected = "user" if i % 2 == 0 else "assistant"
        if m["role"] != expected:
            raise ValueError(f"{where}: roles out of order: turn {i + 1} is {m['role']}, expected {expected}")
    if turns[-1]["role"] != "assistant":
        raise ValueError(f"{where}: the last turn must be the assistant's")


def render(tok, messages) -> tuple[list[int], list[int]]:
    """Token ids and the assistant mask (1 on assistant content and its <|im_end|>)."""
    out = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    return list(out["input_ids"]), [int(m) for m in out["assistant_masks"]]


class BadPickle(ValueError):
    """Not a pickle of plain data: the one error `safe_loads` raises, whatever the bytes."""


class Refused(BadPickle):
    """The pickle asks for more than plain data (a global, a persistent id)."""


class SafeUnpickler(pickle.Unpickler):
    """Unpickles plain data only: every global lookup is refused."""

    def find_class(self, module, name):
        raise Refused(f"refers to {module}.{name}; only plain lists, dicts, strings and numbers are allowed")

    def persistent_load(self, pid):
        raise Refused("uses persistent ids; only plain data is allowed")


def safe_loads(data: bytes):
    """Plain lists, dicts, strings and numbers from pickle bytes, or BadPickle; never runs code.

    Fuzzed in tests/test_bad_inputs.py over thousands of crafted and random pickles.
    """
    try:
        return SafeUnpickler(io.BytesIO(data)).load()
    except BadPickle:
        raise
    except Exception as err:  # truncated, not a pickle, bad opcode arguments, ...
        raise BadPickle(f"{type(err).__name__}: {err}") from None


def save_sft(path, samples: list[dict], header: dict) -> None:
    payload = {"format": FORMAT, "version": VERSION, **header, "samples": samples}
    write_bytes(path, pickle.dumps(payload, protocol=4))


def load_sft(path, tokenizer=None) -> dict:
    """Read an SFT pickle safely; refuse other formats and, given a tokenizer, other tokenizers."""

    path = Path(path)
    if not path.is_file():
        raise TinyLLMError(f"{path}: SFT data file not found")
    try:
        data = safe_loads(path.read_bytes())
    except Refused as err:
        raise TinyLLMError(f"{path}: refused, not a plain-data pickle ({err})") from None
    except BadPickle as err:  # truncated or not a pickle at all
        raise TinyLLMError(f"{path}: not a readable SFT pickle ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TinyLLMError(f"{path}: not a {FORMAT} file (make it with data_prep.sft)")
    if data.get("version") != VERSION:
        raise TinyLLMError(f"{path}: format version {data.get('version')}, expected {VERSION}")
    if tokenizer is not None and data.get("tokenizer_fingerprint") != fingerprint(tokenizer):
        raise TinyLLMError(f"{path}: made with tokenizer {data.get('tokenizer_fingerprint')}, not the one in use "
                           f"({fingerprint(tokenizer)}); run data_prep.sft again with this tokenizer")
    tokens, target = check_samples(data.get("samples"), path, len(tokenizer) if tokenizer is not None else None)
    data["tokens"], data["target_tokens"] = tokens, target  # counted, not taken from the header
    return data


def check_samples(samples, path, vocab: int | None) -> tuple[int, int]:
    """(tokens, trained tokens) of a file's samples, or one line naming the file and sample index.

    The pickle is plain data but may have been edited by hand or made by another tool: this is
    what keeps a bad id or mask from becoming a traceback (or a NaN loss) mid-training.
    """
    if not isinstance(samples, list):
        raise TinyLLMError(f"{path}: 'samples' must be a list of samples, got {type(samples).__name__}")
    if not samples:
        raise TinyLLMError(f"{path}: no samples")
    tokens = target = 0
    for i, s in enumerate(samples):
        where = f"{path}: sample {i}"
        if not isinstance(s, dict):
            raise TinyLLMError(f"{where}: expected a dict with input_ids and assistant_mask, got {type(s).__name__}")
        ids, mask = s.get("input_ids"), s.get("assistant_mask")
        for key, value in (("input_ids", ids), ("assistant_mask", mask)):
            if not isinstance(value, list) or not value:
                raise TinyLLMError(f"{where}: '{key}' must be a non-empty list, got {_describe(value)}")
        bad = next((t for t in ids if type(t) is not int), None)
        if bad is not None:
            raise TinyLLMError(f"{where}: 'input_ids' holds {_describe(bad)}, not an integer token id")
        low, high = min(ids), max(ids)
        if low < 0 or (vocab is not None and high >= vocab):
            raise TinyLLMError(f"{where}: token id {low if low < 0 else high} outside the tokenizer's vocab "
                               f"[0, {vocab if vocab is not None else 'inf'})")
        if len(mask) != len(ids):
            raise TinyLLMError(f"{where}: 'assistant_mask' has {len(mask)} values for {len(ids)} input_ids")
        if any(type(m) not in (int, bool) or m not in (0, 1) for m in mask):
            raise TinyLLMError(f"{where}: 'assistant_mask' values must be 0 or 1")
        tokens += len(ids)
        target += sum(mask)
    if target == 0:
        raise TinyLLMError(f"{path}: no sample has a trained token (every assistant_mask is all zeros), so there "
                           f"is no loss to train on; rebuild it with data_prep.sft")
    return tokens, target


def _describe(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


# --- Training views of the samples -----------------------------------------------------------

IGNORE = -100  # the label the loss skips


def labels_for(sample: dict) -> list[int]:
    """The token where the assistant mask is set, IGNORE elsewhere (the model shifts them)."""
    return [t if m else IGNORE for t, m in zip(sample["input_ids"], sample["assistant_mask"])]


class SFTDataset:
    """One conversation per item, as lists: input_ids and labels (padded later by the collator)."""

    def __init__(self, samples: list[dict]):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        s = self.samples[i]
        return {"input_ids": s["input_ids"], "attention_mask": [1] * len(s["input_ids"]), "labels": labels_for(s)}


def pack(samples: list[dict], max_len: int, pad_id: int) -> list[dict]:
    """Best-fit-decreasing packing of whole conversations into rows of exactly max_len tokens.

    Each row carries position_ids that restart at 0 for every conversation; given position_ids
    and no attention_mask, transformers builds a block-diagonal causal mask from them, so a
    conversation never attends to the one packed before it. Every conversation starts with
    <s> (label IGNORE), so no loss crosses a boundary either. The tail is filled with pad
    tokens (IGNORE labels). Written by hand: the library collators pack one batch into one
    unpadded row, which gives a different shape every step.
    """
    import bisect

    order = sorted(range(len(samples)), key=lambda i: -len(samples[i]["input_ids"]))
    rows: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (space left, row index), sorted
    for i in order:
        n = len(samples[i]["input_ids"])
        if n > max_len:
            raise TinyLLMError(f"a conversation of {n} tokens does not fit pack length {max_len}; "
                               f"raise max_len or rebuild the data with a smaller --max-len")
        at = bisect.bisect_left(free, (n, -1))
        if at < len(free):
            space, row = free.pop(at)
            rows[row].append(i)
            bisect.insort(free, (space - n, row))
        else:
            rows.append([i])
            bisect.insort(free, (max_len - n, len(rows) - 1))
    packed = []
    for members in rows:
        ids, labels, positions = [], [], []
        for i in members:
            ids += samples[i]["input_ids"]
            labels += labels_for(samples[i])
            positions += range(len(samples[i]["input_ids"]))
        fill = max_len - len(ids)
        packed.append({"input_ids": ids + [pad_id] * fill, "labels": labels + [IGNORE] * fill,
                       "position_ids": positions + list(range(fill))})
    return packed


class PackedDataset(SFTDataset):
    def __getitem__(self, i):
        return self.samples[i]


def collate_packed(rows: list[dict]) -> dict:
    import torch

    return {key: torch.tensor([r[key] for r in rows]) for key in ("input_ids", "labels", "position_ids")}
