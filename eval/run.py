"""Evaluate checkpoints: perplexity, the project's benchmarks and continuation samples, as JSON and markdown.

    python -m eval.run runs/quickstart/pretrain/final
    python -m eval.run runs/ptm_24m/final --suite cloze --suite ppl --ppl-data runs/data
    python -m eval.run runs/quickstart/pretrain/final runs/quickstart/sft/final --out runs/quickstart/eval
    python -m eval.compare runs/quickstart/eval/pretrain runs/quickstart/eval/sft

Suites (default: all but dialogue, which needs --dialogues):
  ppl         perplexity and bits per byte on --ppl-data: a shard directory (its val split), a
              text / JSONL file, or synthetic:SPLIT:N:SEED (default synthetic:test:200:1000);
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
Every suite runs the same way on every checkpoint, so stages compare row by row; multiple-
choice rows come with their chance level (25% for the 4-option benchmarks).

Output: OUT/results.json (every metric, its chance level and item count, per-item details,
the samples) and OUT/results.md. With several checkpoints, each goes to OUT/LABEL/ (labels
default to the run name: runs/quickstart/sft/final -> sft). Without --out: eval-NAME beside
the checkpoint (runs/quickstart/sft/eval-final).
"""

import argparse
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli

BENCH_DIR = Path(__file__).resolve().parent / "benchmarks"
DEFAULT_PPL_DATA = "synthetic:test:200:1000"
DEFAULT_PROMPTS = ("prompts_en.jsonl", "prompts_zh.jsonl")
SUITES = ("ppl", "cloze", "qa", "arithmetic", "samples", "dialogue")


class Suite(dict):
    """metrics / chance / n (items behind each metric) / details of one suite."""

    def __init__(self):
        super().__init__(metrics={}, chance={}, n={}, details={})

    def add(self, name: str, value: float, n: int, chance: float | None = None):
        self["metrics"][name] = value
        self["n"][name] = n
        if chance is not None:
            self["chance"][name] = chance


def load_jsonl(path, limit: int | None = None, required=("options", "label")) -> list[dict]:
    from data_prep.sources import iter_records

    if not Path(path).is_file():
        raise TinyLLMError(f"{path}: benchmark file not found (regenerate with python -m eval.make_benchmarks)")
    items = []
    for where, record in iter_records(path):
        if isinstance(record, Exception):
            raise TinyLLMError(str(record))
        missing = [k for k in required if not isinstance(record, dict) or k not in record]
        if missing:
            raise TinyLLMError(f"{where}: missing '{missing[0]}'")
        if "options" in required:
            options, label = record["options"], record["label"]
            if not (isinstance(options, list) and len(options) >= 2 and all(isinstance(o, str) and o for o in options)):
                raise TinyLLMError(f"{where}: 'options' must be a list of at least 2 non-empty strings")
            if not (isinstance(label, int) and 0 <= label < len(options)):
                raise TinyLLMError(f"{where}: 'label' must be an index into 'options' (0..{len(options) - 1})")
        items.append(record)
        if limit and len(items) >= limit:
            break
    if not items:
        raise TinyLLMError(f"{path}: no items")
    return items


def chance_of(items: list[dict]) -> float:
    return sum(1 / len(i["options"]) for i in items) / len(items)


def mc_suite(suite: Suite, name: str, items: list[dict], results: list[dict], by: str | None = None, norm=False):
    """Accuracy rows for multiple-choice results (and per value of the item field `by`)."""
    from eval.metrics import accuracy

    suite.add(name, accuracy([r["correct"] for r in results]), len(items), chance_of(items))
    if norm:
        suite.add(name + "_norm", accuracy([r["correct_norm"] for r in results]), len(items), chance_of(items))
    if by:
        groups = defaultdict(list)
        for item, r in zip(items, results):
            groups[item[by]].append((item, r["correct"]))
        for key, pairs in sorted(groups.items()):
            suite.add(f"{name}_{key}", accuracy([c for _, c in pairs]), len(pairs), chance_of([i for i, _ in pairs]))


