"""Continuation benchmarks: prompts in, generations out, measured by eval.metrics.

A prompt set is JSONL, one object per line:
    {"prompt": "Ben had 2 apples. Then he found 3 more. Now he had", "expected": "5"}
    {"prompt": "Once upon a time", "reference": "... a continuation to read beside the model's ..."}
`prompt` is required; `expected` (a string or a list of accepted answers) is checked by exact /
contains match; `reference` and `id` are carried into the output. Each prompt is opened with <s>,
as pretraining documents are, and continued greedily and by seeded sampling; a continuation
stops at </s> or <|im_end|> or after `max_new_tokens`.
"""

from dataclasses import replace

from eval.metrics import generation_metrics
from tinyllm.generate import SamplingOptions, generate, stop_ids, text_prompt_ids
from tinyllm.records import read_jsonl


def _check_prompt(record, where):
    if not isinstance(record, dict) or not isinstance(record.get("prompt"), str) or not record["prompt"]:
        raise ValueError(f"{where}: expected an object with a non-empty string 'prompt'")
    expected = record.get("expected")
    if expected is not None and not (isinstance(expected, str) or
                                     (isinstance(expected, list) and expected and
                                      all(isinstance(e, str) for e in expected))):
        raise ValueError(f"{where}: 'expected' must be a string or a non-empty list of strings")


def load_prompts(path, limit: int | None = None) -> list[dict]:
    return read_jsonl(path, "prompt", limit, _check_prompt)


def continue_prompts(model, tok, prompts: list[str], opts: SamplingOptions | None = None, batch_size: int = 32,
                     progress: bool = False) -> list[tuple[str, bool]]:
    """(continuation text, ended by a stop token) per prompt (default options: greedy, 64 tokens)."""
    ids = [text_prompt_ids(tok, p) for p in prompts]
    outputs = generate(model, tok, ids, opts or SamplingOptions(), batch_size=batch_size, progress=progress)
    stops = set(stop_ids(tok))
    results = []
    for prompt, new in zip(ids, outputs):
        ended = bool(new) and new[-1] in stops
        # Decoded with the prompt and cut after it, so a leading space survives the tokenizer.
        head = tok.decode(prompt, skip_special_tokens=True)
        whole = tok.decode(prompt + (new[:-1] if ended else new), skip_special_tokens=True)
        results.append((whole[len(head):] if whole.startswith(head) else tok.decode(new, skip_special_tokens=True), ended))
    return results


def run_prompt_set(model, tok, records: list[dict], sampled: SamplingOptions | None = None, batch_size: int = 32,
                   progress: bool = False) -> dict:
    """Greedy and sampled continuations of every prompt, their metrics and the texts (`sampled`:
    the sampled mode's options; the greedy mode takes their length, seed and cache)."""
    sampled = replace(sampled or SamplingOptions(temperature=0.8, top_p=0.95), do_sample=True)
    prompts = [r["prompt"] for r in records]
    expected = [r.get("expected") for r in records]
    out = {"metrics": {}, "samples": [dict(id=r.get("id"), prompt=r["prompt"]) for r in records]}
    for mode, opts in (("greedy", replace(sampled, do_sample=False)), ("sampled", sampled)):
        results = continue_prompts(model, tok, prompts, opts, batch_size, progress)
        texts, ended = [t for t, _ in results], [e for _, e in results]
        out["metrics"][mode] = generation_metrics(texts, ended, expected)
        for sample, text, end in zip(out["samples"], texts, ended):
            sample[mode] = text
            sample[f"{mode}_ended"] = end
    for sample, r in zip(out["samples"], records):
        for key in ("expected", "reference"):
            if key in r:
                sample[key] = r[key]
    out["settings"] = dict(max_new_tokens=sampled.max_new_tokens, temperature=sampled.temperature, top_p=sampled.top_p,
                           seed=sampled.seed)
    return out
