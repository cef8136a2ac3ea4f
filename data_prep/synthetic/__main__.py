"""Command line of the synthetic corpus generator.

    python -m data_prep.synthetic --out data/synthetic                # 20000/500/500 English stories
    python -m data_prep.synthetic --out data/synthetic-zh --lang zh   # the same in Chinese
    python -m data_prep.synthetic --stats --words 15000000            # richness of 15M words of train stories
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .corpus import DEFAULT_COUNTS, write_corpus
from .stats import corpus_stats
from .stories import LANGS

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _non_negative(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {v}")
    return v


def _positive(s):
    v = _non_negative(s)
    if v == 0:
        raise argparse.ArgumentTypeError("expected a number > 0, got 0")
    return v


def _int(s):
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m data_prep.synthetic",
        description="Generate the embedded synthetic corpus (stories with checkable facts, QA dialogues, "
                    "preference pairs), or measure its richness with --stats.",
        epilog="examples:\n"
               "  python -m data_prep.synthetic --out data/synthetic\n"
               "  python -m data_prep.synthetic --out data/synthetic-zh --lang zh --train-stories 5000\n"
               "  python -m data_prep.synthetic --stats --words 15000000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", metavar="DIR", help="output folder (created; files inside are replaced)")
    p.add_argument("--seed", type=_int, default=0, help="random seed (default 0)")
    p.add_argument("--lang", choices=LANGS, default="en", help="story language (default en)")
    p.add_argument("--train-stories", type=_non_negative, default=DEFAULT_COUNTS["train"], metavar="N",
                   help=f"train stories (default {DEFAULT_COUNTS['train']})")
    p.add_argument("--val-stories", type=_non_negative, default=DEFAULT_COUNTS["val"], metavar="N",
                   help=f"validation stories (default {DEFAULT_COUNTS['val']})")
    p.add_argument("--test-stories", type=_non_negative, default=DEFAULT_COUNTS["test"], metavar="N",
                   help=f"test stories (default {DEFAULT_COUNTS['test']})")
    p.add_argument("--stats", action="store_true",
                   help="print richness statistics of the train stream instead of writing files")
    p.add_argument("--words", type=_positive, metavar="N",
                   help="with --stats: how many words (Chinese: characters) to measure")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if args.stats:
        if args.words is None:
            p.error("--stats needs --words N")
        if args.out:
            p.error("--stats and --out do not go together")
        stats = corpus_stats(args.seed, args.words, args.lang, progress=not args.quiet)
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    if args.words is not None:
        p.error("--words only goes with --stats")
    if not args.out:
        p.error("give --out DIR to write a corpus, or --stats --words N to measure one")
    try:
        manifest = write_corpus(args.out, seed=args.seed, lang=args.lang, train_stories=args.train_stories,
                                val_stories=args.val_stories, test_stories=args.test_stories,
                                progress=not args.quiet)
    except OSError as err:
        print(f"error: cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    c = manifest["counts"]
    print(f"wrote {c['train']['stories']}/{c['val']['stories']}/{c['test']['stories']} train/val/test stories "
          f"({sum(manifest['words'].values())} {manifest['word_unit']}) to {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
