"""Write the project's own benchmark files in eval/benchmarks/ from held-out synthetic stories.

    python -m eval.make_benchmarks                      # rewrites eval/benchmarks/*.jsonl + manifest.json
    python -m eval.make_benchmarks --out /tmp/bench     # somewhere else (a test compares the two)

Stories come from `data_prep.synthetic` with seed 1000, split "test": every (seed, split, index)
has its own random stream, so no training corpus (seed 0 by default) draws these stories.
Three files, every item multiple choice with 4 options (chance 25%):
  story_cloze.jsonl  a story cut just before a later mention of one of its facts (the hero's or
                     friend's name, the object, its colour, the place); the missing words were
                     stated earlier in the same story. {"prompt", "options", "label", "expected"}.
  story_qa.jsonl     a short story and a question about it in messages format (as eval.dialogue
                     reads it) plus 4 full answer sentences that differ only in the fact.
  arithmetic.jsonl   a story's counting passage cut before the result ("Mia had 3 shells. Then she
                     found 4 more. Now she had"); options are 4 consecutive numbers, the result
                     at a random place among them.

Wrong options of a kind are drawn from the answers that kind has across 5,000 held-out stories
(names: persons from persons, pet names from pet names), with the frequencies answers have, and
never a value the story itself mentions. So the right answer looks, to a model that ignores the
story, like any of the others: choosing by how common a colour or name is scores the 25%
chance level, and only reading the story lifts a model above it. Cloze contexts stop within the
first 120 words (about 200 tokens at vocab 2048) and QA stories have at most 125 words, so they
fit the tiny model's 256-token window. Options begin with a space, to follow the prompt
directly (lm-eval's `target_delimiter: ""`).
"""

import argparse
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from data_prep.synthetic import (
    GENERATOR_VERSION,
    answer_sentence,
    contains,
    iter_stories,
    make_questions,
    n_answer_variants,
    overlaps,
    word_count,
)
from data_prep.synthetic.lexicon import EN
from tinyllm.atomic import write_json, write_text
from tinyllm.errors import run_cli

SEED = 1000
SPLIT = "test"
VERSION = 1
BENCH_DIR = Path(__file__).resolve().parent / "benchmarks"
CLOZE_KINDS = ("hero", "friend", "object", "colour", "place")
QA_KINDS = ("hero", "friend", "object", "colour", "place", "animal", "feeling", "weather", "giver", "sum")
SIZES = {"story_cloze": 80, "story_qa": 20, "arithmetic": 200}  # cloze and QA: per kind
CLOZE_MAX_WORDS = 120
QA_MAX_WORDS = 125
POOL_STORIES = 5000
N_OPTIONS = 4
GENERATED = ("story_cloze.jsonl", "story_qa.jsonl", "arithmetic.jsonl")
_PET_NAMES = frozenset(EN.PET_NAMES)


def mentions(text: str, phrase: str) -> list[int]:
    """Start offsets of `phrase` as whole words, case-sensitive."""
    return [m.start() for m in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text)]


def name_class(name: str) -> str:
    return "pet" if name in _PET_NAMES else "person"


def fact_value(kind: str, facts: dict):
    """The words a cloze blank holds for this fact, or None when the story lacks a usable one."""
    value = facts.get(kind)
    if kind == "place":  # only "the X" places, blanking X, so no option clashes with its article
        return value[4:] if value and value.startswith("the ") else None
    return value or None


def value_class(kind: str, value: str) -> str:
    return name_class(value) if kind in ("hero", "friend", "giver") else ""


def answer_pools(stories) -> dict:
    """(benchmark, kind, class) -> every answer of that kind over the stories, repeats kept: the
    distribution right answers come from. Cloze answers are blanked words (a place without "the"),
    QA answers the facts as questions name them."""
    pools = defaultdict(list)
    for story in stories:
        for kind in CLOZE_KINDS:
            value = fact_value(kind, story.facts)
            if value is not None:
                pools["cloze", kind, value_class(kind, value)].append(value)
        for kind in QA_KINDS:
            value = story.facts.get(kind)
            if kind != "sum" and value:
                pools["qa", kind, value_class(kind, value)].append(value)
    return pools


