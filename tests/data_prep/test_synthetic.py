"""Tests for the synthetic corpus generator (the data_prep/synthetic/ package)."""

import hashlib
import json
import os
import random
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data_prep.synthetic import (  # noqa: E402
    Story,
    corpus_stats,
    iter_stories,
    make_dialogue,
    make_preference,
    make_questions,
    write_corpus,
)

ZH_NUM = "零一二三四五六七八九"


def zh_num(n, measure=True):
    if n == 2 and measure:
        return "两"
    if n < 10:
        return ZH_NUM[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_NUM[tens]) + "十" + (ZH_NUM[ones] if ones else "")


def has_words(text, phrase):
    """phrase occurs in text as whole words (any case)."""
    return re.search(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])", text, re.I) is not None


@pytest.fixture(scope="module")
def en_stories():
    return list(iter_stories(0, "train", "en", n=400))


@pytest.fixture(scope="module")
def zh_stories():
    return list(iter_stories(0, "train", "zh", n=300))


# ---------------------------------------------------------------------------------------------
# determinism and splits


def test_same_seed_same_stories():
    a = [(s.id, s.text, s.facts) for s in iter_stories(7, "train", "en", n=50)]
    b = [(s.id, s.text, s.facts) for s in iter_stories(7, "train", "en", n=50)]
    assert a == b
    assert a[0][0] == "train-000000" and a[-1][0] == "train-000049"


def test_prefix_is_stable_and_endless_stream_continues():
    it = iter_stories(3, "val", "en")  # n=None: endless
    first = [next(it).text for _ in range(30)]
    assert first == [s.text for s in iter_stories(3, "val", "en", n=30)]


def test_different_seed_different_stories():
    a = [s.text for s in iter_stories(0, "train", "en", n=50)]
    b = [s.text for s in iter_stories(1, "train", "en", n=50)]
    assert not set(a) & set(b)


def test_zh_deterministic_and_seed_dependent():
    a = [s.text for s in iter_stories(5, "test", "zh", n=30)]
    assert a == [s.text for s in iter_stories(5, "test", "zh", n=30)]
    assert not set(a) & {s.text for s in iter_stories(6, "test", "zh", n=30)}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_splits_share_no_story(lang):
    texts = {split: {s.text for s in iter_stories(0, split, lang, n=300)} for split in ("train", "val", "test")}
    for split, t in texts.items():
        assert len(t) == 300, f"duplicate story inside {split}"
    assert not texts["train"] & texts["val"]
    assert not texts["train"] & texts["test"]
    assert not texts["val"] & texts["test"]


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        iter_stories(0, "dev", "en")
    with pytest.raises(ValueError):
        iter_stories(0, "train", "fr")
    with pytest.raises(ValueError):
        iter_stories(0, "train", "en", n=-1)


# ---------------------------------------------------------------------------------------------
# English stories: facts, grammar, length


def test_core_facts_present_and_in_text(en_stories):
    for s in en_stories:
        f = s.facts
        for key in ("hero", "object", "colour", "place", "pronoun"):
            assert key in f, (s.id, key)
        json.dumps(f)  # serialisable
        assert has_words(s.text, f["hero"]), s.id
        assert has_words(s.text, f["colour"]), s.id
        assert has_words(s.text, f["object"]), s.id
        assert f["place"] in s.text, s.id  # e.g. "the park", in lower case, mid-sentence
        for key in ("friend", "feeling", "animal", "weather", "time", "giver"):
            if key in f:
                assert has_words(s.text, f[key]), (s.id, key, f[key])


def test_optional_facts_are_common(en_stories):
    n = len(en_stories)
    for key in ("friend", "feeling", "sum", "animal", "weather"):
        share = sum(key in s.facts for s in en_stories) / n
        assert share > 0.2, (key, share)


