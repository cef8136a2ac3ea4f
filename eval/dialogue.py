"""Held-out answer accuracy of a chat model: does its reply match the reference reply?

    python -m eval.dialogue runs/quickstart/sft/final --data runs/quickstart/corpus/dialogues_test.jsonl

For every conversation in a messages-format JSONL (the synthetic dialogues, or any file with
a final assistant turn), the model is shown everything before the last assistant turn and
replies greedily. Two scores:
  exact match   the reply equals the reference reply, ignoring case, spacing and a final
                full stop;
  answer found  the record's short `answer` (e.g. "18", "the fair") occurs in the reply as
                whole words (records without one count the reference reply instead).
A model that has not learned the chat turns scores ~0 on both; the synthetic answers are
facts stated in the conversation or small sums, so a model that reads the context scores high.
"""

import argparse
import re
from collections import defaultdict

from tinyllm.errors import TinyLLMError, run_cli


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!? ")


def contains_answer(reply: str, answer: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(normalise(answer))}(?!\w)", normalise(reply)) is not None


def load_conversations(path, limit: int | None = None) -> list[dict]:
    """Records with `messages` ending in an assistant turn (checked like the SFT data)."""
    from data_prep.sources import iter_records
    from tinyllm.sft_data import check_messages

    from pathlib import Path

    if not Path(path).is_file():
        raise TinyLLMError(f"{path}: dialogue file not found")
    records = []
    for where, record in iter_records(path):
        if isinstance(record, Exception):
            raise TinyLLMError(str(record))
        if not isinstance(record, dict) or "messages" not in record:
            raise TinyLLMError(f"{where}: expected a record with 'messages'")
        try:
            check_messages(record["messages"], where)
        except ValueError as err:
            raise TinyLLMError(str(err)) from None
        records.append(record)
        if limit and len(records) >= limit:
            break
    if not records:
        raise TinyLLMError(f"{path}: no conversations")
    return records


def score(replies: list[str], records: list[dict]) -> dict:
    """Exact-match and answer-found rates, overall and per record `type`."""
    groups = defaultdict(lambda: [0, 0, 0])
    for reply, record in zip(replies, records):
        reference = record["messages"][-1]["content"]
        hit = normalise(reply) == normalise(reference)
        found = contains_answer(reply, record.get("answer") or reference)
        for key in ("all", record.get("type", "other")):
            groups[key][0] += 1
            groups[key][1] += hit
            groups[key][2] += found
    return {key: {"n": n, "exact_match": em / n, "answer_found": af / n} for key, (n, em, af) in groups.items()}


def evaluate(model, tok, records: list[dict], max_new_tokens: int = 48, batch_size: int = 32,
             progress: bool = False) -> tuple[dict, list[str]]:
    from tinyllm.chat import generate_replies

    replies = generate_replies(model, tok, [r["messages"][:-1] for r in records], max_new_tokens, batch_size,
                               progress=progress)
    return score(replies, records), replies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="model directory (its tokenizer's chat template is used)")
    parser.add_argument("--data", required=True, help="messages-format JSONL, e.g. corpus/dialogues_test.jsonl")
    parser.add_argument("--limit", type=int, help="first N conversations only")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", help="write the scores and every reply to this JSON file")
    parser.add_argument("--label", help="name shown in the printed line (default: the checkpoint)")
    args = parser.parse_args(argv)

    from scripts.sample import load_model
    from tinyllm.atomic import write_json

    records = load_conversations(args.data, args.limit)
    model, tok = load_model(args.checkpoint)
    scores, replies = evaluate(model, tok, records, args.max_new_tokens, args.batch_size, progress=True)
    overall = scores["all"]
    kinds = ", ".join(f"{k} {100 * v['exact_match']:.1f}%" for k, v in sorted(scores.items()) if k != "all")
    print(f"{args.label or args.checkpoint}: held-out exact match {100 * overall['exact_match']:.1f}%, answer found "
          f"{100 * overall['answer_found']:.1f}% over {overall['n']} conversations (exact match by type: {kinds})")
    if args.out:
        write_json(args.out, {"checkpoint": str(args.checkpoint), "data": str(args.data), "scores": scores,
                              "replies": [{"id": r.get("id"), "reply": t, "reference": r["messages"][-1]["content"]}
                                          for r, t in zip(records, replies)]})
    return 0


if __name__ == "__main__":
    run_cli(main)
