"""The template mini-language of the synthetic stories, and loading the template data files.

    {name}      a slot: the context's value (a list value means a fresh random pick each time)
    {a}         "a" or "an", decided by the next word once the sentence is complete
    [x|y|z]     pick one alternative (nestable); [x|] makes x optional

Sentence starts and the first letter after an opening quote are capitalised afterwards (English,
`finish_en`), so templates may start with a lower-case slot. Template text lives in
data/templates_<lang>.json; this module only parses and renders it.
"""

from __future__ import annotations

import json
import re
from importlib import resources

AN_MARK = "\x00"  # placeholder for "a"/"an" until the next word is known


def parse(s: str, i: int = 0, stops: str = ""):
    """(node sequence, end index): strings, (0, slot name), (1, [alternatives]) and AN_MARK."""
    seq, buf = [], []

    def flush():
        if buf:
            seq.append("".join(buf))
            buf.clear()

    while i < len(s):
        c = s[i]
        if c == "{":
            j = s.index("}", i)
            flush()
            name = s[i + 1:j]
            seq.append(AN_MARK if name == "a" else (0, name))
            i = j + 1
        elif c == "[":
            flush()
            alts = []
            i += 1
            while True:
                sub, i = parse(s, i, "|]")
                alts.append(sub)
                if s[i] == "]":
                    i += 1
                    break
                i += 1
            seq.append((1, alts))
        elif c in stops:
            flush()
            return seq, i
        else:
            buf.append(c)
            i += 1
    if stops:
        raise ValueError(f"unclosed '[' in template: {s!r}")
    flush()
    return seq, i


def compile_all(templates) -> list:
    return [parse(t)[0] for t in templates]


def emit(seq, ctx, rng, out: list) -> None:
    """Render a compiled template into `out`, drawing from rng in template order."""
    for node in seq:
        if node.__class__ is str:
            out.append(node)
        elif node[0] == 0:
            v = ctx[node[1]]
            if v.__class__ is list:
                v = v[int(rng.random() * len(v))]
            out.append(v)
        else:
            alts = node[1]
            emit(alts[int(rng.random() * len(alts))], ctx, rng, out)


def render(seq, ctx, rng) -> str:
    out: list = []
    emit(seq, ctx, rng, out)
    return "".join(out)


_AN_RE = re.compile(AN_MARK + r" (\W*)(\w+)")
_A_EXCEPT = ("uni", "use", "usu", "eu", "one", "once", "ukulele")
_AN_EXCEPT = ("hour", "honest", "honor", "heir")


def _a_or_an(m):
    w = m.group(2).lower()
    if w[0] in "aeiou":
        art = "a" if w.startswith(_A_EXCEPT) else "an"
    else:
        art = "an" if w.startswith(_AN_EXCEPT) else "a"
    return f"{art} {m.group(1)}{m.group(2)}"


_SPACES_RE = re.compile(r" {2,}")
_SPACE_PUNCT_RE = re.compile(r" +([,.!?])")
_CAP_RE = re.compile(r'((?:^|[.!?]\s+)"?|\s")([a-z])')


def finish_en(text: str) -> str:
    """Articles, spacing before punctuation and capitals of a rendered English sentence."""
    text = _AN_RE.sub(_a_or_an, text.strip())
    text = _SPACES_RE.sub(" ", text)
    text = _SPACE_PUNCT_RE.sub(r"\1", text)
    return _CAP_RE.sub(lambda m: m.group(1) + m.group(2).upper(), text)


def finish_zh(text: str) -> str:
    return text.replace(AN_MARK, "")


def load_data(name: str) -> dict:
    """A JSON file of data/ shipped as package data (see pyproject.toml)."""
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8") as f:
        return json.load(f)


def with_contractions(template: str, contractions) -> str:
    """Spoken-style contractions used about half of the time: "could not" -> "[could not|couldn't]"."""
    for full, short in contractions:
        template = re.sub(r"\b" + re.escape(full) + r"\b", f"[{full}|{short}]", template)
    return template


class Templates:
    """One language's templates, compiled: story sentences (`group(name)`), questions, answers."""

    def __init__(self, lang: str):
        data = load_data(f"templates_{lang}.json")
        contractions = data.get("contractions", [])
        self.stories = {name: compile_all(with_contractions(t, contractions) for t in texts)
                        for name, texts in data["stories"].items()}
        self.questions = {k: compile_all(v) for k, v in data["questions"].items()}
        self.answers = {k: compile_all(v) for k, v in data["answers"].items()}
        self.problem_beats = data["problem_beats"]
        self.openers = data["openers"]
        self.opener_groups = data["opener_groups"]
        self.openers_happy = data.get("openers_happy", [])
        self.state_verbs = frozenset(data.get("state_verbs", ()))
