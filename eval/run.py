"""Evaluate checkpoints: perplexity, the project's benchmarks and continuation samples, as JSON and markdown.

    python -m eval.run runs/quickstart/pretrain/final
    python -m eval.run runs/ptm_24m/final --suite cloze --suite ppl --ppl-data runs/data
    python -m eval.run runs/quickstart/pretrain/final runs/quickstart/sft/final --out runs/quickstart/eval
    python -m eval.compare runs/quickstart/eval/pretrain runs/quickstart/eval/sft

Suites (default: all but dialogue, which needs --dialogues):
  ppl         perplexity and bits per byte on --ppl-data: a shard directory (its val split), a
              text / JSONL file, or synthetic:SPLIT:N:SEED (default synthetic:test:200:1000), each
              document scored from its own <s>; and window_loss, the same text as one stream in
              non-overlapping context-length windows (the validation loss llama2.c / nanoGPT publish);
  cloze       eval/benchmarks/story_cloze.jsonl: the story up to a later mention of one of its
              facts, 4 options scored by log-likelihood (acc, acc_norm, and acc per fact kind);
  qa          eval/benchmarks/story_qa.jsonl: a question about a short story; 4 answer sentences
              scored after the story as plain text (plain_acc) and after the chat template's
              user turn (chat_acc), and a greedy chat reply (answer_found, exact_match);
  arithmetic  eval/benchmarks/arithmetic.jsonl: a counting passage cut before the result,
              4 consecutive numbers scored (acc) and a greedy continuation (exact_match:
              the first word is the result);
  samples     the hand-written prompt sets (eval/benchmarks/prompts_en.jsonl, prompts_zh.jsonl,
              or --prompts FILE), greedy and seeded sampled: distinct-1/2, repetition, mean
              length, EOS share, and exact / contains match where a prompt has `expected`;
  dialogue    eval.dialogue on --dialogues FILE (held-out chats: exact match, answer found).
Standard tasks from local files (eval.tasks; with --task and no --suite, only these run):
  --task hellaswag=DIR|FILE   --task arc_easy=DIR|FILE   --task arc_challenge=DIR|FILE
  --task piqa=DIR|FILE        --task mmlu=DIR            --task cmmlu=DIR      --task ceval=DIR
  --task lambada=FILE         --task mc=FILE.jsonl ({context, options, label})
  --task cont=FILE.jsonl ({context, continuation});   KIND:NAME=PATH names a second file of a kind
  --shots K takes K examples from the task's own train / dev split; summary/centred averages
  (acc - chance) / (1 - chance) over the tasks run.
    python -m eval.run runs/quickstart/pretrain/final --task hellaswag=data/hellaswag --task mmlu=data/mmlu/data \
        --shots 5 --limit 100
  The same files as lm-eval-harness tasks: python -m eval.tasks.lm_eval --task ... --out DIR.

Every suite runs the same way on every checkpoint, so stages compare row by row; multiple-
choice rows come with their chance level (25% for the 4-option benchmarks).

Output: OUT/results.json (every metric, its chance level and item count, per-item details,
the samples) and OUT/results.md. With several checkpoints, each goes to OUT/LABEL/ (labels
default to the run name: runs/quickstart/sft/final -> sft). Without --out: eval-NAME beside
the checkpoint (runs/quickstart/sft/eval-final).
"""

import argparse
import dataclasses
import time
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from eval.options import BENCH_DIR, DEFAULT_PPL_DATA, SAMPLED, SUITE_NAMES, EvalOptions
from eval.report import RESULTS, results_markdown, results_table
from eval.suites import SUITES
from eval.tasks import SUMMARY, centred_summary, check_task_specs, run_task
from eval.tasks.formats import read_task
from tinyllm.atomic import write_json, write_text
from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.generate import add_sampling_args, sampling_options
from tinyllm.model import load_checkpoint


def default_label(checkpoint) -> str:
    path = Path(checkpoint).resolve()
    return path.parent.name if path.name == "final" else path.name


def evaluate_checkpoint(checkpoint, opts: EvalOptions, label: str | None = None, progress: bool = True) -> dict:
    """Every suite on one checkpoint; metrics are named SUITE/METRIC."""
    model, tok = load_checkpoint(checkpoint)
    return evaluate_model(model, tok, checkpoint, opts, label, progress)


