"""Turn dialogue files into the SFT pickle: token ids plus an assistant-only loss mask.

    python -m data_prep.sft --tokenizer runs/quickstart/tokenizer \
        --source runs/quickstart/corpus/dialogues_train.jsonl --out runs/quickstart/sft/train.pkl

Formats (per record, detected or forced with --format; .jsonl or a .json array, either possibly
compressed .gz/.bz2/.xz/.zst):
  messages  {"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}
            (the synthetic dialogues are in this format)
  alpaca    {"instruction": ..., "input": optional, "output": ..., "system": optional,
             "history": optional [[user, assistant], ...] earlier turns, kept}
  sharegpt  {"conversations": [{"from": "system"|"human"|"gpt", "value": ...}, ...], "system": optional}
Role spellings (human/user/prompter, gpt/assistant/bot/model/chatgpt, system) and key spellings
(role/content, from/value) are accepted in both list layouts: data_prep.formats.
Each conversation is rendered with the tokenizer's one chat template; the mask covers what
the assistant says and its <|im_end|>. Longer than --max-len: dropped (default) or truncated,
and counted. The output pickle holds plain lists and numbers plus a header; it is written
atomically and read back only through tinyllm.sft_data.load_sft.
"""

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from data_prep.formats import SFT_FORMATS, assistant_turns, sft_messages
from data_prep.sources import expand
from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.records import iter_records
from tinyllm.sft_data import check_messages, render, save_sft
from tinyllm.tokenizer import fingerprint, load_tokenizer

FORMATS = SFT_FORMATS
DROP_WARN = 0.10  # warn when more than this share of the conversations is dropped for length


def to_messages(record, where: str, fmt: str | None = None) -> list[dict]:
    """Any supported record -> [{"role", "content"}, ...] (not yet validated)."""
    return sft_messages(record, where, fmt)[0]


FALLBACK_MAX_LEN = 512


def _context(config_dir) -> int | None:
    """max_position_embeddings of a checkpoint directory's config.json, or None."""
    import json

    try:
        context = json.loads((Path(config_dir) / "config.json").read_text(encoding="utf-8")).get("max_position_embeddings")
    except (OSError, ValueError, AttributeError):
        return None
    return context if isinstance(context, int) and context >= 2 else None