def picks(items, results) -> list[dict]:
    return [{"id": i.get("id"), "label": i["label"], "pick": r["pick"], "logprobs": [round(x, 4) for x in r["logprobs"]]}
            for i, r in zip(items, results)]


# ----------------------------------------------------------------------------------------------- suites

def ppl_documents(spec: str, tok, limit: int | None) -> tuple[list, list[str]]:
    """(token ids per document or None, texts) of a shard directory's val split or a text source."""
    from tinyllm.shards import TokenStream, check_tokenizer, read_meta

    if (Path(spec) / "meta.json").is_file():
        meta = read_meta(spec)
        check_tokenizer(meta, spec, tok)  # decoding with another tokenizer would give other text
        stream = TokenStream(spec, "val", meta)
        flat = stream.read(0, len(stream)).tolist()
        docs, current = [], None
        for t in flat:  # documents are <s> ... </s>, back to back
            if t == tok.bos_token_id:
                current = []
            elif t == tok.eos_token_id:
                if current:
                    docs.append(current)
                current = None
                if limit and len(docs) >= limit:
                    break
            elif current is not None:
                current.append(t)
        return docs, [tok.decode(d) for d in docs]
    from data_prep.sources import iter_documents

    texts = []
    for text in iter_documents(spec):
        texts.append(text)
        if limit and len(texts) >= limit:
            break
    if not texts:
        raise TinyLLMError(f"{spec}: no documents for perplexity")
    return None, texts


def suite_ppl(model, tok, opts) -> Suite:
    from eval.likelihood import perplexity

    docs, texts = ppl_documents(opts.ppl_data, tok, opts.limit)
    result = perplexity(model, tok, texts, opts.batch_size, token_ids=docs)
    suite = Suite()
    suite.add("ppl", result["ppl"], result["tokens"])
    suite.add("bits_per_byte", result["bits_per_byte"], result["bytes"])
    suite["details"] = {"data": opts.ppl_data, **result}
    return suite


def suite_cloze(model, tok, opts) -> Suite:
    from eval.likelihood import multiple_choice

    items = load_jsonl(Path(opts.bench_dir) / "story_cloze.jsonl", opts.limit, ("prompt", "options", "label"))
    results = multiple_choice(model, tok, [dict(i, context=i["prompt"]) for i in items], opts.batch_size)
    suite = Suite()
    mc_suite(suite, "acc", items, results, by="kind" if "kind" in items[0] else None, norm=True)
    suite["details"] = {"items": picks(items, results)}
    return suite


def suite_qa(model, tok, opts) -> Suite:
    from eval.dialogue import evaluate
    from eval.likelihood import multiple_choice, score_token_sequences
    from tinyllm.chat import prompt_ids
    from tinyllm.tokenizer import IM_END

    items = load_jsonl(Path(opts.bench_dir) / "story_qa.jsonl", opts.limit, ("messages", "options", "label"))
    suite = Suite()
    # Plain: the story and question as text, then the answer sentence on the next line.
    plain = multiple_choice(model, tok, [dict(i, context=i["messages"][0]["content"] + "\n") for i in items],
                            opts.batch_size)
    mc_suite(suite, "plain_acc", items, plain)
    # Chat: the conversation through the template, the answer sentence as the assistant's turn.
    im_end = tok.convert_tokens_to_ids(IM_END)
    sequences = [(prompt_ids(tok, i["messages"][:-1]), tok.encode(o, add_special_tokens=False) + [im_end])
                 for i in items for o in i["options"]]
    flat = score_token_sequences(model, sequences, opts.batch_size)
    chat, at = [], 0
    for i in items:
        lps = flat[at:at + len(i["options"])]
        at += len(i["options"])
        pick = max(range(len(lps)), key=lambda j: lps[j])
        chat.append({"logprobs": lps, "pick": pick, "correct": pick == i["label"]})
    mc_suite(suite, "chat_acc", items, chat)  # per kind would be 20 items each: noise, see details
    scores, replies = evaluate(model, tok, items, max_new_tokens=opts.reply_tokens, batch_size=opts.batch_size)
    for key, value in scores["all"].items():
        if key != "n":
            suite.add(key, value, scores["all"]["n"])
    suite["details"] = {"plain": picks(items, plain), "chat": picks(items, chat),
                        "replies": [{"id": i.get("id"), "reply": r, "answer": i.get("answer")}
                                    for i, r in zip(items, replies)]}
    return suite


