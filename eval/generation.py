"""Continuation benchmarks: prompts in, generations out, measured by eval.metrics.

A prompt set is JSONL, one object per line:
    {"prompt": "Ben had 2 apples. Then he found 3 more. Now he had", "expected": "5"}
    {"prompt": "Once upon a time", "reference": "... a continuation to read beside the model's ..."}
`prompt` is required; `expected` (a string or a list of accepted answers) is checked by exact /
contains match; `reference` and `id` are carried into the output. Each prompt is opened with <s>,
as pretraining documents are, and continued greedily and by seeded sampling; a continuation
stops at </s> or <|im_end|> or after `max_new_tokens`.
"""

from pathlib import Path

from tinyllm.errors import TinyLLMError


def load_prompts(path, limit: int | None = None) -> list[dict]:
    from data_prep.sources import iter_records

    if not Path(path).is_file():
        raise TinyLLMError(f"{path}: prompt file not found")
    records = []
    for where, record in iter_records(path):
        if isinstance(record, Exception):
            raise TinyLLMError(str(record))
        if not isinstance(record, dict) or not isinstance(record.get("prompt"), str) or not record["prompt"]:
            raise TinyLLMError(f"{where}: expected an object with a non-empty string 'prompt'")
        expected = record.get("expected")
        if expected is not None and not (isinstance(expected, str) or
                                         (isinstance(expected, list) and expected and
                                          all(isinstance(e, str) for e in expected))):
            raise TinyLLMError(f"{where}: 'expected' must be a string or a non-empty list of strings")
        records.append(record)
        if limit and len(records) >= limit:
            break
    if not records:
        raise TinyLLMError(f"{path}: no prompts")
    return records


def continue_prompts(model, tok, prompts: list[str], max_new_tokens: int = 64, sample: bool = False,
                     temperature: float = 0.8, top_p: float = 0.95, seed: int = 0, batch_size: int = 32,
                     progress: bool = False) -> list[tuple[str, bool]]:
    """(continuation text, ended by a stop token) per prompt."""
    from tinyllm.chat import generate_batched, stop_ids

    ids = [[tok.bos_token_id, *tok.encode(p, add_special_tokens=False)] for p in prompts]
    outputs = generate_batched(model, tok, ids, max_new_tokens, batch_size, do_sample=sample, temperature=temperature,
                               top_p=top_p, seed=seed, progress=progress)
    stops = set(stop_ids(tok))
    results = []
    for prompt, new in zip(ids, outputs):
        ended = bool(new) and new[-1] in stops
        # Decoded with the prompt and cut after it, so a leading space survives the tokenizer.
        head = tok.decode(prompt, skip_special_tokens=True)
        whole = tok.decode(prompt + (new[:-1] if ended else new), skip_special_tokens=True)
        results.append((whole[len(head):] if whole.startswith(head) else tok.decode(new, skip_special_tokens=True), ended))
    return results


def run_prompt_set(model, tok, records: list[dict], max_new_tokens: int = 64, temperature: float = 0.8,
                   top_p: float = 0.95, seed: int = 0, batch_size: int = 32, progress: bool = False) -> dict:
    """Greedy and sampled continuations of every prompt, their metrics and the texts."""
    from eval.metrics import generation_metrics

    prompts = [r["prompt"] for r in records]
    expected = [r.get("expected") for r in records]
    out = {"metrics": {}, "samples": [dict(id=r.get("id"), prompt=r["prompt"]) for r in records]}
    for mode in ("greedy", "sampled"):
        results = continue_prompts(model, tok, prompts, max_new_tokens, mode == "sampled", temperature, top_p, seed,
                                   batch_size, progress)
        texts, ended = [t for t, _ in results], [e for _, e in results]
        out["metrics"][mode] = generation_metrics(texts, ended, expected)
        for sample, text, end in zip(out["samples"], texts, ended):
            sample[mode] = text
            sample[f"{mode}_ended"] = end
    for sample, r in zip(out["samples"], records):
        for key in ("expected", "reference"):
            if key in r:
                sample[key] = r[key]
    out["settings"] = dict(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed)
    return out
