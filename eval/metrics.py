"""Metrics of generated text, with no model in sight (so each is tested on hand-made cases).

Words: runs of letters, digits and apostrophes, lower-cased, and every CJK character on its own,
so English and Chinese continuations are measured alike.
  exact match     the continuation starts with the expected answer (whole words; case, spacing
                  and punctuation ignored): "7 shells." matches "7", "70 shells" does not;
  contains match  the expected answer occurs anywhere in it as whole words;
  distinct-n      distinct word n-grams / all word n-grams, over all continuations together
                  (Li et al. 2016): low means the model says the same things again and again;
  repetition      per continuation, the share of its word 4-grams that already occurred earlier
                  in it (seq-rep-4 of Welleck et al. 2019), averaged: high means loops;
  mean length     words per continuation;
  EOS share       share of continuations the model ended itself (a stop token before the limit).
"""

import re

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*")


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _expected_list(expected) -> list[str]:
    return [expected] if isinstance(expected, str) else list(expected)


def exact_match(continuation: str, expected) -> bool:
    """Whether the continuation opens with (any of) the expected answer(s), as whole words."""
    got = words(continuation)
    return any((want := words(e)) and got[:len(want)] == want for e in _expected_list(expected))


def contains_match(continuation: str, expected) -> bool:
    """Whether (any of) the expected answer(s) occurs in the continuation as whole words."""
    got = words(continuation)
    for e in _expected_list(expected):
        want = words(e)
        if want and any(got[i:i + len(want)] == want for i in range(len(got) - len(want) + 1)):
            return True
    return False


def ngrams(tokens: list[str], n: int) -> list[tuple]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: list[str], n: int) -> float:
    grams = [g for t in texts for g in ngrams(words(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(text: str, n: int = 4) -> float:
    grams = ngrams(words(text), n)
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def generation_metrics(continuations: list[str], ended: list[bool], expected: list | None = None) -> dict:
    """The metrics above over a list of continuations; `expected[i]` None means no answer to check."""
    n = len(continuations)
    out = {"n": n,
           "distinct_1": distinct_n(continuations, 1),
           "distinct_2": distinct_n(continuations, 2),
           "repetition": sum(repetition_rate(c) for c in continuations) / n if n else 0.0,
           "mean_words": sum(len(words(c)) for c in continuations) / n if n else 0.0,
           "eos_share": sum(ended) / n if n else 0.0}
    checked = [(c, e) for c, e in zip(continuations, expected or []) if e is not None]
    if checked:
        out["n_expected"] = len(checked)
        out["exact_match"] = sum(exact_match(c, e) for c, e in checked) / len(checked)
        out["contains_match"] = sum(contains_match(c, e) for c, e in checked) / len(checked)
    return out


def accuracy(correct: list[bool]) -> float:
    return sum(correct) / len(correct) if correct else 0.0


def binomial_stderr(p: float, n: int) -> float:
    """Standard error of an accuracy measured on n independent items."""
    return (p * (1 - p) / n) ** 0.5 if n else 0.0
