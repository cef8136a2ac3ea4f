"""The field's standard benchmarks from local files, scored k-shot beside the project's own suites.

    python -m eval.run CKPT --task hellaswag=data/hellaswag --task mmlu=data/mmlu/data --shots 5

`--task KIND=PATH` (or `KIND:NAME=PATH` to run one kind on two files) reads PATH in the layout
eval.tasks.formats describes; eval.tasks.score builds the prompts and scores them. Each task
adds NAME/acc, NAME/acc_norm (multiple choice) or NAME/acc, NAME/ppl (continuation), NAME/acc_SUBJECT
rows for MMLU-style tasks, and every task's centred accuracy
(acc - chance) / (1 - chance) of its primary metric (acc_norm for HellaSwag, ARC and PIQA, acc
otherwise), averaged over the tasks run as summary/centred, as nanochat's CORE does.
"""

import time

from eval.tasks.formats import TASK_KINDS, Task, read_task
from eval.tasks.score import centred, item_results, limited, requests, score_requests, task_metrics
from tinyllm.errors import TinyLLMError

SUMMARY = "summary"


def parse_task_spec(spec: str) -> tuple[str, str, str]:
    """'KIND=PATH' or 'KIND:NAME=PATH' -> (kind, name, path)."""
    head, sep, path = spec.partition("=")
    kind, _, name = head.partition(":")
    kind, name, path = kind.strip(), (name or kind).strip(), path.strip()
    if not sep or not path:
        raise TinyLLMError(f"--task {spec!r}: expected KIND=PATH (kinds: {', '.join(TASK_KINDS)})")
    if kind not in TASK_KINDS:
        raise TinyLLMError(f"--task {spec!r}: unknown task '{kind}' (choose from {', '.join(TASK_KINDS)})")
    if not name.replace("_", "").replace("-", "").isalnum():
        raise TinyLLMError(f"--task {spec!r}: name '{name}' must be letters, digits, '_' or '-'")
    return kind, name, path


def check_task_specs(specs: list[str], taken=()) -> list[tuple[str, str, str]]:
    parsed = [parse_task_spec(s) for s in specs]
    names = [name for _, name, _ in parsed]
    for name in names:
        if name in taken or name == SUMMARY or names.count(name) > 1:
            raise TinyLLMError(f"--task name '{name}' is taken (a suite, 'summary' or another --task); "
                               f"name it with KIND:NAME=PATH")
    return parsed


def run_task(model, tok, task: Task, shots: int, limit: int | None, seed: int, batch_size: int = 32,
             progress: bool = False, name: str | None = None) -> dict:
    """metrics / chance / n / details of one task, as the suites return them."""
    start = time.time()
    shots = 0 if task.kind == "lambada" else shots  # LAMBADA is published zero-shot and has no train split
    items, indices = limited(task, limit)
    reqs = requests(task, items, indices, shots, seed)
    scored = score_requests(model, tok, reqs, batch_size, progress, desc=name or task.kind)
    results = item_results(task, items, scored)
    out = {"metrics": {}, "chance": {}, "n": {}}
    for metric, value, n, chance in task_metrics(task, items, results):
        out["metrics"][metric] = value
        out["n"][metric] = n
        if chance is not None:
            out["chance"][metric] = chance
    primary = task.primary if task.primary in out["metrics"] else "acc"
    out["details"] = {"task": task.kind, "path": task.path, "shots": shots, "seed": seed, "primary": primary,
                      "seconds": round(time.time() - start, 2), "example_prompt": reqs[0][0],
                      "items": [{"id": i.get("id"), **({"label": i["label"]} if "label" in i else {}),
                                 **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()
                                    if k != "logprobs"},
                                 **({"logprobs": [round(x, 4) for x in r["logprobs"]]} if "logprobs" in r else {})}
                                for i, r in zip(items, results)]}
    return out


def centred_summary(results: dict) -> dict | None:
    """summary/centred over the standard tasks in an eval.run results dict (None without any)."""
    per_task = {}
    for name, details in results.get("suites", {}).items():
        if "task" in details:
            metric = f"{name}/{details['primary']}"
            per_task[name] = centred(results["metrics"][metric], results["chance"].get(metric, 0.0))
    if not per_task:
        return None
    return {"value": sum(per_task.values()) / len(per_task), "n": len(per_task), "per_task": per_task}