def test_sums_are_right_and_stated(en_stories):
    seen = 0
    for s in en_stories:
        if "sum" not in s.facts:
            continue
        seen += 1
        d = s.facts["sum"]
        if d["op"] == "+":
            assert d["a"] + d["b"] == d["total"]
        else:
            assert d["op"] == "-" and d["a"] - d["b"] == d["total"]
        assert 0 <= d["total"] <= 20
        # counts agree with the noun: "1 shell", "7 shells"
        def phrase(n):
            return f"{n} {d['item'] if n == 1 else d['items']}"
        assert phrase(d["a"]) in s.text or f"{d['a']} {d['items']}" in s.text, s.text
        assert has_words(s.text, str(d["b"])), s.text
        assert phrase(d["total"]) in s.text, s.text
        assert not re.search(r"\b1 " + re.escape(d["items"]) + r"\b", s.text)
    assert seen > 50


def test_lengths_and_punctuation(en_stories):
    for s in en_stories:
        n = len(s.text.split())
        assert 80 <= n <= 300, (s.id, n)
        assert "  " not in s.text and " ," not in s.text and " ." not in s.text
        assert "\x00" not in s.text and "{" not in s.text and "[" not in s.text
        assert not re.search(r"[.!?] [a-z]", s.text), s.text  # sentences start with a capital
        assert s.text[0].isupper() or s.text[0] == '"'


def test_articles_and_pronouns(en_stories):
    they_seen = 0
    for s in en_stories:
        # a/an before vowels (the only vowel words taking "a" here start with "u" as in "ukulele")
        for m in re.finditer(r"\b([Aa]n?) (\w+)", s.text):
            art, word = m.group(1).lower(), m.group(2).lower()
            if art == "a":
                assert word[0] not in "aeio", s.text
            else:
                assert word[0] in "aeiou" or word.startswith(("hour", "honest")), s.text
        pron = s.facts["pronoun"]
        other = {"he": ("she", "her"), "she": ("he", "his", "him"), "they": ()}[pron]
        if pron == "they":
            they_seen += 1
            assert not re.search(r"\b[Tt]hey was\b", s.text), s.text
        # the hero's opening sentence block never uses the other gender's pronoun for the hero
        first = s.text.split("\n\n")[0]
        if s.facts["hero"] in first and pron != "they":
            sentences = re.split(r"(?<=[.!?]) ", first)
            follow = [x for x in sentences[1:3] if not x.startswith('"')]
            for x in follow:
                assert not re.match(r"(%s)\b" % "|".join(w.capitalize() for w in other), x), s.text
    assert they_seen > 3


def test_stories_are_varied(en_stories):
    firsts = {s.text.split(".")[0] for s in en_stories}
    assert len(firsts) > 0.9 * len(en_stories)
    lengths = [len(s.text.split()) for s in en_stories]
    assert max(lengths) - min(lengths) > 100
    heroes = {s.facts["hero"] for s in en_stories}
    objects = {s.facts["object"] for s in en_stories}
    places = {s.facts["place"] for s in en_stories}
    assert len(heroes) > 200 and len(objects) > 100 and len(places) > 40


# ---------------------------------------------------------------------------------------------
# Chinese stories


def test_zh_is_chinese(zh_stories):
    for s in zh_stories:
        assert re.search(r"[\u4e00-\u9fff]", s.text)
        assert not re.search(r"[A-Za-z]", s.text), s.text
        assert " " not in s.text
        assert "。" in s.text and "." not in s.text and "," not in s.text
        cjk = len(re.findall(r"[\u4e00-\u9fff]", s.text))
        assert 120 <= cjk <= 450, (s.id, cjk)


