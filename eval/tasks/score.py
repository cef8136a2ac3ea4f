"""k-shot prompts for the standard tasks, and their scoring by log-likelihood (the lm-eval-harness way).

The prompt of an item (lm-eval's layout, so its YAMLs score the same strings):

    DESCRIPTION                                   (MMLU / CMMLU / C-Eval: one line per subject + blank line)
    SHOT_1_QUERY + DELIM + SHOT_1_ANSWER + "\\n\\n"
    ...
    SHOT_k_QUERY + DELIM + SHOT_k_ANSWER + "\\n\\n"
    QUERY                                         then each option: DELIM + CHOICE

DELIM is " " for the published tasks and "" for the generic `mc` / `cont` files. Shots come from
the task's own train / dev split, never from the scored split, and never an item with the scored
item's query: MMLU-style tasks take the subject's first k dev questions (as lm-eval does); the
others draw k with `random.Random(seed * 1_000_003 + i)` for the item at position i of its file,
so a prompt does not depend on --limit or on the other items.

Scores (`<s>` opens every context, as it opens every pretraining document):
  acc       the option with the highest summed log-probability is the label (ties: the first);
  acc_norm  the same per character of the choice text (lm-eval's length normalisation: the
            choice as written, without DELIM);
  continuation tasks (LAMBADA, `cont`): acc = the continuation is the greedy decoding token by
            token; ppl = exp(-mean summed log-probability per item), lm-eval's perplexity.
When every option is one token (MMLU's " A".." D") the item costs one forward pass: the options
are read off the last position of the shared context.
"""

import math
import random
from collections import defaultdict

from eval.likelihood import last_logprobs
from eval.tasks.formats import Task
from tinyllm.errors import TinyLLMError
from tinyllm.model import model_window

SEED = 1234


def shots_for(task: Task, index: int, item: dict, shots: int, seed: int = SEED) -> list[dict]:
    """The k examples shown before item number `index` of the task's file."""
    if shots == 0:
        return []
    subject = item.get("subject")
    pool = task.fewshot.get(subject, task.fewshot.get(None))
    if not pool:
        where = f"the dev split of subject '{subject}'" if subject else "a train split"
        raise TinyLLMError(f"{task.path}: --shots {shots} needs {where} beside the {task.kind} file (none found); "
                           f"use --shots 0")
    pool = [ex for ex in pool if ex["query"] != item["query"]]  # an item never shows its own answer
    if len(pool) < shots:
        raise TinyLLMError(f"{task.path}: --shots {shots} but the few-shot split has only {len(pool)} usable items"
                           + (f" for subject '{subject}'" if subject else ""))
    if task.sampler == "first_n":
        return pool[:shots]
    return random.Random(seed * 1_000_003 + index).sample(pool, shots)


def answer_of(example: dict) -> str:
    return example["target"] if "target" in example else example["choices"][example["label"]]


def build_prompt(task: Task, item: dict, examples: list[dict]) -> str:
    head = task.descriptions.get(item.get("subject"), "")
    return head + "".join(ex["query"] + task.delimiter + answer_of(ex) + "\n\n" for ex in examples) + item["query"]


def requests(task: Task, items: list[dict], indices: list[int], shots: int, seed: int = SEED) -> list[tuple]:
    """(context, [continuation, ...]) per item: its options, or its one continuation."""
    out = []
    for i, item in zip(indices, items):
        context = build_prompt(task, item, shots_for(task, i, item, shots, seed))
        conts = [task.delimiter + item["target"]] if task.mode == "cont" else [task.delimiter + c for c in item["choices"]]
        out.append((context, conts))
    return out


