"""Make a prompt set for online RL (stages.grpo) from conversations with checkable answers.

    python -m data_prep.prompts --train runs/corpus/dialogues_train.jsonl \
        --test runs/corpus/dialogues_test.jsonl --out runs/prompts
    python -m data_prep.prompts --train my_chats.jsonl --test-fraction 0.1 --out runs/my_prompts

Input: any messages-format JSONL (the synthetic dialogues, or your own) whose records end with
an assistant turn. Each record becomes one prompt: the conversation before its last assistant
turn; that turn is kept as `reference` and the record's `answer` field (the synthetic dialogues
carry one) as `answer`. Records without `answer` are kept with answer null unless
`--require-answers` (the `exact` reward refuses prompts without one).
The held-out split comes from `--test`, or from `--test-fraction` of --train chosen by a hash of
the prompt text; either way a training prompt that also occurs in the test split is dropped,
so held-out questions are never trained on. Writes OUT/train.jsonl, OUT/test.jsonl and
OUT/manifest.json (tinyllm.prompts describes the records).
"""

import argparse
import hashlib
import json
from pathlib import Path

from data_prep.sources import iter_records
from tinyllm.atomic import write_json, write_text
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.sft_data import check_messages


def _kind(record: dict) -> str:
    kinds = record.get("kinds")
    return kinds[-1] if isinstance(kinds, list) and kinds else record.get("type", "other")


def read_prompts(path, kinds: set[str] | None = None, require_answers: bool = False) -> list[dict]:
    """Prompt records from a messages-format JSONL (see the module docstring)."""

    if not Path(path).is_file():
        raise TinyLLMError(f"{path}: conversation file not found")
    out = []
    for where, record in iter_records(path):
        if isinstance(record, Exception):
            raise TinyLLMError(str(record))
        if not isinstance(record, dict) or "messages" not in record:
            raise TinyLLMError(f"{where}: expected a record with 'messages'")
        try:
            check_messages(record["messages"], where)
        except ValueError as err:
            raise TinyLLMError(str(err)) from None
        answer = record.get("answer")
        if answer is not None and not isinstance(answer, str):
            answer = str(answer)
        if require_answers and not answer:
            raise TinyLLMError(f"{where}: no 'answer' field (--require-answers)")
        kind = _kind(record)
        if kinds and kind not in kinds:
            continue
        out.append({"id": record.get("id", where), "kind": kind, "prompt": record["messages"][:-1],
                    "answer": answer or None, "reference": record["messages"][-1]["content"]})
    return out


def _key(record: dict) -> str:
    return json.dumps(record["prompt"], sort_keys=True, ensure_ascii=False)


def split_prompts(train: list[dict], test: list[dict] | None, test_fraction: float) -> tuple[list[dict], list[dict]]:
    """(train, test) with no test prompt among the training ones."""
    if test is None:
        def held(r):
            return int(hashlib.sha256(_key(r).encode()).hexdigest()[:8], 16) / 16 ** 8 < test_fraction
        train, test = [r for r in train if not held(r)], [r for r in train if held(r)]
    held_out = {_key(r) for r in test}
    return [r for r in train if _key(r) not in held_out], test


def write_prompts(out, train: list[dict], test: list[dict], sources: dict) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, records in (("train", train), ("test", test)):
        write_text(out / f"{name}.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    write_json(out / "manifest.json", {"train": len(train), "test": len(test), **sources})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True, help="messages-format JSONL")
    parser.add_argument("--test", help="held-out messages-format JSONL (default: --test-fraction of --train)")
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--kinds", help="keep only these question kinds (comma-separated, e.g. arithmetic)")
    parser.add_argument("--require-answers", action="store_true", help="refuse records without an 'answer'")
    parser.add_argument("--out", required=True, help="output directory")
    args = parser.parse_args(argv)
    if not 0 < args.test_fraction < 1:
        raise TinyLLMError(f"--test-fraction must be in (0, 1), got {args.test_fraction}")
    kinds = set(args.kinds.split(",")) if args.kinds else None
    train = read_prompts(args.train, kinds, args.require_answers)
    test = read_prompts(args.test, kinds, args.require_answers) if args.test else None
    train, test = split_prompts(train, test, args.test_fraction)
    if not train or not test:
        raise TinyLLMError(f"{args.train}: {len(train)} training and {len(test)} held-out prompts; need both")
    write_prompts(args.out, train, test, {"sources": {"train": args.train, "test": args.test}, "kinds": args.kinds})
    answered = sum(r["answer"] is not None for r in train + test)
    print(f"{args.out}: {len(train):,} training and {len(test):,} held-out prompts ({answered:,} with answers)")
    return 0


if __name__ == "__main__":
    run_cli(main)
