"""Held-out answer accuracy of a chat model: does its reply match the reference reply?

    python -m eval.dialogue runs/quickstart/sft/final --data runs/quickstart/corpus/dialogues_test.jsonl

For every conversation in a messages-format JSONL (the synthetic dialogues, or any file with
a final assistant turn), the model is shown everything before the last assistant turn and
replies greedily. Two scores:
  exact match   the reply equals the reference reply, ignoring case, spacing and a final
                full stop;
  answer found  the record's short `answer` (e.g. "18", "the fair") occurs in the reply as
                whole words (records without one count the reference reply instead).
  answer chance the same replies scored against the answers of *other* conversations of the
                same kind (question type): what answering in the right form without reading
                the conversation scores ("It was the morning." finds 1 in 4 times of day).
A model that has not learned the chat turns scores ~0 on all three; answer found above answer
chance is what reading the conversation adds.
"""

import argparse
import re
from collections import defaultdict

from tinyllm.atomic import write_json
from tinyllm.chat import generate_replies
from tinyllm.errors import run_cli
from tinyllm.generate import SamplingOptions
from tinyllm.model import load_checkpoint
from tinyllm.records import read_jsonl
from tinyllm.sft_data import check_messages


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!? ")


def contains_answer(reply: str, answer: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(normalise(answer))}(?!\w)", normalise(reply)) is not None


def _check_conversation(record, where):
    if not isinstance(record, dict) or "messages" not in record:
        raise ValueError(f"{where}: expected a record with 'messages'")
    check_messages(record["messages"], where)


def load_conversations(path, limit: int | None = None) -> list[dict]:
    """Records with `messages` ending in an assistant turn (checked like the SFT data)."""
    return read_jsonl(path, "dialogue", limit, _check_conversation)


def _answer(record) -> str:
    return record.get("answer") or record["messages"][-1]["content"]


def _kind(record) -> str:
    """The question's kind (the synthetic records name it per answer), else the record type."""
    kinds = record.get("kinds")
    return kinds[-1] if kinds else record.get("type", "other")


def answer_chance(reply: str, record: dict, same_kind: list[str]) -> float:
    """How often `reply` contains the answer of another conversation of the same kind."""
    others = [a for a in same_kind if a != _answer(record)]
    return sum(contains_answer(reply, a) for a in others) / len(others) if others else 0.0


def score(replies: list[str], records: list[dict]) -> dict:
    """Exact-match, answer-found and answer-chance rates, overall and per record `type`."""
    answers_by_kind = defaultdict(list)
    for record in records:
        answers_by_kind[_kind(record)].append(_answer(record))
    groups = defaultdict(lambda: [0, 0, 0, 0.0])
    for reply, record in zip(replies, records):
        hit = normalise(reply) == normalise(record["messages"][-1]["content"])
        found = contains_answer(reply, _answer(record))
        chance = answer_chance(reply, record, answers_by_kind[_kind(record)])
        for key in ("all", record.get("type", "other")):
            g = groups[key]
            g[0], g[1], g[2], g[3] = g[0] + 1, g[1] + hit, g[2] + found, g[3] + chance
    return {key: {"n": n, "exact_match": em / n, "answer_found": af / n, "answer_chance": ch / n}
            for key, (n, em, af, ch) in groups.items()}


def evaluate(model, tok, records: list[dict], opts: SamplingOptions | None = None, batch_size: int = 32,
             progress: bool = False) -> tuple[dict, list[str]]:
    """Greedy replies (default 48 new tokens at most) to every conversation and their scores."""
    opts = opts or SamplingOptions(max_new_tokens=48)
    replies = generate_replies(model, tok, [r["messages"][:-1] for r in records], opts, batch_size, progress)
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

    records = load_conversations(args.data, args.limit)
    model, tok = load_checkpoint(args.checkpoint)
    scores, replies = evaluate(model, tok, records, SamplingOptions(max_new_tokens=args.max_new_tokens),
                               args.batch_size, progress=True)
    overall = scores["all"]
    kinds = ", ".join(f"{k} {100 * v['exact_match']:.1f}%" for k, v in sorted(scores.items()) if k != "all")
    print(f"{args.label or args.checkpoint}: held-out exact match {100 * overall['exact_match']:.1f}%, answer found "
          f"{100 * overall['answer_found']:.1f}% (chance {100 * overall['answer_chance']:.1f}%) over {overall['n']} "
          f"conversations (exact match by type: {kinds})")
    if args.out:
        write_json(args.out, {"checkpoint": str(args.checkpoint), "data": str(args.data), "scores": scores,
                              "replies": [{"id": r.get("id"), "reply": t, "reference": r["messages"][-1]["content"]}
                                          for r, t in zip(records, replies)]})
    return 0


if __name__ == "__main__":
    run_cli(main)