def distractors(pool: list, kind: str, answer: str, story_text: str, rng: random.Random, k: int = N_OPTIONS - 1):
    """k different wrong answers drawn from `pool` with its frequencies, none overlapping the
    answer ("toy car" / "car") nor mentioned in the story."""
    out = []
    for _ in range(10_000):
        x = pool[int(rng.random() * len(pool))]
        if x in out or overlaps(kind, answer, x, "en") or contains(story_text, x, "en"):
            continue
        out.append(x)
        if len(out) == k:
            return out
    raise RuntimeError(f"no {k} distractors for {kind} {answer!r}")  # pragma: no cover - pools are large


def shuffled_options(answer, wrong: list, rng: random.Random) -> tuple[list, int]:
    options = [answer, *wrong]
    rng.shuffle(options)
    return options, options.index(answer)


def cloze_cut(kind: str, story) -> tuple[str, str] | None:
    """(context, answer): the story up to the last mention of the fact within CLOZE_MAX_WORDS words
    that has an earlier mention, skipping mentions right after "a"/"an" (the article would give
    vowel-initial options away)."""
    value = fact_value(kind, story.facts)
    if value is None:
        return None
    starts = mentions(story.text, value)
    for pos in reversed(starts[1:]):
        context = story.text[:pos].rstrip(" ")
        if len(context.split()) > CLOZE_MAX_WORDS or context.endswith((" a", " an", "\na", "\nan")):
            continue
        if context.endswith(("\n", '"')) or not context:  # the option's leading space would be wrong there
            continue
        return context, value
    return None


def story_cloze(stories, pools, rng) -> list[dict]:
    """One item per story, giving each story to the kind that needs items most."""
    need = {k: SIZES["story_cloze"] for k in CLOZE_KINDS}
    items = []
    for story in stories:
        cuts = {k: cloze_cut(k, story) for k in CLOZE_KINDS if need[k] > 0}
        usable = [k for k, cut in cuts.items() if cut]
        if not usable:
            if not any(need.values()):
                break
            continue
        kind = max(usable, key=lambda k: (need[k], -CLOZE_KINDS.index(k)))
        context, answer = cuts[kind]
        options, label = shuffled_options(answer, distractors(pools["cloze", kind, value_class(kind, answer)], kind, answer, story.text, rng), rng)
        items.append({"id": f"cloze-{len(items):04d}", "story_id": story.id, "kind": kind, "prompt": context,
                      "options": [" " + o for o in options], "label": label, "expected": answer})
        need[kind] -= 1
    return items


def number_window(total: int, rng: random.Random) -> tuple[list[int], int]:
    """4 consecutive non-negative numbers with `total` at a uniformly random place (shifted up near 0)."""
    low = max(0, total - int(rng.random() * N_OPTIONS))
    numbers = list(range(low, low + N_OPTIONS))
    return numbers, numbers.index(total)


def arithmetic(stories, rng) -> list[dict]:
    """The counting passage of a story, cut before the first mention of the result after a and b."""
    items = []
    for story in stories:
        s = story.facts.get("sum")
        if not s:
            continue
        text = story.text
        a_at = [m.start() for m in re.finditer(rf"(?<!\d){s['a']}(?!\d)", text)]
        if not a_at:
            continue
        b = re.compile(rf"(?<!\d){s['b']}(?!\d)").search(text, a_at[0] + len(str(s["a"])))
        t = re.compile(rf"(?<!\d){s['total']}(?!\d)").search(text, b.end()) if b else None
        if not t:
            continue
        sentence_start = max(text.rfind(". ", 0, a_at[0]) + 2, text.rfind("\n", 0, a_at[0]) + 1, 0)
        context = text[sentence_start:t.start()].rstrip(" ")
        if not context or context.endswith(('"', "\n")):
            continue
        numbers, label = number_window(s["total"], rng)
        items.append({"id": f"arith-{len(items):04d}", "story_id": story.id, "op": s["op"], "prompt": context,
                      "options": [f" {n}" for n in numbers], "label": label, "expected": str(s["total"])})
        if len(items) == SIZES["arithmetic"]:
            break
    return items


