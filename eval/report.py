"""Markdown tables of eval results: one run (eval.run) or several side by side (eval.compare).

No model code here, so eval.compare starts in a blink.
"""

import json
from pathlib import Path

from tinyllm.errors import TinyLLMError

RESULTS = "results.json"
_PERCENT_HINTS = ("acc", "match", "found", "chance", "share", "distinct", "repetition", "centred")
PROJECT_SUITES = ("cloze", "qa", "arithmetic", "dialogue")  # the report card's rows of the project's benchmarks


def is_percent(metric: str) -> bool:
    last = metric.rsplit("/", 1)[-1]
    return any(h in last for h in _PERCENT_HINTS)


def fmt(metric: str, value) -> str:
    if value is None:
        return "–"
    if is_percent(metric):
        return f"{100 * value:.1f}%"
    if metric.endswith("ppl"):
        return f"{value:.2f}"
    if metric.endswith("words") or metric.endswith("per_s"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def load_results(path) -> dict:
    """results.json from a run directory (or the file itself)."""
    path = Path(path)
    file = path / RESULTS if path.is_dir() else path
    if not file.is_file():
        raise TinyLLMError(f"{path}: no {RESULTS} here (write one with python -m eval.run CHECKPOINT --out {path})")
    try:
        results = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise TinyLLMError(f"{file}:{err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(results, dict) or not isinstance(results.get("metrics"), dict):
        raise TinyLLMError(f"{file}: not an eval.run results file (no 'metrics')")
    return results


def results_table(results: dict) -> str:
    rows = ["| metric | value | chance | n |", "|---|---|---|---|"]
    for metric, value in results["metrics"].items():
        chance = results.get("chance", {}).get(metric)
        n = results.get("n", {}).get(metric)
        rows.append(f"| {metric} | {fmt(metric, value)} | {fmt(metric, chance) if chance is not None else ''} | "
                    f"{n if n is not None else ''} |")
    return "\n".join(rows)


def compare_table(runs: list[dict]) -> str:
    """One row per metric (in the order the runs first name them), one column per run."""
    metrics, chance = [], {}
    for run in runs:
        for m in run["metrics"]:
            if m not in metrics:
                metrics.append(m)
        for m, c in run.get("chance", {}).items():
            chance.setdefault(m, c)
    labels = [run.get("label") or f"run {i + 1}" for i, run in enumerate(runs)]
    rows = ["| metric | chance | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(runs)]
    for m in metrics:
        cells = [fmt(m, run["metrics"].get(m)) for run in runs]
        rows.append(f"| {m} | {fmt(m, chance[m]) if m in chance else ''} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def samples_markdown(samples: list[dict], limit: int | None = None) -> str:
    out = []
    for s in samples[:limit]:
        out.append(f"**{s['prompt']}**")
        for mode in ("greedy", "sampled"):
            if mode in s:
                end = " ⏎</s>" if s.get(f"{mode}_ended") else " …"
                out.append(f"- {mode}: {s['prompt']}{s[mode]}{end}".replace("\n", " ⏎ "))
        if "expected" in s:
            out.append(f"- expected: {s['expected']}")
        out.append("")
    return "\n".join(out)


def results_markdown(results: dict) -> str:
    lines = [f"# {results.get('label', 'eval')}", "",
             f"checkpoint `{results.get('checkpoint')}`, {results.get('date', '')}, "
             f"{results.get('seconds', 0):.0f}s", "", results_table(results), ""]
    samples = results.get("suites", {}).get("samples", {}).get("samples")
    if samples:
        lines += ["## Samples", "", samples_markdown(samples)]
    return "\n".join(lines)


def _task_names(runs: list[dict]) -> list[str]:
    names = []
    for run in runs:
        for name, details in run.get("suites", {}).items():
            if isinstance(details, dict) and "task" in details and name not in names:
                names.append(name)
    return names


def report_card(runs: list[dict]) -> str:
    """The stages side by side (pretrain -> SFT -> DPO -> ...): the standard tasks' headline rows
    with each one's centred accuracy and their average, the project's own benchmarks, perplexity.
    Per-subject rows stay in results.md and eval.compare; a run without a row shows "–"."""
    tasks = _task_names(runs)
    labels = [run.get("label") or f"run {i + 1}" for i, run in enumerate(runs)]
    head = ["| metric | chance | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(runs)]

    def rows(keep) -> list[str]:
        picked = [m for m in dict.fromkeys(m for run in runs for m in run["metrics"]) if keep(m)]
        chance = {m: c for run in runs for m, c in run.get("chance", {}).items()}
        return [f"| {m} | {fmt(m, chance[m]) if m in chance else ''} | "
                + " | ".join(fmt(m, run["metrics"].get(m)) for run in runs) + " |" for m in picked]

    out = ["# Report card", "", " → ".join(labels), ""]
    if tasks:
        shots = sorted({run["suites"][t].get("shots") for run in runs for t in tasks if t in run.get("suites", {})})
        out += [f"## Standard tasks ({', '.join(map(str, shots))}-shot)", "", *head]
        out += rows(lambda m: m.split("/", 1)[0] in tasks and m.split("/", 1)[1] in ("acc", "acc_norm", "ppl"))
        for t in tasks:  # centred accuracy of each task's primary metric
            cells = [run.get("suites", {}).get("summary", {}).get("per_task", {}).get(t) for run in runs]
            out.append(f"| {t} centred | 0.0% | " + " | ".join(fmt("centred", c) for c in cells) + " |")
        out.append("| **summary/centred** | 0.0% | "
                   + " | ".join(fmt("centred", run["metrics"].get("summary/centred")) for run in runs) + " |")
        out.append("")
    project = rows(lambda m: m.split("/", 1)[0] in PROJECT_SUITES and not m.split("/", 1)[1].startswith("acc_"))
    if project:
        out += ["## The project's own benchmarks", "", *head, *project, ""]
    ppl = rows(lambda m: m.startswith("ppl/"))
    if ppl:
        out += ["## Perplexity", "", *head, *ppl, ""]
    return "\n".join(out)