def _recipe_context(recipe) -> tuple[int, str]:
    """The context a recipe gives its model: a pretraining recipe's seq_len, or the context of the
    checkpoint an SFT recipe's `model` names."""
    import yaml

    try:
        keys = yaml.safe_load(Path(recipe).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise TinyLLMError(f"{recipe}: cannot read the recipe ({type(err).__name__})") from None
    keys = keys if isinstance(keys, dict) else {}
    if isinstance(keys.get("seq_len"), int):
        return keys["seq_len"], f"seq_len of {recipe}"
    model = keys.get("model")
    if isinstance(model, str) and _context(model):
        return _context(model), f"the context of {model}, the model of {recipe}"
    raise TinyLLMError(f"{recipe}: neither a seq_len nor a model checkpoint with a config.json "
                       f"(model: {model!r}); pass --max-len")


def default_max_len(tokenizer_dir, model=None, recipe=None) -> tuple[int, str]:
    """--max-len when none is given, and where it came from: the context (max_position_embeddings)
    of --model, else the recipe's, else of --tokenizer when it is a checkpoint, else 512."""
    if model is not None:
        if _context(model) is None:
            raise TinyLLMError(f"{model}: no config.json with max_position_embeddings (is it a checkpoint?)")
        return _context(model), f"the context of {model}"
    if recipe is not None:
        return _recipe_context(recipe)
    if _context(tokenizer_dir):
        return _context(tokenizer_dir), f"the context of {tokenizer_dir}"
    return FALLBACK_MAX_LEN, ("no model context known; pass --max-len, --model CHECKPOINT or --recipe RECIPE.yaml "
                              "to use the model's context")


def build_sft(sources, out, tokenizer_dir, max_len=FALLBACK_MAX_LEN, policy="drop", fmt=None, skip_bad=False) -> dict:
    if policy not in ("drop", "truncate"):
        raise TinyLLMError(f"truncation policy must be drop or truncate, not '{policy}'")
    tok = load_tokenizer(tokenizer_dir)
    files = [f for spec in sources for f in expand(spec)]
    samples, skipped, first_skip = [], 0, None
    stats = {"conversations": 0, "multi_turn": 0, "dropped_too_long": 0, "truncated": 0, "dropped_no_target_left": 0}
    layouts: dict[str, int] = {}
    for path in files:
        for where, record in tqdm(iter_records(path), desc=Path(path).name, unit=" conv", disable=None):
            try:
                if isinstance(record, Exception):
                    raise record
                messages, layout = sft_messages(record, where, fmt)
                check_messages(messages, where)
            except ValueError as err:
                if not skip_bad:
                    raise TinyLLMError(f"{err} (pass --skip-bad to skip such records)") from None
                skipped += 1
                first_skip = first_skip or str(err)
                continue
            stats["conversations"] += 1
            stats["multi_turn"] += assistant_turns(messages) > 1
            layouts[layout] = layouts.get(layout, 0) + 1
            ids, mask = render(tok, messages)
            if len(ids) > max_len:
                if policy == "drop":
                    stats["dropped_too_long"] += 1
                    continue
                ids, mask = ids[:max_len], mask[:max_len]
                stats["truncated"] += 1
                if not any(mask):
                    stats["dropped_no_target_left"] += 1
                    continue
            samples.append({"input_ids": ids, "assistant_mask": mask})
    if not samples:
        if stats["conversations"]:
            if policy == "drop":
                raise TinyLLMError(f"{', '.join(files)}: no sample left: {stats['dropped_too_long']} longer than "
                                   f"max_len {max_len} were dropped (raise --max-len or use --policy truncate)")
            raise TinyLLMError(f"{', '.join(files)}: no sample left: {stats['dropped_no_target_left']} had no "
                               f"assistant token within max_len {max_len} after truncation (raise --max-len)")
        raise TinyLLMError(f"{', '.join(files)}: no conversations found")
    lengths = sorted(len(s["input_ids"]) for s in samples)
    header = {
        "tokenizer_fingerprint": fingerprint(tok), "tokenizer": str(tokenizer_dir), "sources": files,
        "max_len": max_len, "policy": policy, "samples_written": len(samples), "skipped_bad_records": skipped,
        "tokens": sum(lengths), "target_tokens": sum(sum(s["assistant_mask"]) for s in samples),
        "median_length": lengths[len(lengths) // 2], "layouts": layouts, **stats,
    }
    save_sft(out, samples, header)
    kinds = ", ".join(f"{n:,} {name}" for name, n in sorted(layouts.items()))
    print(f"sft data: {len(samples):,} samples from {stats['conversations']:,} conversations ({kinds}; "
          f"{stats['multi_turn']:,} multi-turn), {header['tokens']:,} tokens "
          f"({header['target_tokens']:,} trained on), median length {header['median_length']}; "
          f"{stats['dropped_too_long']} dropped and {stats['truncated']} truncated at max_len {max_len}"
          + (f", {skipped} bad record(s) skipped, first: {first_skip}" if skipped else "") + f" -> {out}")
    lost = stats["dropped_too_long"] + stats["dropped_no_target_left"]
    if lost > DROP_WARN * stats["conversations"]:
        print(f"warning: {lost:,} of {stats['conversations']:,} conversations ({100 * lost / stats['conversations']:.0f}%) "
              f"were dropped for length at max_len {max_len}; raise --max-len or use --policy truncate",
              file=sys.stderr)
    return header


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True, help="tokenizer directory (its chat template renders)")
    parser.add_argument("--source", nargs="+", required=True, help=".jsonl / .json files or quoted globs")
    parser.add_argument("--out", required=True, help="output pickle, e.g. runs/sft/train.pkl")
    parser.add_argument("--max-len", type=int, help="longest sample in tokens (default: the model's context, "
                        "max_position_embeddings of --model, else of --recipe's model or its seq_len, else of "
                        f"--tokenizer when it is a checkpoint directory, else {FALLBACK_MAX_LEN}; the first line "
                        "printed says which)")
    parser.add_argument("--model", help="the checkpoint the SFT run will start from: --max-len defaults to its context")
    parser.add_argument("--recipe", help="an SFT recipe (its `model`) or a pretraining recipe (its `seq_len`): "
                        "--max-len defaults to that context")
    parser.add_argument("--policy", choices=("drop", "truncate"), default="drop", help="what to do with longer samples")
    parser.add_argument("--format", choices=FORMATS, help="force a format instead of detecting it per record")
    parser.add_argument("--skip-bad", action="store_true", help="skip and count bad records instead of stopping")
    args = parser.parse_args(argv)
    patches.apply()  # quiet third-party warnings (TINYLLM_VERBOSE=1 shows them); forked workers inherit it
    if args.max_len is None:
        args.max_len, origin = default_max_len(args.tokenizer, args.model, args.recipe)
        print(f"--max-len {args.max_len} ({origin})")
    if args.max_len < 2:
        raise TinyLLMError("--max-len must be at least 2")
    build_sft(args.source, args.out, args.tokenizer, args.max_len, args.policy, args.format, args.skip_bad)


if __name__ == "__main__":
    run_cli(main)
