"""Richness of the synthetic corpus: vocabulary and distinct 4-gram ratio of a train stream.

    python -m data_prep.synthetic --stats --words 15000000
    python -m data_prep.synthetic --stats --words 20000000 --lang zh   # N counts characters

Measured figures are in the package docstring (data_prep/synthetic/__init__.py).
"""

from __future__ import annotations

import re
import time

import numpy as np
from tqdm import tqdm

from .chinese import CJK_RE
from .corpus import text_hash
from .stories import check_lang, iter_stories

_EN_TOKEN_RE = re.compile(r"[a-z0-9']+")
_K = [np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5)]


def _gram_codes(ids: np.ndarray) -> np.ndarray:
    """64-bit codes of all word 4-grams in ids that do not cross a story boundary (id -1)."""
    if len(ids) < 4:
        return np.zeros(0, dtype=np.uint64)
    w = [ids[i:len(ids) - 3 + i] for i in range(4)]
    ok = (w[0] >= 0) & (w[1] >= 0) & (w[2] >= 0) & (w[3] >= 0)
    if int(ids.max(initial=0)) < 0xFFFF:   # exact: four 16-bit ids packed in 64 bits
        u = [x[ok].astype(np.uint64) for x in w]
        return (u[0] << np.uint64(48)) | (u[1] << np.uint64(32)) | (u[2] << np.uint64(16)) | u[3]
    with np.errstate(over="ignore"):        # large vocabularies: a 64-bit hash
        h = np.zeros(int(ok.sum()), dtype=np.uint64)
        for x, k in zip(w, _K):
            h = (h ^ (x[ok].astype(np.uint64) + np.uint64(1))) * k
            h ^= h >> np.uint64(29)
        return h


def corpus_stats(seed: int, n_words: int, lang: str = "en", progress: bool = False) -> dict:
    """Richness of the first n_words words (Chinese: characters) of the train stream.

    Words are lower-cased runs of letters, digits and apostrophes (punctuation dropped); for
    Chinese each CJK character is one token. 4-grams never cross a story boundary. Memory stays
    small: ids go to numpy in chunks, each chunk's 4-grams become uint64 codes, deduplicated
    with np.unique and merged.
    """
    check_lang(lang)
    if n_words <= 0:
        raise ValueError(f"n_words must be positive, got {n_words}")
    tokenize = (lambda t: _EN_TOKEN_RE.findall(t.lower())) if lang == "en" else CJK_RE.findall
    vocab: dict = {}
    buf: list = []
    uniques: list = []
    total_grams = words = stories = dups = 0
    seen: set = set()
    t0 = time.time()
    chunk = 2_000_000

    def flush():
        nonlocal total_grams, uniques
        if not buf:
            return
        codes = _gram_codes(np.asarray(buf, dtype=np.int64))
        buf.clear()
        total_grams += len(codes)
        uniques.append(np.unique(codes))
        if len(uniques) >= 8:
            uniques = [np.unique(np.concatenate(uniques))]

    bar = None
    if progress:
        bar = tqdm(total=n_words, unit="word", desc="stats", disable=None)
    for story in iter_stories(seed, "train", lang):
        toks = tokenize(story.text)
        setdefault = vocab.setdefault
        buf.extend([setdefault(t, len(vocab)) for t in toks])
        buf.append(-1)
        words += len(toks)
        stories += 1
        h = text_hash(story.text)
        if h in seen:
            dups += 1
        else:
            seen.add(h)
        if bar is not None:
            bar.update(len(toks))
        if len(buf) >= chunk:
            flush()
        if words >= n_words:
            break
    flush()
    if bar is not None:
        bar.close()
    distinct = int(len(np.unique(np.concatenate(uniques)))) if uniques else 0
    return {
        "lang": lang,
        "seed": seed,
        "words": words,
        "word_unit": "words" if lang == "en" else "CJK characters",
        "stories": stories,
        "vocab": len(vocab),
        "total_4grams": total_grams,
        "distinct_4grams": distinct,
        "distinct_4gram_ratio": round(distinct / total_grams, 4) if total_grams else 0.0,
        "duplicate_stories": dups,
        "mean_words_per_story": round(words / stories, 1) if stories else 0.0,
        "seconds": round(time.time() - t0, 1),
    }
