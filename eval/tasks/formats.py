"""The field's standard benchmarks read from the files people download, each in its published layout.

    from eval.tasks.formats import read_task
    task = read_task("hellaswag", "data/hellaswag")        # a folder or one file, plain or .gz/.bz2/.xz/.zst

Every reader returns a `Task`: the scored items (`query`, `choices`, `label`, maybe `subject`)
and the few-shot pool from the task's own train / dev split, with the prompt text lm-eval-harness
builds for that task (so the YAMLs of eval.tasks.lm_eval score the same strings):

  hellaswag      hellaswag_val.jsonl (+ hellaswag_train.jsonl for shots): `ctx_a`/`ctx_b` (or `ctx`),
                 `endings`, `label`, `activity_label`; query "LABEL: CTX", WikiHow clean-up below
  arc_easy,      ARC-Easy/ARC-Easy-Test.jsonl (+ -Train): `question.stem`, `question.choices`
  arc_challenge  [{text, label}], `answerKey`; query "Question: STEM\\nAnswer:"
  piqa           valid.jsonl + valid-labels.lst (+ train.jsonl + train-labels.lst): `goal`,
                 `sol1`, `sol2`; query "Question: GOAL\\nAnswer:"
  mmlu           data/test/SUBJECT_test.csv (+ data/dev/SUBJECT_dev.csv), no header:
                 question, A, B, C, D, answer letter
  cmmlu          test/SUBJECT.csv (+ dev/SUBJECT.csv), header ",Question,A,B,C,D,Answer"
  ceval          val/SUBJECT_val.csv (+ dev/SUBJECT_dev.csv), header "id,question,A,B,C,D,answer,..."
                 (C-Eval's test split has no answers; its val split is what everyone reports)
  lambada        lambada_test.jsonl (`text`) or the plain-text release (one passage a line):
                 the passage without its last word, then " LASTWORD"
  mc             any JSONL of {context, options, label} (optional `subject`): options follow
                 the context as written
  cont           any JSONL of {context, continuation}: scored like lambada

MMLU-style queries are "QUESTION\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\nAnswer:" ("答案：" for CMMLU and
C-Eval) with choices " A".." D", after a per-subject description line. A bad file is one line
naming file:line and the problem.
"""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from tinyllm.errors import TinyLLMError
from tinyllm.records import read_jsonl
from tinyllm.textio import COMPRESSIONS, data_suffix, open_text

LETTERS = ("A", "B", "C", "D")


@dataclass
class Task:
    kind: str                       # the layout (a key of READERS)
    path: str                       # what the user named
    items: list[dict]               # query, choices, label (choices[label] is right; `target` for continuation)
    fewshot: dict = field(default_factory=dict)  # subject (None: whole task) -> pool items
    mode: str = "mc"                # "mc": pick among choices; "cont": score / greedy-decode one continuation
    delimiter: str = " "            # between query and choice (lm-eval's target_delimiter)
    sampler: str = "random"         # "random" (seeded per item) or "first_n" (the dev split's first k: MMLU)
    primary: str = "acc"            # the metric the centred summary uses
    descriptions: dict = field(default_factory=dict)  # subject -> text opening every prompt


def _fail(where, problem: str):
    raise ValueError(f"{where}: {problem}")


def _sibling_train(path: Path) -> Path | None:
    """The train split beside a test / dev / val file: its name (under any compression) with the
    split's word replaced, in the same case ("ARC-Easy-Test.jsonl.gz" -> "ARC-Easy-Train.jsonl")."""
    base = path.name[:-len(path.suffix)] if path.suffix in COMPRESSIONS else path.name
    name = re.sub(r"(?i)test|dev|val", lambda m: "Train" if m.group(0)[0].isupper() else "train", base, count=1)
    found = _find(path.parent, name) if name != base else None
    return found if found != path else None


def _find(folder: Path, *names: str) -> Path | None:
    """The first of `names` in `folder`, plain or compressed."""
    for name in names:
        for suffix in ("", *COMPRESSIONS):
            if (folder / (name + suffix)).is_file():
                return folder / (name + suffix)
    return None


def _need(path: Path | None, what: str, where) -> Path:
    if path is None:
        raise TinyLLMError(f"{where}: no {what} here")
    return path


# ------------------------------------------------------------------------------------- HellaSwag