def suite_arithmetic(model, tok, opts) -> Suite:
    from eval.generation import continue_prompts
    from eval.likelihood import multiple_choice
    from eval.metrics import exact_match

    items = load_jsonl(Path(opts.bench_dir) / "arithmetic.jsonl", opts.limit, ("prompt", "options", "label"))
    results = multiple_choice(model, tok, [dict(i, context=i["prompt"]) for i in items], opts.batch_size)
    suite = Suite()
    mc_suite(suite, "acc", items, results)
    greedy = continue_prompts(model, tok, [i["prompt"] for i in items], max_new_tokens=4, batch_size=opts.batch_size)
    expected = [i.get("expected", i["options"][i["label"]]) for i in items]
    suite.add("exact_match", sum(exact_match(t, e) for (t, _), e in zip(greedy, expected)) / len(items), len(items))
    suite["details"] = {"items": picks(items, results),
                        "greedy": [{"id": i.get("id"), "continuation": t} for i, (t, _) in zip(items, greedy)]}
    return suite


def suite_samples(model, tok, opts) -> Suite:
    from eval.generation import load_prompts, run_prompt_set

    files = opts.prompts or [str(Path(opts.bench_dir) / name) for name in DEFAULT_PROMPTS]
    records = [r for f in files for r in load_prompts(f, opts.limit)]
    out = run_prompt_set(model, tok, records, opts.max_new_tokens, opts.temperature, opts.top_p, opts.seed,
                         opts.batch_size)
    suite = Suite()
    for mode, metrics in out["metrics"].items():
        for key, value in metrics.items():
            if key not in ("n", "n_expected"):
                suite.add(f"{mode}_{key}", value, metrics["n_expected"] if "match" in key else metrics["n"])
    suite["details"] = {"files": files, "settings": out["settings"]}
    suite["samples"] = out["samples"]
    return suite


def suite_dialogue(model, tok, opts) -> Suite:
    from eval.dialogue import evaluate, load_conversations

    if not opts.dialogues:
        raise TinyLLMError("the dialogue suite needs --dialogues FILE (messages-format JSONL)")
    records = load_conversations(opts.dialogues, opts.limit)
    scores, replies = evaluate(model, tok, records, max_new_tokens=opts.reply_tokens, batch_size=opts.batch_size)
    suite = Suite()
    for key, value in scores["all"].items():
        if key != "n":
            suite.add(key, value, scores["all"]["n"])
    suite["details"] = {"data": opts.dialogues, "scores": scores,
                        "replies": [{"id": r.get("id"), "reply": t} for r, t in zip(records, replies)]}
    return suite


RUNNERS = {"ppl": suite_ppl, "cloze": suite_cloze, "qa": suite_qa, "arithmetic": suite_arithmetic,
           "samples": suite_samples, "dialogue": suite_dialogue}


# ----------------------------------------------------------------------------------------------- driver

def default_label(checkpoint) -> str:
    path = Path(checkpoint).resolve()
    return path.parent.name if path.name == "final" else path.name


def evaluate_checkpoint(checkpoint, suites, opts, label: str | None = None, progress: bool = True) -> dict:
    """Every suite on one checkpoint; metrics are named SUITE/METRIC."""
    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(checkpoint)
    return evaluate_model(model, tok, checkpoint, suites, opts, label, progress)