def score_requests(model, tok, reqs: list[tuple], batch_size: int = 32, progress: bool = False,
                   desc: str = "score") -> list[tuple[list[float], list[bool]]]:
    """Per request: each continuation's summed log-probability and whether it is the greedy one."""
    import torch
    from tqdm import tqdm

    window = model_window(model)
    rows = []  # (input ids, [targets per continuation, each as long as the kept positions], request index)
    for r, (context, conts) in enumerate(reqs):
        ctx = [tok.bos_token_id, *tok.encode(context, add_special_tokens=False)]
        ids = [tok.encode(c, add_special_tokens=False) for c in conts]
        if any(not c for c in ids):
            raise TinyLLMError(f"an empty continuation after {context[-40:]!r}")
        if len(ids) > 1 and all(len(c) == 1 for c in ids):
            rows.append((ctx[-window:], ids, r))  # one forward pass: every option at the last position
            continue
        for c in ids:
            seq = (ctx + c)[-(window + 1):]
            rows.append((seq[:-1], [seq[len(seq) - len(c):]], r))
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i][0]))
    scores = [[] for _ in reqs]
    found = {}
    for start in tqdm(range(0, len(order), batch_size), desc=desc, unit="batch", disable=not progress or None):
        idx = order[start:start + batch_size]
        keep = max(len(rows[i][1][0]) for i in idx)  # left padding: every row's targets end at the last position
        logp = last_logprobs(model, [rows[i][0] for i in idx], keep).cpu()
        best = logp.argmax(-1)
        for b, i in enumerate(idx):
            for targets in rows[i][1]:
                n = len(targets)
                t = torch.tensor(targets)
                lp = float(logp[b, keep - n:].gather(-1, t.unsqueeze(-1)).sum())
                found.setdefault(i, []).append((lp, bool((best[b, keep - n:] == t).all())))
    for i in range(len(rows)):  # back in request order, options in their order
        scores[rows[i][2]] += found[i]
    return [([lp for lp, _ in s], [g for _, g in s]) for s in scores]


def pick(values: list[float]) -> int:
    """The index of the highest value; ties go to the first (numpy.argmax, as lm-eval)."""
    return max(range(len(values)), key=lambda j: values[j])


def item_results(task: Task, items: list[dict], scored: list[tuple]) -> list[dict]:
    out = []
    for item, (lps, greedy) in zip(items, scored):
        if task.mode == "cont":
            out.append({"logprob": lps[0], "greedy": greedy[0], "correct": greedy[0]})
            continue
        norm = [lp / max(1, len(c)) for lp, c in zip(lps, item["choices"])]
        p, pn = pick(lps), pick(norm)
        out.append({"logprobs": lps, "pick": p, "pick_norm": pn,
                    "correct": p == item["label"], "correct_norm": pn == item["label"]})
    return out


def task_metrics(task: Task, items: list[dict], results: list[dict]) -> list[tuple]:
    """(metric, value, n, chance) rows: acc (and acc_norm / ppl), then acc per subject."""
    n = len(items)
    if task.mode == "cont":
        mean_lp = sum(r["logprob"] for r in results) / n
        return [("acc", sum(r["correct"] for r in results) / n, n, 0.0), ("ppl", math.exp(-mean_lp), n, None)]
    chance = sum(1 / len(i["choices"]) for i in items) / n
    rows = [("acc", sum(r["correct"] for r in results) / n, n, chance),
            ("acc_norm", sum(r["correct_norm"] for r in results) / n, n, chance)]
    groups = defaultdict(list)
    for item, r in zip(items, results):
        if item.get("subject") is not None:
            groups[item["subject"]].append((item, r))
    if len(groups) > 1:
        for subject, pairs in sorted(groups.items()):
            rows.append((f"acc_{subject}", sum(r["correct"] for _, r in pairs) / len(pairs), len(pairs),
                         sum(1 / len(i["choices"]) for i, _ in pairs) / len(pairs)))
    return rows


def limited(task: Task, limit: int | None) -> tuple[list[dict], list[int]]:
    """The items scored and their positions in the file: the first `limit` (per subject where
    the task has subjects, so every subject keeps a row)."""
    if not limit:
        return task.items, list(range(len(task.items)))
    seen = defaultdict(int)
    keep = []
    for i, item in enumerate(task.items):
        if seen[item.get("subject")] < limit:
            seen[item.get("subject")] += 1
            keep.append(i)
    return [task.items[i] for i in keep], keep


def centred(acc: float, chance: float) -> float:
    """(acc - chance) / (1 - chance): 0 at chance, 1 when every item is right (nanochat's CORE)."""
    return (acc - chance) / (1 - chance)