def hellaswag_clean(text: str) -> str:
    """HellaSwag's standard clean-up (as lm-eval does it): trim, " [title]" becomes a sentence
    end, other WikiHow bracket tags ("[header]", "[step]") vanish, double spaces become one."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def _hellaswag_item(record, where) -> dict:
    if not isinstance(record, dict):
        _fail(where, "not a JSON object")
    for key in ("endings", "label"):
        if key not in record:
            _fail(where, f"missing '{key}'" + (" (HellaSwag's test split is unlabelled; use val)" if key == "label" else ""))
    endings = record["endings"]
    if not (isinstance(endings, list) and len(endings) >= 2 and all(isinstance(e, str) for e in endings)):
        _fail(where, "'endings' must be a list of strings")
    try:
        label = int(record["label"])
    except (TypeError, ValueError):
        label = -1
    if not 0 <= label < len(endings):
        _fail(where, f"'label' {record['label']!r} is not an index into 'endings'")
    if "ctx_a" in record:
        ctx = record["ctx_a"] + " " + str(record.get("ctx_b", "")).capitalize()
    elif "ctx" in record:
        ctx = record["ctx"]
    else:
        _fail(where, "missing 'ctx' (or 'ctx_a' and 'ctx_b')")
    query = hellaswag_clean(f"{record.get('activity_label', '')}: {ctx}" if record.get("activity_label") else ctx)
    return {"query": query, "choices": [hellaswag_clean(e) for e in endings], "label": label,
            "id": record.get("ind")}


def _jsonl_items(path, convert) -> list[dict]:
    items = []
    read_jsonl(path, "task", check=lambda r, where: items.append(convert(r, where)))
    return items


def read_hellaswag(path: Path) -> Task:
    if path.is_dir():
        test = _need(_find(path, "hellaswag_val.jsonl", "validation.jsonl", "val.jsonl"), "hellaswag_val.jsonl", path)
    else:
        test = path
    train = _find(test.parent, "hellaswag_train.jsonl", "train.jsonl")
    return Task("hellaswag", str(path), _jsonl_items(test, _hellaswag_item),
                {None: _jsonl_items(train, _hellaswag_item)} if train else {}, primary="acc_norm")


# ------------------------------------------------------------------------------------------ ARC

def _arc_item(record, where) -> dict:
    if not isinstance(record, dict) or "question" not in record or "answerKey" not in record:
        _fail(where, "missing 'question' or 'answerKey' (an ARC record)")
    q = record["question"]
    stem, choices = (q.get("stem"), q.get("choices")) if isinstance(q, dict) else (q, record.get("choices"))
    if isinstance(choices, dict):  # the hub's flattening: {"text": [...], "label": [...]}
        choices = [{"text": t, "label": l} for t, l in zip(choices.get("text", []), choices.get("label", []))]
    if not isinstance(stem, str) or not isinstance(choices, list) or len(choices) < 2 or \
            not all(isinstance(c, dict) and isinstance(c.get("text"), str) and "label" in c for c in choices):
        _fail(where, "'question' needs a 'stem' and 'choices' of at least 2 {text, label}")
    labels = [str(c["label"]) for c in choices]
    key = str(record["answerKey"])
    if key not in labels:
        _fail(where, f"answerKey {key!r} is not one of the choice labels {labels}")
    return {"query": f"Question: {stem}\nAnswer:", "choices": [c["text"] for c in choices],
            "label": labels.index(key), "id": record.get("id")}


def read_arc(path: Path, kind: str) -> Task:
    if path.is_dir():
        tests = sorted(p for p in path.iterdir() if re.search(r"test\.jsonl", p.name, re.I))
        test = _need(tests[0] if tests else None, "*-Test.jsonl (ARC-Easy-Test.jsonl / ARC-Challenge-Test.jsonl)", path)
    else:
        test = path
    train = _sibling_train(test)
    return Task(kind, str(path), _jsonl_items(test, _arc_item),
                {None: _jsonl_items(train, _arc_item)} if train else {}, primary="acc_norm")


# ----------------------------------------------------------------------------------------- PIQA

def _piqa_split(data: Path, labels: Path) -> list[dict]:
    with open_text(labels) as f:
        marks = [(n, line.strip()) for n, line in enumerate(f, 1) if line.strip()]
    items = []

    def convert(record, where):
        if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("goal", "sol1", "sol2")):
            _fail(where, "needs string 'goal', 'sol1' and 'sol2' (a PIQA record)")
        if len(items) >= len(marks):
            _fail(where, f"no label for this record: {labels} has only {len(marks)} lines")
        n, mark = marks[len(items)]
        if mark not in ("0", "1"):
            _fail(f"{labels}:{n}", f"label {mark!r} is not 0 or 1")
        items.append({"query": f"Question: {record['goal']}\nAnswer:", "choices": [record["sol1"], record["sol2"]],
                      "label": int(mark), "id": record.get("id")})

    read_jsonl(data, "task", check=convert)
    if len(items) != len(marks):
        raise TinyLLMError(f"{labels}: {len(marks)} labels for {len(items)} records in {data}")
    return items


def _piqa_labels(data: Path) -> Path | None:
    stem = data.name.split(".")[0]
    return _find(data.parent, f"{stem}-labels.lst", f"{stem}-labels.txt")


def read_piqa(path: Path) -> Task:
    data = _need(_find(path, "valid.jsonl", "dev.jsonl"), "valid.jsonl", path) if path.is_dir() else path
    labels = _piqa_labels(data)
    if labels is None:
        raise TinyLLMError(f"{data}: no labels file beside it ({data.name.split('.')[0]}-labels.lst; "
                           f"PIQA's test split is unlabelled, use valid)")
    train = _find(data.parent, "train.jsonl")
    pool = {None: _piqa_split(train, _piqa_labels(train))} if train and train != data and _piqa_labels(train) else {}
    return Task("piqa", str(path), _piqa_split(data, labels), pool, primary="acc_norm")


# -------------------------------------------------------------------------- MMLU / CMMLU / C-Eval

_SPLIT_SUFFIX = re.compile(r"_(test|val|dev)$")
MMLU_STYLE = {"mmlu": ("test", "Answer:", "The following are multiple choice questions (with answers) about {}.\n\n"),
              "cmmlu": ("test", "答案：", "以下是关于{}的单项选择题，请直接给出正确答案的选项。\n\n"),
              "ceval": ("val", "答案：", "以下是中国关于{}考试的单项选择题，请选出其中的正确答案。\n\n")}


def subject_of(csv_path: Path) -> str:
    name = csv_path.name[:-len("".join(csv_path.suffixes))] if csv_path.suffixes else csv_path.name
    return _SPLIT_SUFFIX.sub("", name)


def read_subject_csv(path: Path, answer_word: str, subject: str) -> list[dict]:
    """One subject's questions. MMLU has no header (question, A, B, C, D, answer); CMMLU and
    C-Eval have one naming the columns (extra ones, such as C-Eval's explanation, are ignored)."""
    items = []
    with open_text(path) as f:
        reader = csv.reader(f)
        columns = None
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            lower = [c.strip().lower() for c in row]
            if columns is None and "question" in lower and "a" in lower:
                missing = [k for k in ("question", "a", "b", "c", "d", "answer") if k not in lower]
                if missing == ["answer"]:
                    raise TinyLLMError(f"{where}: no 'answer' column (an unlabelled test split? "
                                       f"C-Eval's answers are in val/)")
                if missing:
                    raise TinyLLMError(f"{where}: header lacks column '{missing[0]}'")
                columns = [lower.index(k) for k in ("question", "a", "b", "c", "d", "answer")]
                continue
            cols = columns or list(range(6))
            if len(row) <= max(cols):
                raise TinyLLMError(f"{where}: {len(row)} columns, expected question, A, B, C, D and answer")
            question, *options, answer = (row[i] for i in cols)
            if answer.strip().upper() not in LETTERS:
                raise TinyLLMError(f"{where}: answer {answer!r} is not one of A, B, C, D")
            query = question.strip() + "".join(f"\n{L}. {o}" for L, o in zip(LETTERS, options)) + "\n" + answer_word
            items.append({"query": query, "choices": list(LETTERS), "label": LETTERS.index(answer.strip().upper()),
                          "subject": subject, "id": f"{subject}:{len(items)}"})
    if not items:
        raise TinyLLMError(f"{path}: no questions")
    return items


def _csvs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and data_suffix(p) == ".csv")