def evaluate_model(model, tok, checkpoint, suites, opts, label: str | None = None, progress: bool = True) -> dict:
    """Every suite on a model already in memory (e.g. on a GPU, or quantized) that `checkpoint` names."""
    from tqdm import tqdm

    results = {"checkpoint": str(checkpoint), "label": label or default_label(checkpoint),
               "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "settings": {
                   k: v for k, v in vars(opts).items() if k not in ("checkpoints", "label", "out", "suite", "quiet")},
               "metrics": {}, "chance": {}, "n": {}, "suites": {}, "seconds": 0.0}
    start = time.time()
    for name in tqdm(suites, desc=results["label"], unit="suite", disable=not progress or None):
        t0 = time.time()
        suite = RUNNERS[name](model, tok, opts)
        for part in ("metrics", "chance", "n"):
            results[part].update({f"{name}/{k}": v for k, v in suite[part].items()})
        details = {"seconds": round(time.time() - t0, 2), **suite["details"]}
        if "samples" in suite:
            details["samples"] = suite["samples"]
        results["suites"][name] = details
    results["seconds"] = round(time.time() - start, 1)
    return results


def write_results(out_dir, results: dict) -> None:
    from eval.report import RESULTS, results_markdown
    from tinyllm.atomic import write_json, write_text

    write_json(Path(out_dir) / RESULTS, results)
    write_text(Path(out_dir) / "results.md", results_markdown(results) + "\n")


def parse_suites(values) -> list[str]:
    names = [s.strip() for v in values for s in v.split(",") if s.strip()]
    for s in names:
        if s not in SUITES:
            raise TinyLLMError(f"unknown suite '{s}' (choose from {', '.join(SUITES)})")
    return list(dict.fromkeys(names))


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT", help="model directories (plain HF)")
    parser.add_argument("--suite", action="append", default=[], help=f"suite(s) to run, repeatable or comma-separated "
                        f"({', '.join(SUITES)}; default all but dialogue, plus dialogue with --dialogues)")
    parser.add_argument("--out", help="output directory (with several checkpoints: one subdirectory per label)")
    parser.add_argument("--label", action="append", default=[], help="name per checkpoint in tables (in order)")
    parser.add_argument("--limit", type=int, help="first N items of each benchmark, N documents, N prompts per file")
    parser.add_argument("--ppl-data", default=DEFAULT_PPL_DATA, help=f"perplexity data (default {DEFAULT_PPL_DATA})")
    parser.add_argument("--prompts", action="append", help="prompt set JSONL for samples (repeatable; default the "
                        "hand-written English and Chinese sets)")
    parser.add_argument("--dialogues", help="messages-format JSONL for the dialogue suite")
    parser.add_argument("--bench-dir", default=str(BENCH_DIR), help="benchmark files (default eval/benchmarks)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="per sample (default 64)")
    parser.add_argument("--reply-tokens", type=int, default=32, help="per chat reply in qa / dialogue (default 32)")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampled generation (default 0.8)")
    parser.add_argument("--top-p", type=float, default=0.95, help="sampled generation (default 0.95)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--quiet", action="store_true", help="one line per checkpoint instead of its table")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    patches.apply()
    suites = parse_suites(args.suite) or [s for s in SUITES if s != "dialogue" or args.dialogues]
    if args.limit is not None and args.limit < 1:
        raise TinyLLMError(f"--limit must be at least 1, got {args.limit}")
    if args.label and len(args.label) != len(args.checkpoints):
        raise TinyLLMError(f"{len(args.label)} --label for {len(args.checkpoints)} checkpoints; give one per checkpoint")
    labels = args.label or [default_label(c) for c in args.checkpoints]
    if len(set(labels)) != len(labels):
        raise TinyLLMError(f"checkpoints share a label ({', '.join(labels)}); name them with --label")
    for checkpoint in args.checkpoints:
        if not (Path(checkpoint) / "config.json").is_file():
            raise TinyLLMError(f"{checkpoint}: not a checkpoint directory (no config.json)")

    from eval.report import results_table

    for checkpoint, label in zip(args.checkpoints, labels):
        if args.out:
            out = Path(args.out) / label if len(args.checkpoints) > 1 else Path(args.out)
        else:
            out = Path(checkpoint).parent / f"eval-{Path(checkpoint).name}"
        results = evaluate_checkpoint(checkpoint, suites, args, label)
        write_results(out, results)
        print(f"{label} ({checkpoint}, {results['seconds']:.0f}s) -> {out}/results.json, results.md")
        if not args.quiet:
            print("\n" + results_table(results) + "\n")
    return 0


if __name__ == "__main__":
    run_cli(main)
