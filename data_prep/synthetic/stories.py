"""Stories: `iter_stories(seed, split, lang)` and the `Story` record.

Every (seed, split, lang, index) has its own random stream, so any prefix of a stream is
reproducible on its own and val/test never draw from train's streams.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Iterator

from .builder import build_story
from .language import Language
from .chinese import CHINESE
from .english import ENGLISH

GENERATOR_VERSION = "1.0.0"
SPLITS = ("train", "val", "test")
LANGS = ("en", "zh")
LANGUAGES: dict[str, Language] = {"en": ENGLISH, "zh": CHINESE}


@dataclass
class Story:
    id: str
    text: str
    facts: dict = field(default_factory=dict)


def check_lang(lang: str) -> Language:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return LANGUAGES[lang]


def story_rng(seed: int, split: str, lang: str, i: int) -> random.Random:
    # string seeds are hashed with SHA-512 by `random`: stable across runs and platforms
    return random.Random(f"tinyllm-synthetic/{GENERATOR_VERSION}/{lang}/{split}/{seed}/{i}")


def make_story(lang: str, rng: random.Random, sid: str) -> Story:
    text, facts = build_story(LANGUAGES[lang], rng)
    return Story(sid, text, facts)


def iter_stories(seed: int, split: str, lang: str = "en", n: int | None = None) -> Iterator[Story]:
    """Stories for (seed, split, lang), deterministic; n=None means endless.

    Story i depends only on (seed, split, lang, i), so any prefix is reproducible on its own.
    Bad arguments raise ValueError at once.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    check_lang(lang)
    if n is not None and n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return _stream(seed, split, lang, n)


def _stream(seed, split, lang, n):
    i = 0
    while n is None or i < n:
        yield make_story(lang, story_rng(seed, split, lang, i), f"{split}-{i:06d}")
        i += 1


def word_count(text: str, lang: str = "en") -> int:
    """Whitespace words for English, CJK characters for Chinese."""
    return LANGUAGES[lang].measure(text)