def read_mmlu_style(path: Path, kind: str) -> Task:
    split, answer_word, description = MMLU_STYLE[kind]
    if path.is_file():
        files, dev = [path], path.parent.parent / "dev"
    elif (path / split).is_dir():
        files, dev = _csvs(path / split), path / "dev"
    else:
        files, dev = _csvs(path), path.parent / "dev"
    if not files:
        raise TinyLLMError(f"{path}: no CSV files (expected {split}/SUBJECT{'' if kind == 'cmmlu' else '_' + split}.csv)")
    dev_files = {subject_of(p): p for p in _csvs(dev)} if dev.is_dir() else {}
    items, pool, descriptions = [], {}, {}
    for f in files:
        subject = subject_of(f)
        items += read_subject_csv(f, answer_word, subject)
        descriptions[subject] = description.format(subject.replace("_", " "))
        if subject in dev_files and dev_files[subject] != f:
            pool[subject] = read_subject_csv(dev_files[subject], answer_word, subject)
    return Task(kind, str(path), items, pool, sampler="first_n", descriptions=descriptions)


# --------------------------------------------------------------------------- LAMBADA and generic

def _lambada_item(text, where) -> dict:
    if isinstance(text, dict):
        text = text.get("text")
    if not isinstance(text, str) or len(text.strip().split(" ")) < 2:
        _fail(where, "needs 'text': a passage of at least two words")
    words = text.strip().split(" ")
    return {"query": " ".join(words[:-1]), "target": " " + words[-1]}