def story_qa(stories, pools, rng) -> list[dict]:
    """A question about a short story (messages format) with 4 answer sentences, one per option."""
    need = {k: SIZES["story_qa"] for k in QA_KINDS}
    items = []
    for story in stories:
        if word_count(story.text) > QA_MAX_WORDS or not any(need.values()):
            continue
        questions = {q["kind"]: q for q in make_questions(story, rng) if need.get(q["kind"], 0) > 0}
        if not questions:
            continue
        kind = max(questions, key=lambda k: (need[k], -QA_KINDS.index(k)))
        q = questions[kind]
        if kind == "sum":
            numbers, _ = number_window(story.facts["sum"]["total"], rng)
            wrong = [str(n) for n in numbers if n != story.facts["sum"]["total"]]
        else:
            wrong = distractors(pools["qa", kind, value_class(kind, q["answer"])], kind, q["answer"], story.text, rng)
        values, label = shuffled_options(q["answer"], wrong, rng)
        variant = int(rng.random() * n_answer_variants(story, kind, "en"))
        sentences = [answer_sentence(story, kind, v, variant, rng, "en") for v in values]
        items.append({"id": f"qa-{len(items):04d}", "story_id": story.id, "kind": kind, "type": "qa", "kinds": [kind],
                      "messages": [{"role": "user", "content": story.text + "\n\n" + q["question"]},
                                   {"role": "assistant", "content": sentences[label]}],
                      "answer": q["answer"], "options": sentences, "label": label})
        need[kind] -= 1
    return items


def build() -> dict:
    """File name -> list of items; deterministic."""
    stories = list(iter_stories(SEED, SPLIT, n=POOL_STORIES))
    pools = answer_pools(stories)
    # Separate random streams and separate stories per benchmark, so that each can change alone.
    return {"story_cloze.jsonl": story_cloze(stories[:2000], pools, random.Random(f"cloze/{SEED}")),
            "story_qa.jsonl": story_qa(stories[2000:4000], pools, random.Random(f"qa/{SEED}")),
            "arithmetic.jsonl": arithmetic(stories[4000:], random.Random(f"arith/{SEED}"))}


def jsonl(items: list[dict]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n" for item in items)


def manifest(files: dict) -> dict:
    return {"generator": "eval.make_benchmarks", "version": VERSION, "synthetic_version": GENERATOR_VERSION,
            "seed": SEED, "split": SPLIT, "command": "python -m eval.make_benchmarks",
            "files": {name: {"items": len(items), "options": N_OPTIONS, "chance": 1 / N_OPTIONS,
                             "kinds": dict(sorted(Counter(i.get("kind") or i.get("op") for i in items).items()))}
                      for name, items in files.items()}}


def write_benchmarks(out_dir=BENCH_DIR) -> dict:
    files = build()
    for name, items in files.items():
        write_text(Path(out_dir) / name, jsonl(items))
    meta = manifest(files)
    write_json(Path(out_dir) / "manifest.json", meta)
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(BENCH_DIR), help="output folder (default: eval/benchmarks)")
    args = parser.parse_args(argv)
    meta = write_benchmarks(args.out)
    for name, info in meta["files"].items():
        print(f"{args.out}/{name}: {info['items']} items ({', '.join(f'{k} {v}' for k, v in info['kinds'].items())})")
    return 0


if __name__ == "__main__":
    run_cli(main)
