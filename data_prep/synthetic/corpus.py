"""Writing a corpus folder: stories, dialogues and preference pairs per split, then manifest.json.

    python -m data_prep.synthetic --out data/synthetic
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile

from tqdm import tqdm

from .dialogues import make_dialogue, make_preference
from .stories import GENERATOR_VERSION, check_lang, iter_stories, word_count

DEFAULT_COUNTS = {"train": 20000, "val": 500, "test": 500}


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def aux_rng(seed, lang, split, sid, what) -> random.Random:
    """The random stream of a story's dialogue or preference pair: independent of the story's."""
    return random.Random(f"tinyllm-synthetic/{GENERATOR_VERSION}/{lang}/{split}/{seed}/{sid}/{what}")


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_corpus(out_dir, seed: int = 0, lang: str = "en", train_stories: int = DEFAULT_COUNTS["train"],
                 val_stories: int = DEFAULT_COUNTS["val"], test_stories: int = DEFAULT_COUNTS["test"],
                 progress: bool = True) -> dict:
    """Write stories, dialogues and preference pairs for train/val/test, then manifest.json.

    val and test are written first; train (and test) skip any story whose text hash was already
    used by an earlier split or earlier in the same split. Everything is written in a temporary
    folder next to out_dir and moved into place at the end, manifest.json last. Returns the manifest.
    """
    check_lang(lang)
    counts = {"train": train_stories, "val": val_stories, "test": test_stories}
    for split, n in counts.items():
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"{split}_stories must be a non-negative integer, got {n!r}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    try:
        seen: set = set()
        manifest_counts, words, skipped, files = {}, {}, {}, []
        bar = tqdm(total=sum(counts.values()), desc=f"synthetic {lang}", unit="story", disable=None if progress else True)  # None: no bar when not a terminal
        for split in ("val", "test", "train"):
            n = counts[split]
            names = {k: f"{k}_{split}.jsonl" for k in ("stories", "dialogues", "preferences")}
            files += list(names.values())
            handles = {k: open(os.path.join(tmp, v), "w", encoding="utf-8") for k, v in names.items()}
            written = nwords = nskip = 0
            try:
                stream = iter_stories(seed, split, lang)
                while written < n:
                    story = next(stream)
                    h = text_hash(story.text)
                    if h in seen:
                        nskip += 1
                        continue
                    seen.add(h)
                    handles["stories"].write(_dumps({"id": story.id, "text": story.text, "facts": story.facts}))
                    handles["dialogues"].write(_dumps(
                        make_dialogue(story, aux_rng(seed, lang, split, story.id, "dialogue"), lang)))
                    handles["preferences"].write(_dumps(
                        make_preference(story, aux_rng(seed, lang, split, story.id, "preference"), lang)))
                    written += 1
                    nwords += word_count(story.text, lang)
                    bar.update(1)
            finally:
                for f in handles.values():
                    f.close()
            manifest_counts[split] = {"stories": written, "dialogues": written, "preferences": written}
            words[split], skipped[split] = nwords, nskip
        bar.close()
        manifest = {
            "generator": "data_prep.synthetic",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "lang": lang,
            "counts": manifest_counts,
            "words": words,
            "word_unit": "whitespace-separated words" if lang == "en" else "CJK characters",
            "skipped_duplicates": skipped,
            "files": sorted(files) + ["manifest.json"],
        }
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=2)
            f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        if not os.path.exists(out_dir):
            os.rename(tmp, out_dir)          # one atomic step
        else:
            # an existing folder: first withdraw the old manifest, then the data, the manifest last
            old = os.path.join(out_dir, "manifest.json")
            if os.path.exists(old):
                os.remove(old)
            for name in files:
                os.replace(os.path.join(tmp, name), os.path.join(out_dir, name))
            os.replace(os.path.join(tmp, "manifest.json"), old)
        return manifest
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
