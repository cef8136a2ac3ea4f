"""Questions about a story's facts and their answers: the public API of the dialogues, the
preference pairs and `eval.make_benchmarks`.

    make_questions(story, rng, lang)     question, short answer, kind, wrong answers per fact
    answer_sentence(story, kind, value, variant, rng, lang)   "The ball was red." for any value
    n_answer_variants(story, kind, lang) how many answer sentences a kind has
    contains(text, phrase, lang)         phrase in text (whole words in English)
    overlaps(kind, answer, x, lang)      x cannot be a wrong answer for `answer`
"""

from __future__ import annotations

import random

from .stories import LANGUAGES, Story, check_lang
from .templates import render

KINDS = ("hero", "object", "colour", "place", "friend", "feeling", "sum", "animal", "weather", "time", "giver")


def contains(text: str, phrase: str, lang: str) -> bool:
    """Whether phrase occurs in text: as whole words, any case (English); as a substring (Chinese)."""
    return LANGUAGES[lang].contains(text, phrase)


def overlaps(kind: str, answer: str, x: str, lang: str) -> bool:
    """x cannot serve as a wrong answer: it contains the answer, is contained in it, or (places) is
    the same kind of place ("the park" is no wrong answer for "Willow Park")."""
    if x == answer or contains(x, answer, lang) or contains(answer, x, lang):
        return True
    return kind == "place" and LANGUAGES[lang].same_kind_of_place(x, answer)


def answer_value(kind: str, facts: dict, lang: str) -> str:
    if kind == "sum":
        return LANGUAGES[lang].number(facts["sum"]["total"])
    return facts[kind]


def answer_pool(kind: str, answer: str, lang: str) -> list:
    """Values of the same kind as `answer` (names: pet names for pets, persons for persons)."""
    L = LANGUAGES[lang]
    if kind in ("friend", "hero"):
        return L.name_pool(answer)
    return L.pools[kind]


def _sum_distractors(facts, rng, lang, k=4):
    s = facts["sum"]
    a, b, t = s["a"], s["b"], s["total"]
    cands = [a, b, t + 1, t - 1, t + 2, t - 2, a + b if s.get("op") == "-" else abs(a - b), t + 10]
    out = []
    for x in rng.sample(cands, len(cands)):
        if x != t and x >= 0 and x not in out:
            out.append(x)
    return [LANGUAGES[lang].number(x) for x in out[:k]]


def pick_distractors(kind: str, answer: str, story: Story, rng: random.Random, lang: str, k: int = 4) -> list:
    """Up to k plausible wrong answers (at least 3), preferring ones the story does not mention."""
    if kind == "sum":
        return _sum_distractors(story.facts, rng, lang, k)
    pool = answer_pool(kind, answer, lang)
    out, relaxed = [], []
    for _ in range(60):
        x = pool[int(rng.random() * len(pool))]
        if x == answer or x in out or x in relaxed:
            continue
        if overlaps(kind, answer, x, lang):
            continue
        if contains(story.text, x, lang):
            relaxed.append(x)       # true elsewhere in the story: only if nothing better turns up
            continue
        out.append(x)
        if len(out) == k:
            break
    out += relaxed[: max(0, 3 - len(out))]
    if len(out) < 3:  # tiny pools: take anything that is not the answer
        out += [x for x in pool if x != answer and x not in out and not overlaps(kind, answer, x, lang)][: 3 - len(out)]
    return out


def _key(story: Story, kind: str) -> str:
    if kind != "sum":
        return kind
    return "sum-" if story.facts["sum"].get("op") == "-" else "sum+"


def _render(tpl, ctx, rng, lang) -> str:
    return LANGUAGES[lang].finish(render(tpl, ctx, rng))


def answer_sentence(story: Story, kind: str, value: str, variant: int, rng: random.Random, lang: str) -> str:
    """The answer sentence number `variant` for a question of `kind`, stating `value`."""
    L = LANGUAGES[lang]
    c = L.qa_ctx(story, kind)
    c["X"] = value
    L.answer_ctx(c, kind, value)
    group = L.templates.answers[_key(story, kind)]
    return _render(group[variant % len(group)], c, rng, lang)


def n_answer_variants(story: Story, kind: str, lang: str) -> int:
    return len(LANGUAGES[lang].templates.answers[_key(story, kind)])


def make_questions(story: Story, rng: random.Random, lang: str = "en") -> list[dict]:
    """QA items about the story's facts, in random order.

    Each item: {"question", "answer" (short; it occurs in the story text), "kind", "distractors"
    (at least 3 plausible wrong answers of the same kind, none equal to the answer)}.
    """
    L = check_lang(lang)
    items = []
    for kind in KINDS:
        if kind not in story.facts or (kind == "giver" and not story.facts.get("giver")):
            continue
        answer = answer_value(kind, story.facts, lang)
        q = _render(rng.choice(L.templates.questions[_key(story, kind)]), L.qa_ctx(story, kind), rng, lang)
        items.append({"question": q, "answer": answer, "kind": kind,
                      "distractors": pick_distractors(kind, answer, story, rng, lang)})
    rng.shuffle(items)
    return items
