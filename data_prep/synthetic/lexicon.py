"""Word lists of the synthetic stories, loaded from data/words_<lang>.json (package data).

`words("en")` / `words("zh")` return a read-only namespace: `EN.COLOURS`, `ZH.PLACES`, ... Lists
of pairs and triples come back as lists (unpacking them works the same).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from .templates import load_data


@functools.lru_cache(maxsize=None)
def words(lang: str) -> SimpleNamespace:
    return SimpleNamespace(**load_data(f"words_{lang}.json"))


EN = words("en")
ZH = words("zh")


def plural(word: str) -> str:
    """English plural of a noun phrase's last word ("toy car" -> "toy cars")."""
    if word in EN.ANIMAL_PLURAL_IRREGULAR:
        return EN.ANIMAL_PLURAL_IRREGULAR[word]
    head, _, last = word.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        p = last[:-1] + "ies"
    elif last.endswith("f"):
        p = last[:-1] + "ves"
    else:
        p = last + "s"
    return (head + " " + p) if head else p


def gerund(phrase: str) -> str:
    """"ride a bike" -> "riding a bike"."""
    verb, _, rest = phrase.partition(" ")
    if verb in EN.DOUBLE_FINAL:
        g = verb + verb[-1] + "ing"
    elif verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and len(verb) > 2:
        g = verb[:-1] + "ing"
    else:
        g = verb + "ing"
    return g + (" " + rest if rest else "")
