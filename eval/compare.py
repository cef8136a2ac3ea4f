"""Stages side by side: one row per metric, one column per eval.run result.

    python -m eval.compare runs/quickstart/eval/pretrain runs/quickstart/eval/sft
    python -m eval.compare A B C --out report.md      # also write the table to a file
    python -m eval.compare A B --only cloze,qa        # only rows of these suites
    python -m eval.compare runs/quickstart/eval/pretrain runs/quickstart/eval/sft runs/quickstart/eval/dpo \
        --card runs/quickstart/eval/report.md          # the report card: standard tasks, centred summary,
                                                      # the project's benchmarks, perplexity

Each argument is a directory holding results.json (what `python -m eval.run ... --out DIR`
writes) or the file itself. Rows follow the order the runs first name their metrics; a run that
lacks a metric shows "–"; multiple-choice rows carry their chance level.
"""

import argparse

from eval.report import compare_table, load_results, report_card
from tinyllm.atomic import write_text
from tinyllm.errors import TinyLLMError, run_cli


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="eval.run output directory or results.json")
    parser.add_argument("--label", action="append", default=[], help="column name per run (default: the run's label)")
    parser.add_argument("--only", help="comma-separated suites to show (e.g. cloze,qa)")
    parser.add_argument("--out", help="also write the table (markdown) to this file")
    parser.add_argument("--card", help="also write the report card (stages side by side, markdown) to this file")
    args = parser.parse_args(argv)

    runs = [load_results(path) for path in args.runs]
    if args.label:
        if len(args.label) != len(runs):
            raise TinyLLMError(f"{len(args.label)} --label for {len(runs)} runs; give one per run")
        for run, label in zip(runs, args.label):
            run["label"] = label
    if args.only:
        suites = {s.strip() for s in args.only.split(",") if s.strip()}
        for run in runs:
            run["metrics"] = {m: v for m, v in run["metrics"].items() if m.split("/", 1)[0] in suites}
        if not any(run["metrics"] for run in runs):
            raise TinyLLMError(f"no metric of suite(s) {', '.join(sorted(suites))} in these runs")
    table = compare_table(runs)
    print(table)
    if args.out:
        write_text(args.out, table + "\n")
    if args.card:
        write_text(args.card, report_card(runs) + "\n")
        print(f"report card -> {args.card}")
    return 0


if __name__ == "__main__":
    run_cli(main)
