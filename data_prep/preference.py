"""Validate preference pairs and write them as a `datasets` dataset on disk (train + held-out test).

    python -m data_prep.preference --source runs/corpus/preferences_train.jsonl \
        --heldout runs/corpus/preferences_test.jsonl --out runs/pref_data
    python -m data_prep.preference --source 'hh/*.jsonl' --out runs/hh_pref --skip-bad   # 5 % held out by hash

Record formats (.jsonl, or a .json array, either possibly compressed .gz/.bz2/.xz/.zst, so
hh-rlhf's train.jsonl.gz is read as shipped), detected per record (data_prep.formats):
  {"prompt": str | [messages], "chosen": str | [assistant message], "rejected": ...}
            the synthetic pairs (the story and a question; a correct and a plausible wrong answer)
  {"chosen": [messages], "rejected": [messages]}       full conversations, same but the last turn
  {"chosen": "\\n\\nHuman: ...\\n\\nAssistant: ...", "rejected": "..."}   hh-rlhf transcripts
  {"conversations": [...], "chosen": {"from": "gpt", "value": ...}, "rejected": {...}}
            LLaMA-Factory's sharegpt preference layout
  {"instruction": ..., "input": ..., "output": [chosen, rejected], "history": [...]}
            LLaMA-Factory's alpaca preference layout; a longer `output` is a ranking (best first),
            paired best-vs-worst or, with --ranked first-vs-each, best-vs-each-other
Every pair becomes {"prompt": [messages], "chosen": [assistant], "rejected": [assistant]}, the
conversational form that TRL's reward and DPO trainers render with the tokenizer's one chat
template. Refused, with file:line: chosen equal to rejected, empty fields, transcripts that do not
parse or whose prompts differ, roles out of order. A bad record stops the run; --skip-bad skips
and counts them instead. Without --heldout, --heldout-fraction of the pairs (chosen by a hash of
the prompt, so a prompt never lands in both splits) are held out.
"""

import argparse
import hashlib
import json
from pathlib import Path

from tqdm import tqdm

from data_prep.formats import RANKED_MODES, preference_records
from data_prep.sources import expand
from tinyllm.atomic import atomic_dir, write_json
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.ownership import check_replaceable
from tinyllm.preference import INFO_FILE, to_pair
from tinyllm.records import iter_records


def read_pairs(sources, skip_bad: bool, ranked: str = "first-vs-last", counts: dict | None = None):
    """Validated pairs from every file (with their `source` file:line) and the rejection counts.

    `counts` (if given) gathers records read, pairs per layout and multi-turn prompts."""
    pairs, rejected = [], {"count": 0, "first": []}
    counts = counts if counts is not None else {}
    counts.setdefault("records", 0)
    counts.setdefault("multi_turn", 0)
    layouts = counts.setdefault("layouts", {})
    files = [f for spec in sources for f in expand(spec)]
    for path in files:
        for where, record in tqdm(iter_records(path), desc=Path(path).name, unit=" pair", disable=None):
            counts["records"] += 1
            try:
                if isinstance(record, Exception):
                    raise record
                records, layout = preference_records(record, where, ranked)
                found = [to_pair(r, where) for r in records]
            except ValueError as err:
                if not skip_bad:
                    raise TinyLLMError(f"{err} (pass --skip-bad to skip such records)") from None
                rejected["count"] += 1
                if len(rejected["first"]) < 10:
                    rejected["first"].append(str(err))
                continue
            layouts[layout] = layouts.get(layout, 0) + len(found)
            counts["multi_turn"] += sum(sum(m["role"] == "user" for m in p["prompt"]) > 1 for p in found)
            for pair in found:
                pair["source"] = where
                pairs.append(pair)
    return pairs, rejected


def _held_out(pair: dict, fraction: float) -> bool:
    key = json.dumps(pair["prompt"], ensure_ascii=False, sort_keys=True).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2 ** 64 < fraction


def build_preferences(sources, out, heldout=None, heldout_fraction: float = 0.05, skip_bad: bool = False,
                      overwrite: bool = False, ranked: str = "first-vs-last") -> dict:
    from datasets import Dataset, DatasetDict
    from datasets.utils.logging import disable_progress_bar

    out = Path(out)
    if out.exists() and not overwrite:
        raise TinyLLMError(f"{out}: already exists (pass --overwrite to replace it)")
    check_replaceable(out, {"source": list(sources), "heldout": list(heldout or [])}, "--out", "--overwrite")
    if not 0 < heldout_fraction < 1:
        raise TinyLLMError(f"--heldout-fraction must be in (0, 1), got {heldout_fraction}")
    disable_progress_bar()  # one bar per split for a save of a second is noise
    if ranked not in RANKED_MODES:
        raise TinyLLMError(f"--ranked must be one of {', '.join(RANKED_MODES)}, not '{ranked}'")
    counts: dict = {}
    pairs, rejected = read_pairs(sources, skip_bad, ranked, counts)
    if heldout:
        test, rejected_test = read_pairs(heldout, skip_bad, ranked, counts)
        rejected = {"count": rejected["count"] + rejected_test["count"],
                    "first": (rejected["first"] + rejected_test["first"])[:10]}
        train = pairs
    else:
        train = [p for p in pairs if not _held_out(p, heldout_fraction)]
        test = [p for p in pairs if _held_out(p, heldout_fraction)]
    for name, split in (("train", train), ("held-out test", test)):
        if not split:
            raise TinyLLMError(f"{', '.join(sources)}: no {name} pairs left"
                               + (f" ({rejected['count']} rejected, first: {rejected['first'][0]})" if rejected["count"] else ""))
    info = {"sources": list(sources), "heldout": list(heldout) if heldout else None,
            "heldout_fraction": None if heldout else heldout_fraction, "train_pairs": len(train),
            "test_pairs": len(test), "rejected": rejected["count"], "first_rejected": rejected["first"],
            "records": counts["records"], "layouts": counts["layouts"], "multi_turn": counts["multi_turn"],
            "ranked": ranked}
    with atomic_dir(out, overwrite=True, owner="preference dataset") as tmp:
        DatasetDict({"train": Dataset.from_list(train), "test": Dataset.from_list(test)}).save_to_disk(str(tmp))
        write_json(tmp / INFO_FILE, info)
    kinds = ", ".join(f"{n:,} {name}" for name, n in sorted(counts["layouts"].items()))
    print(f"preference data: {counts['records']:,} records -> {len(train):,} train and {len(test):,} held-out pairs "
          f"({kinds}; {counts['multi_turn']:,} multi-turn)"
          + (f", {rejected['count']} bad record(s) skipped, first: {rejected['first'][0]}" if rejected["count"] else "")
          + f" -> {out}")
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", nargs="+", required=True, help=".jsonl / .json files or quoted globs")
    parser.add_argument("--out", required=True, help="output directory (a datasets DatasetDict: train, test)")
    parser.add_argument("--heldout", nargs="+", help="files for the held-out test split (default: a hash-chosen share)")
    parser.add_argument("--heldout-fraction", type=float, default=0.05, help="share held out without --heldout")
    parser.add_argument("--skip-bad", action="store_true", help="skip and count bad records instead of stopping")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--ranked", choices=RANKED_MODES, default="first-vs-last",
                        help="a ranked answer list (best first): pair the best with the worst, or with each other")
    args = parser.parse_args(argv)
    build_preferences(args.source, args.out, args.heldout, args.heldout_fraction, args.skip_bad, args.overwrite,
                      args.ranked)


if __name__ == "__main__":
    run_cli(main)
