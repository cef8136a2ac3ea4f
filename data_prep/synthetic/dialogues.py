"""Dialogues (SFT) and preference pairs (reward model, DPO) about stories."""

from __future__ import annotations

import random

from .qa import answer_pool, answer_sentence, contains, make_questions, n_answer_variants, overlaps
from .stories import LANGUAGES, Story


def arith_problem(rng: random.Random, lang: str, wrong_by: int = 0) -> tuple[str, str, str]:
    """A word problem or bare sum/difference with numbers in 0..20: (question, answer sentence, answer).

    With `wrong_by`, the answer sentence states the result plus `wrong_by` instead (or minus, where
    plus would go below 0): the same rng state then gives the same question with a wrong answer."""
    op = rng.choice("+-")
    if op == "+":
        a = rng.randint(0, 20)
        b = rng.randint(0, 20 - a)
        t = a + b
    else:
        a = rng.randint(0, 20)
        b = rng.randint(0, a)
        t = a - b
    bare = rng.random() < 0.35 or min(a, b, t) == 0
    shown = t + wrong_by if t + wrong_by >= 0 else t - wrong_by  # the result the answer sentence states
    return LANGUAGES[lang].arithmetic_text(rng, op, a, b, t, shown, bare)


def system_prompt(rng: random.Random, lang: str) -> dict:
    return {"role": "system", "content": rng.choice(LANGUAGES[lang].words.SYSTEM_PROMPTS)}


def make_dialogue(story: Story, rng: random.Random, lang: str = "en") -> dict:
    """A chat about the story: usually one question, sometimes two (multi-turn), sometimes an
    arithmetic word problem on its own. The assistant answers in a short full sentence that
    contains the short answer. "answer" is the last turn's short answer; "answers" lists all."""
    messages = []
    if rng.random() < 0.25:
        messages.append(system_prompt(rng, lang))
    r = rng.random()
    if r < 0.15:
        q, a, short = arith_problem(rng, lang)
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        return {"id": f"{story.id}-dlg", "type": "arithmetic", "messages": messages, "answer": short,
                "answers": [short], "kinds": ["arithmetic"]}
    qs = make_questions(story, rng, lang)
    n = 2 if r < 0.4 and len(qs) >= 2 else 1
    answers, kinds = [], []
    for i, q in enumerate(qs[:n]):
        variant = int(rng.random() * n_answer_variants(story, q["kind"], lang))
        reply = answer_sentence(story, q["kind"], q["answer"], variant, rng, lang)
        content = story.text + "\n\n" + q["question"] if i == 0 else q["question"]
        messages += [{"role": "user", "content": content}, {"role": "assistant", "content": reply}]
        answers.append(q["answer"])
        kinds.append(q["kind"])
    return {"id": f"{story.id}-dlg", "type": "multi_turn" if n == 2 else "qa", "messages": messages,
            "answer": answers[-1], "answers": answers, "kinds": kinds}


def make_preference(story: Story, rng: random.Random, lang: str = "en") -> dict:
    """A preference pair: the prompt is the story and a question; "chosen" answers it correctly,
    "rejected" is the same sentence with a plausible wrong fact and never contains the answer.
    As in the dialogues, about one pair in seven is an arithmetic problem on its own instead,
    rejected stating a result off by 1 to 3 (kind "arithmetic")."""
    if rng.random() < 0.15:
        wrong_by = rng.choice((-3, -2, -1, 1, 2, 3))
        state = rng.getstate()
        question, chosen, answer = arith_problem(rng, lang)
        rng.setstate(state)
        _, rejected, _ = arith_problem(rng, lang, wrong_by)
        return {"id": f"{story.id}-pref", "prompt": question, "chosen": chosen, "rejected": rejected,
                "answer": answer, "kind": "arithmetic"}
    qs = make_questions(story, rng, lang)
    q = qs[int(rng.random() * len(qs))]
    kind, answer = q["kind"], q["answer"]
    nvar = n_answer_variants(story, kind, lang)
    v0 = int(rng.random() * nvar)
    chosen = rejected = None
    extra = [] if kind == "sum" else list(answer_pool(kind, answer, lang))
    for dv in range(nvar):
        variant = (v0 + dv) % nvar
        chosen = answer_sentence(story, kind, answer, variant, rng, lang)
        for d in q["distractors"] + extra:
            if overlaps(kind, answer, d, lang):
                continue
            cand = answer_sentence(story, kind, d, variant, rng, lang)
            if cand != chosen and not contains(cand, answer, lang):
                rejected = cand
                break
        if rejected is not None:
            break
    if rejected is None:  # pragma: no cover - no vocabulary makes this happen
        raise RuntimeError(f"no rejected answer for {story.id} ({kind})")
    return {"id": f"{story.id}-pref", "prompt": story.text + "\n\n" + q["question"], "chosen": chosen,
            "rejected": rejected, "answer": answer, "kind": kind}