def test_zh_facts_in_text(zh_stories):
    sums = 0
    for s in zh_stories:
        f = s.facts
        for key in ("hero", "object", "colour", "place"):
            assert f[key] in s.text, (s.id, key)
        for key in ("friend", "feeling", "animal", "weather", "time", "giver"):
            if key in f:
                assert f[key] in s.text, (s.id, key)
        assert f["pronoun"] in ("他", "她")
        if "sum" in f:
            sums += 1
            d = f["sum"]
            assert (d["a"] + d["b"] if d["op"] == "+" else d["a"] - d["b"]) == d["total"]
            assert zh_num(d["total"]) + d["measure"] + d["item"] in s.text, s.text
            assert zh_num(d["a"]) + d["measure"] in s.text, s.text
    assert sums > 30


def test_zh_measure_words(zh_stories):
    measures = set()
    for s in zh_stories:
        measures.update(re.findall(r"一([个只本把条辆顶件支张盏根块颗朵面架双副枚盒串])", s.text))
    assert {"个", "只", "本", "把"} <= measures


# ---------------------------------------------------------------------------------------------
# questions, dialogues, preferences


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_questions(lang, en_stories, zh_stories):
    stories = en_stories if lang == "en" else zh_stories
    kinds = set()
    for s in stories[:200]:
        qs = make_questions(s, random.Random(s.id), lang)
        assert {"hero", "object", "colour", "place"} <= {q["kind"] for q in qs}
        for q in qs:
            kinds.add(q["kind"])
            assert set(q) >= {"question", "answer", "kind", "distractors"}
            assert q["question"].strip() and q["answer"].strip()
            assert q["answer"] in s.text, (s.id, q)
            assert len(q["distractors"]) >= 3
            assert q["answer"] not in q["distractors"]
            assert len(set(q["distractors"])) == len(q["distractors"])
            if q["kind"] == "sum":
                total = s.facts["sum"]["total"]
                assert q["answer"] == (str(total) if lang == "en" else zh_num(total))
            else:
                assert q["answer"] == s.facts[q["kind"]]
            if lang == "zh":
                assert not re.search(r"[A-Za-z]", q["question"])
    assert {"friend", "feeling", "sum", "animal"} <= kinds


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_preferences(lang, en_stories, zh_stories):
    stories = en_stories if lang == "en" else zh_stories
    kinds = set()
    for s in stories[:300]:
        p = make_preference(s, random.Random("p" + s.id), lang)
        kinds.add(p["kind"])
        assert p["id"].startswith(s.id)
        assert p["chosen"] != p["rejected"]
        if p["kind"] == "arithmetic":  # the same sentence, the result (its last number) off by 1 to 3
            number = r"\d+" if lang == "en" else "[零一二两三四五六七八九十]+"
            last = lambda text: re.findall(number, text)[-1]  # noqa: E731
            assert has_words(p["chosen"], p["answer"]) if lang == "en" else p["answer"] in p["chosen"], p
            assert last(p["chosen"]) != last(p["rejected"]), p
            if lang == "en":
                assert 1 <= abs(int(last(p["chosen"])) - int(last(p["rejected"]))) <= 3, p
            continue
        assert p["prompt"].startswith(s.text)
        if lang == "en":
            assert has_words(p["chosen"], p["answer"]), p
            assert not has_words(p["rejected"], p["answer"]), p
        else:
            assert p["answer"] in p["chosen"] and p["answer"] not in p["rejected"], p
    assert "arithmetic" in kinds and len(kinds) > 5


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_dialogues(lang, en_stories, zh_stories):
    stories = en_stories if lang == "en" else zh_stories
    types = set()
    for s in stories[:300]:
        d = make_dialogue(s, random.Random("d" + s.id), lang)
        types.add(d["type"])
        msgs = d["messages"]
        roles = [m["role"] for m in msgs]
        if roles[0] == "system":
            roles = roles[1:]
        assert roles and roles == ["user", "assistant"] * (len(roles) // 2)
        assert msgs[-1]["role"] == "assistant" and d["answer"] in msgs[-1]["content"]
        if d["type"] == "arithmetic":
            q = msgs[-2]["content"]
            nums = [int(x) for x in re.findall(r"\d+", q)] if lang == "en" else []
            assert all(0 <= x <= 20 for x in nums)
            if lang == "en" and len(nums) == 2:
                a, b = nums
                assert int(d["answer"]) in (a + b, a - b)
        else:
            first_user = next(m for m in msgs if m["role"] == "user")
            assert first_user["content"].startswith(s.text)
            for ans in d["answers"]:
                assert ans in s.text
        if lang == "zh":
            assert not any(re.search(r"[A-Za-z]", m["content"]) for m in msgs)
    assert types == {"qa", "multi_turn", "arithmetic"}


def test_external_story_object_works():
    s = Story(id="x-1", text="Once upon a time, Mia found a red kite. Mia went to the park. Mia felt happy.",
              facts={"hero": "Mia", "pronoun": "she", "object": "kite", "colour": "red", "place": "the park",
                     "feeling": "happy"})
    qs = make_questions(s, random.Random(0))
    assert {q["kind"] for q in qs} == {"hero", "object", "colour", "place", "feeling"}
    p = make_preference(s, random.Random(1))
    assert has_words(p["chosen"], p["answer"]) and not has_words(p["rejected"], p["answer"])


# ---------------------------------------------------------------------------------------------
# byte identity: the corpus is a pinned artefact; any change to templates, word lists or the order
# of random draws changes these hashes. When a change is meant, bump GENERATOR_VERSION, regenerate
# eval/benchmarks (python -m eval.make_benchmarks) and update the hashes here.

CORPUS_SHA256 = {
    "en": "bcb3c6b2f97f7e1b98457bf56b452cb5e8b67feaaf15074e9b6a4c9f0f19e79b",
    "zh": "94dc5c15094912b0f35e6ffaef5d005fceebd15e8752e1acf2ee9cb57e1ffc27",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_corpus_bytes_are_pinned(tmp_path, lang):
    out = tmp_path / "c"
    write_corpus(out, seed=3, lang=lang, train_stories=40, val_stories=8, test_stories=8, progress=False)
    h = hashlib.sha256()
    for name in sorted(os.listdir(out)):
        h.update(name.encode() + b"\0" + (out / name).read_bytes())
    assert h.hexdigest() == CORPUS_SHA256[lang], f"{lang} corpus bytes changed"


def test_template_and_word_data_ship_as_package_data():
    data = resources.files("data_prep.synthetic").joinpath("data")
    names = {p.name for p in data.iterdir()}
    assert {"templates_en.json", "templates_zh.json", "words_en.json", "words_zh.json"} <= names
    for name in names:
        json.loads(data.joinpath(name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# corpus files, stats, command line


def _read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_write_corpus(tmp_path):
    out = tmp_path / "corpus"
    m = write_corpus(out, seed=2, lang="en", train_stories=60, val_stories=15, test_stories=10, progress=False)
    expected = {f"{kind}_{split}.jsonl" for kind in ("stories", "dialogues", "preferences")
                for split in ("train", "val", "test")} | {"manifest.json"}
    assert set(os.listdir(out)) == expected
    assert not [p for p in os.listdir(tmp_path) if p != "corpus"], "temporary folder left behind"
    counts = {"train": 60, "val": 15, "test": 10}
    texts = {}
    for split, n in counts.items():
        stories = _read_jsonl(out / f"stories_{split}.jsonl")
        assert len(stories) == n
        assert all(set(r) == {"id", "text", "facts"} for r in stories)
        assert len(_read_jsonl(out / f"dialogues_{split}.jsonl")) == n
        prefs = _read_jsonl(out / f"preferences_{split}.jsonl")
        assert len(prefs) == n and all(p["chosen"] != p["rejected"] for p in prefs)
        texts[split] = {r["text"] for r in stories}
        assert m["counts"][split] == {"stories": n, "dialogues": n, "preferences": n}
        assert m["words"][split] == sum(len(t.split()) for t in texts[split])
    assert not texts["train"] & (texts["val"] | texts["test"]) and not texts["val"] & texts["test"]
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == m
    assert m["seed"] == 2 and m["lang"] == "en" and m["version"]
    # same arguments, same bytes
    out2 = tmp_path / "again"
    write_corpus(out2, seed=2, lang="en", train_stories=60, val_stories=15, test_stories=10, progress=False)
    for name in expected:
        assert (out / name).read_bytes() == (out2 / name).read_bytes()


def test_write_corpus_into_existing_folder_and_zh(tmp_path):
    out = tmp_path / "zh"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    m = write_corpus(out, seed=0, lang="zh", train_stories=20, val_stories=5, test_stories=5, progress=False)
    assert (out / "keep.txt").read_text() == "mine"
    assert m["lang"] == "zh" and m["counts"]["train"]["stories"] == 20
    d = _read_jsonl(out / "dialogues_train.jsonl")
    assert len(d) == 20 and not any(re.search(r"[A-Za-z]", msg["content"]) for r in d for msg in r["messages"])
    assert not [p for p in os.listdir(tmp_path) if p != "zh"]


def test_interrupted_write_leaves_nothing_complete(tmp_path, monkeypatch):
    import data_prep.synthetic.corpus as synth  # write_corpus calls its module's make_preference

    out = tmp_path / "corpus"
    write_corpus(out, seed=0, train_stories=5, val_stories=2, test_stories=2, progress=False)
    calls = {"n": 0}
    real = synth.make_preference

    def failing(story, rng, lang="en"):
        calls["n"] += 1
        if calls["n"] > 6:
            raise KeyboardInterrupt
        return real(story, rng, lang)

    monkeypatch.setattr(synth, "make_preference", failing)
    with pytest.raises(KeyboardInterrupt):
        write_corpus(out, seed=1, train_stories=50, val_stories=5, test_stories=5, progress=False)
    # the earlier corpus is untouched, and no temporary folder is left behind
    assert json.loads((out / "manifest.json").read_text())["seed"] == 0
    assert len(_read_jsonl(out / "stories_train.jsonl")) == 5
    assert os.listdir(tmp_path) == ["corpus"]
    with pytest.raises(KeyboardInterrupt):
        write_corpus(tmp_path / "fresh", seed=1, train_stories=50, val_stories=5, test_stories=5, progress=False)
    assert not (tmp_path / "fresh").exists()


def test_write_corpus_rejects_bad_counts(tmp_path):
    with pytest.raises(ValueError):
        write_corpus(tmp_path / "x", train_stories=-1, progress=False)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_corpus_stats(lang):
    st = corpus_stats(0, 20000, lang)
    assert st["words"] >= 20000 and st["stories"] > 50
    assert st["duplicate_stories"] == 0
    assert 0.3 < st["distinct_4gram_ratio"] <= 1.0
    assert st["vocab"] > 300
    assert st["distinct_4grams"] <= st["total_4grams"]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "data_prep.synthetic", *args], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [
    ["--bogus"],
    [],
    ["--out", "x", "--train-stories", "-3"],
    ["--out", "x", "--lang", "fr"],
    ["--stats"],
    ["--stats", "--words", "abc"],
    ["--out", "x", "--words", "10"],
])
def test_cli_bad_arguments(args):
    r = _cli(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert r.stdout == ""


def test_cli_writes_and_stats(tmp_path):
    r = _cli("--out", str(tmp_path / "c"), "--train-stories", "12", "--val-stories", "3", "--test-stories", "3",
             "--seed", "4", "--quiet")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert m["seed"] == 4 and m["counts"]["val"]["stories"] == 3
    r = _cli("--stats", "--words", "3000", "--quiet")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["words"] >= 3000 and st["duplicate_stories"] == 0
    r = _cli("--help")
    assert r.returncode == 0 and "--train-stories" in r.stdout
