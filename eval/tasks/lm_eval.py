"""lm-eval-harness task YAMLs for the standard tasks read from the user's own files, offline.

    python -m eval.tasks.lm_eval --task hellaswag=data/hellaswag --task mmlu=data/mmlu/data --out runs/lm_eval_tasks
    lm_eval --model hf --model_args pretrained=runs/quickstart/pretrain/final --include_path runs/lm_eval_tasks \\
        --tasks tinyllm_hellaswag,tinyllm_mmlu --num_fewshot 5 --device cpu

Each task (one per subject for MMLU / CMMLU / C-Eval, tagged with the task's name so one name
runs them all) loads its documents through eval.tasks.formats from the file the YAML names, so
lm-eval sees the same queries, choices, descriptions and few-shot pool as `eval.run --task`;
`<s>` opens every prompt through the description field (the tokenizer does not add it). For
MMLU-style tasks lm-eval takes the same first-k dev questions, so k-shot numbers agree item by
item; the random-shot tasks draw other examples than eval.run does, so only their 0-shot numbers
are comparable. Requires the optional extra: pip install -e '.[lm-eval]'.
"""

import argparse
import json
from pathlib import Path

from eval.tasks import check_task_specs
from eval.tasks.formats import read_task
from tinyllm.atomic import write_text
from tinyllm.errors import TinyLLMError, run_cli

REPO = Path(__file__).resolve().parents[2]
SHIM = '''"""Loads the tasks of the YAMLs beside this file through eval.tasks (written by python -m eval.tasks.lm_eval)."""
import sys

sys.path.insert(0, {repo!r})
from eval.tasks.lm_eval import dataset  # noqa: E402


def load(**kwargs):
    return dataset(**kwargs)
'''


def documents(kind: str, path: str, subject: str | None = None, bos: str = "<s>") -> dict:
    """{"test": docs, "train": few-shot docs} of one task (one subject), as lm-eval reads them."""
    task = read_task(kind, path)

    def doc(item):
        out = {"query": item["query"], "description": bos + task.descriptions.get(item.get("subject"), "")}
        if task.mode == "cont":
            out["target"] = item["target"]
        else:
            out["choices"], out["label"] = item["choices"], item["label"]
        return out

    test = [doc(i) for i in task.items if subject is None or i.get("subject") == subject]
    pool = task.fewshot.get(subject, task.fewshot.get(None)) or []
    return {"test": test, "train": [doc(i) for i in pool if i["query"] not in {d["query"] for d in test}]}


def dataset(kind: str, path: str, subject: str | None = None, bos: str = "<s>", **_):
    import datasets

    docs = documents(kind, path, subject, bos)
    return datasets.DatasetDict({split: datasets.Dataset.from_list(rows) for split, rows in docs.items() if rows})


def task_yaml(name: str, kind: str, path: str, subject: str | None, tag: str | None, sampler: str, mode: str,
              delimiter: str, has_train: bool) -> str:
    lines = [f"# {kind} from {path}" + (f", subject {subject}" if subject else "") + " (python -m eval.tasks.lm_eval)"]
    if tag:
        lines.append(f"tag: {tag}")
    lines += [f"task: {name}", "custom_dataset: !function utils.load", "test_split: test"]
    if has_train:
        lines += ["fewshot_split: train"] + (["fewshot_config:", f"  sampler: {sampler}"] if sampler == "first_n" else [])
    lines += ["description: description", "doc_to_text: query", f"target_delimiter: {json.dumps(delimiter)}"]
    if mode == "cont":
        lines += ["output_type: loglikelihood", "doc_to_target: target", "metric_list:",
                  "  - metric: perplexity", "    aggregation: perplexity", "    higher_is_better: false",
                  "  - metric: acc", "    aggregation: mean", "    higher_is_better: true"]
    else:
        lines += ["output_type: multiple_choice", "doc_to_choice: choices", "doc_to_target: label", "metric_list:",
                  "  - metric: acc", "    aggregation: mean", "    higher_is_better: true",
                  "  - metric: acc_norm", "    aggregation: mean", "    higher_is_better: true"]
    meta = {"kind": kind, "path": str(Path(path).resolve()), **({"subject": subject} if subject else {})}
    lines += ["metadata:", "  version: 1.0"] + [f"  {k}: {json.dumps(v)}" for k, v in meta.items()]
    return "\n".join(lines) + "\n"


def write_tasks(specs: list[str], out_dir) -> dict[str, list[str]]:
    """The YAMLs (and the loader beside them) for `--task` specs; {task name: lm-eval task names}."""
    out = Path(out_dir)
    written = {}
    for kind, name, path in check_task_specs(specs):
        task = read_task(kind, path)  # a bad file is refused here, not inside lm-eval
        subjects = sorted({i["subject"] for i in task.items if i.get("subject")})
        names = []
        for subject in subjects or [None]:
            lm_name = f"tinyllm_{name}" + (f"_{subject}" if subject else "")
            pool = task.fewshot.get(subject, task.fewshot.get(None))
            write_text(out / f"{lm_name}.yaml", task_yaml(lm_name, kind, path, subject, f"tinyllm_{name}" if subject
                                                          else None, task.sampler, task.mode, task.delimiter,
                                                          bool(pool)))
            names.append(lm_name)
        written[name] = names
    write_text(out / "utils.py", SHIM.format(repo=str(REPO)))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", action="append", default=[], metavar="KIND=PATH", required=True,
                        help="as eval.run --task (repeatable)")
    parser.add_argument("--out", required=True, help="folder for the YAMLs (lm_eval --include_path OUT)")
    args = parser.parse_args(argv)
    written = write_tasks(args.task, args.out)
    if not written:
        raise TinyLLMError("no --task given")
    for name, names in written.items():
        print(f"{name}: lm_eval --tasks tinyllm_{name} ({len(names)} task{'s' if len(names) > 1 else ''}) "
              f"--include_path {args.out}")
    return 0


if __name__ == "__main__":
    run_cli(main)