def evaluate_model(model, tok, checkpoint, opts: EvalOptions, label: str | None = None, progress: bool = True) -> dict:
    """Every suite of `opts` on a model already in memory (e.g. on a GPU, or quantized) that `checkpoint` names."""
    opts.check()
    results = {"checkpoint": str(checkpoint), "label": label or default_label(checkpoint),
               "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "settings": dataclasses.asdict(opts),
               "metrics": {}, "chance": {}, "n": {}, "suites": {}, "seconds": 0.0}
    start = time.time()
    # Standard tasks are read first, so a bad file stops the run before any suite's minutes are spent.
    tasks = [(name, read_task(kind, path)) for kind, name, path in check_task_specs(opts.tasks, SUITE_NAMES)]
    for name in tqdm(opts.suites, desc=results["label"], unit="suite", disable=not progress or None):
        t0 = time.time()
        suite = SUITES[name](model, tok, opts)
        for part in ("metrics", "chance", "n"):
            results[part].update({f"{name}/{k}": v for k, v in suite[part].items()})
        details = {"seconds": round(time.time() - t0, 2), **suite["details"]}
        if "samples" in suite:
            details["samples"] = suite["samples"]
        results["suites"][name] = details
    for name, task in tasks:
        out = run_task(model, tok, task, opts.shots, opts.limit, opts.seed, opts.batch_size, progress, name)
        for part in ("metrics", "chance", "n"):
            results[part].update({f"{name}/{k}": v for k, v in out[part].items()})
        results["suites"][name] = out["details"]
    summary = centred_summary(results)
    if summary:
        results["metrics"][f"{SUMMARY}/centred"] = summary["value"]
        results["n"][f"{SUMMARY}/centred"] = summary["n"]
        results["suites"][SUMMARY] = summary
    results["seconds"] = round(time.time() - start, 1)
    return results


def write_results(out_dir, results: dict) -> None:
    write_json(Path(out_dir) / RESULTS, results)
    write_text(Path(out_dir) / "results.md", results_markdown(results) + "\n")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT", help="model directories (plain HF)")
    parser.add_argument("--suite", action="append", default=[], help=f"suite(s) to run, repeatable or comma-separated "
                        f"({', '.join(SUITE_NAMES)}; default all but dialogue, plus dialogue with --dialogues)")
    parser.add_argument("--out", help="output directory (with several checkpoints: one subdirectory per label)")
    parser.add_argument("--label", action="append", default=[], help="name per checkpoint in tables (in order)")
    parser.add_argument("--limit", type=int, help="first N items of each benchmark, N documents, N prompts per file")
    parser.add_argument("--ppl-data", default=DEFAULT_PPL_DATA, help=f"perplexity data (default {DEFAULT_PPL_DATA})")
    parser.add_argument("--prompts", action="append", help="prompt set JSONL for samples (repeatable; default the "
                        "hand-written English and Chinese sets)")
    parser.add_argument("--dialogues", help="messages-format JSONL for the dialogue suite")
    parser.add_argument("--bench-dir", default=BENCH_DIR, help="benchmark files (default eval/benchmarks)")
    parser.add_argument("--reply-tokens", type=int, default=32, help="per chat reply in qa / dialogue (default 32)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--task", action="append", default=[], metavar="KIND=PATH",
                        help="a standard task from a local file or folder (repeatable; see above)")
    parser.add_argument("--shots", type=int, default=0, help="k-shot examples for --task (default 0)")
    parser.add_argument("--fewshot-seed", type=int, default=1234, help="few-shot sampling seed (default 1234)")
    parser.add_argument("--quiet", action="store_true", help="one line per checkpoint instead of its table")
    # The samples suite's sampled mode; its greedy mode takes the length, seed and cache.
    add_sampling_args(parser, SAMPLED)
    return parser


def options(args) -> EvalOptions:
    """EvalOptions from eval.run's parsed flags."""
    return EvalOptions(suites=args.suite or None, limit=args.limit, ppl_data=args.ppl_data, prompts=args.prompts,
                       dialogues=args.dialogues, bench_dir=args.bench_dir, reply_tokens=args.reply_tokens,
                       batch_size=args.batch_size, sampling=sampling_options(args), tasks=args.task,
                       shots=args.shots, seed=args.fewshot_seed).check()


def main(argv=None):
    args = build_parser().parse_args(argv)
    patches.apply()
    opts = options(args)
    if args.label and len(args.label) != len(args.checkpoints):
        raise TinyLLMError(f"{len(args.label)} --label for {len(args.checkpoints)} checkpoints; give one per checkpoint")
    labels = args.label or [default_label(c) for c in args.checkpoints]
    if len(set(labels)) != len(labels):
        raise TinyLLMError(f"checkpoints share a label ({', '.join(labels)}); name them with --label")
    for checkpoint in args.checkpoints:
        if not (Path(checkpoint) / "config.json").is_file():
            raise TinyLLMError(f"{checkpoint}: not a checkpoint directory (no config.json)")

    for checkpoint, label in zip(args.checkpoints, labels):
        if args.out:
            out = Path(args.out) / label if len(args.checkpoints) > 1 else Path(args.out)
        else:
            out = Path(checkpoint).parent / f"eval-{Path(checkpoint).name}"
        results = evaluate_checkpoint(checkpoint, opts, label)
        write_results(out, results)
        print(f"{label} ({checkpoint}, {results['seconds']:.0f}s) -> {out}/results.json, results.md")
        if not args.quiet:
            print("\n" + results_table(results) + "\n")
    return 0


if __name__ == "__main__":
    run_cli(main)