def read_lambada(path: Path) -> Task:
    if path.is_dir():
        path = _need(_find(path, "lambada_test.jsonl", "lambada_test_plain_text.txt"), "lambada_test.jsonl", path)
    if data_suffix(path) in (".jsonl", ".json"):
        items = _jsonl_items(path, _lambada_item)
    else:
        items = []
        with open_text(path) as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    items.append(_lambada_item(line, f"{path}:{n}"))
        if not items:
            raise TinyLLMError(f"{path}: no passages")
    return Task("lambada", str(path), items, mode="cont", delimiter="")


def _mc_item(record, where) -> dict:
    if not isinstance(record, dict) or not all(k in record for k in ("context", "options", "label")):
        _fail(where, "needs 'context', 'options' and 'label'")
    options, label = record["options"], record["label"]
    if not (isinstance(options, list) and len(options) >= 2 and all(isinstance(o, str) and o for o in options)):
        _fail(where, "'options' must be a list of at least 2 non-empty strings")
    if not (isinstance(label, int) and not isinstance(label, bool) and 0 <= label < len(options)):
        _fail(where, f"'label' must be an index into 'options' (0..{len(options) - 1})")
    if not isinstance(record["context"], str):
        _fail(where, "'context' must be a string")
    item = {"query": record["context"], "choices": options, "label": label, "id": record.get("id")}
    if record.get("subject") is not None:
        item["subject"] = str(record["subject"])
    return item


def _cont_item(record, where) -> dict:
    if not isinstance(record, dict) or not isinstance(record.get("context"), str) or \
            not isinstance(record.get("continuation"), str) or not record["continuation"]:
        _fail(where, "needs string 'context' and non-empty 'continuation'")
    return {"query": record["context"], "target": record["continuation"], "id": record.get("id")}


def _generic_pool(path: Path, convert) -> dict:
    """The train split beside a generic file: its name with test / val / dev replaced by train."""
    train = _sibling_train(path)
    return {None: _jsonl_items(train, convert)} if train else {}


def read_generic(path: Path, kind: str) -> Task:
    if path.is_dir():
        raise TinyLLMError(f"{path}: the {kind} task takes one JSONL file")
    if kind == "mc":
        return Task("mc", str(path), _jsonl_items(path, _mc_item), _generic_pool(path, _mc_item), delimiter="")
    return Task("cont", str(path), _jsonl_items(path, _cont_item), _generic_pool(path, _cont_item),
                mode="cont", delimiter="")


READERS = {"hellaswag": read_hellaswag, "arc_easy": lambda p: read_arc(p, "arc_easy"),
           "arc_challenge": lambda p: read_arc(p, "arc_challenge"), "piqa": read_piqa,
           "mmlu": lambda p: read_mmlu_style(p, "mmlu"), "cmmlu": lambda p: read_mmlu_style(p, "cmmlu"),
           "ceval": lambda p: read_mmlu_style(p, "ceval"), "lambada": read_lambada,
           "mc": lambda p: read_generic(p, "mc"), "cont": lambda p: read_generic(p, "cont")}
TASK_KINDS = tuple(READERS)


def read_task(kind: str, path) -> Task:
    """The task `kind` (one of TASK_KINDS) from a local file or folder; problems are one line."""
    if kind not in READERS:
        raise TinyLLMError(f"unknown task '{kind}' (choose from {', '.join(TASK_KINDS)})")
    path = Path(path)
    if not path.exists():
        raise TinyLLMError(f"{path}: {kind} file or folder not found")
    try:
        return READERS[kind](path)
    except UnicodeDecodeError as err:  # before ValueError, its base class
        raise TinyLLMError(f"{path}: not UTF-8 text ({err.reason})") from None
    except ValueError as err:  # a reader's own check outside read_jsonl
        raise TinyLLMError(str(err)) from None
    except csv.Error as err:
        raise TinyLLMError(f"{path}: not a readable CSV ({err})") from None
