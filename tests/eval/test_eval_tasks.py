"""eval/tasks: the standard benchmarks' published layouts (small files written here, never copies of
the datasets), k-shot prompts, closed-form scores of a uniform model, chance for an untrained one,
bad files in one line, eval.run --task and the report card, windowed perplexity."""

import bz2
import csv
import gzip
import io
import json
import math
import random

import pytest
import torch

from eval.metrics import binomial_stderr
from eval.tasks.formats import read_task
from eval.tasks.score import build_prompt, requests, score_requests, shots_for
from tinyllm.errors import TinyLLMError


def jsonl(path, records, opener=open):
    path.parent.mkdir(parents=True, exist_ok=True)
    with opener(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


def csv_file(path, rows, header=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def hellaswag_record(i, label=0):
    return {"ind": i, "activity_label": "Making a cake", "ctx_a": f"A woman mixes flour number {i}.",
            "ctx_b": "she", "ctx": "unused", "split": "val",
            "endings": [f"pours it [title] into a pan {i}.", "eats the  bowl.", "[step] sings a song.", "runs away."],
            "label": label}


def arc_record(i, key="B", labels="ABCD"):
    return {"id": f"Q{i}", "question": {"stem": f"Which thing number {i} is a plant?",
                                         "choices": [{"text": t, "label": L} for t, L in zip(
                                             ["a rock", "a tree", "a cup", "a car"], labels)]},
            "answerKey": key}


def mmlu_row(i, answer="C"):
    return [f"What is {i} plus one, in words, with a comma?", "one", "two", f"n{i + 1}", "four", answer]


def write_all(root):
    """One small folder per published layout; returns {kind: path}."""
    jsonl(root / "hellaswag" / "hellaswag_val.jsonl", [hellaswag_record(i, i % 4) for i in range(6)])
    jsonl(root / "hellaswag" / "hellaswag_train.jsonl", [hellaswag_record(100 + i, 1) for i in range(5)])
    jsonl(root / "ARC-Easy" / "ARC-Easy-Test.jsonl.gz", [arc_record(i, "2", "1234") for i in range(4)], gzip.open)
    jsonl(root / "ARC-Easy" / "ARC-Easy-Train.jsonl", [arc_record(10 + i) for i in range(3)])
    jsonl(root / "piqa" / "valid.jsonl", [{"goal": f"Open jar {i}", "sol1": "twist the lid", "sol2": "bite it"}
                                          for i in range(3)])
    (root / "piqa" / "valid-labels.lst").write_text("0\n1\n0\n")
    jsonl(root / "piqa" / "train.jsonl", [{"goal": "Dry hair", "sol1": "use a towel", "sol2": "use soup"}])
    (root / "piqa" / "train-labels.lst").write_text("0\n")
    for subject in ("anatomy", "high_school_physics"):
        csv_file(root / "mmlu" / "data" / "test" / f"{subject}_test.csv", [mmlu_row(i, "ABCD"[i % 4]) for i in range(4)])
        csv_file(root / "mmlu" / "data" / "dev" / f"{subject}_dev.csv", [mmlu_row(50 + i, "C") for i in range(5)])
    csv_file(root / "cmmlu" / "test" / "art.csv", [[str(i), f"问题{i}", "甲", "乙", "丙", "丁", "B"] for i in range(3)],
             ["", "Question", "A", "B", "C", "D", "Answer"])
    csv_file(root / "cmmlu" / "dev" / "art.csv", [["0", "示例", "甲", "乙", "丙", "丁", "A"]],
             ["", "Question", "A", "B", "C", "D", "Answer"])
    csv_file(root / "ceval" / "val" / "law_val.csv", [[str(i), f"法律{i}", "甲", "乙", "丙", "丁", "D"] for i in range(3)],
             ["id", "question", "A", "B", "C", "D", "answer"])
    csv_file(root / "ceval" / "dev" / "law_dev.csv", [["0", "示例", "甲", "乙", "丙", "丁", "A", "因为"]],
             ["id", "question", "A", "B", "C", "D", "answer", "explanation"])
    csv_file(root / "ceval" / "test" / "law_test.csv", [["0", "测试", "甲", "乙", "丙", "丁"]],
             ["id", "question", "A", "B", "C", "D"])
    jsonl(root / "lambada" / "lambada_test.jsonl.bz2", [{"text": t} for t in (
        "Lily saw a red ball and she took the ball", "Tom had a dog called Spot and he loved Spot")], bz2.open)
    jsonl(root / "mine" / "mc_test.jsonl", [{"context": "Lily had a", "options": [" ball", " cat"], "label": 1}])
    jsonl(root / "mine" / "mc_train.jsonl", [{"context": "Tom saw a", "options": [" dog", " sun"], "label": 0}])
    jsonl(root / "mine" / "cont_test.jsonl", [{"context": "Lily had a", "continuation": " ball"}])
    return {"hellaswag": root / "hellaswag", "arc_easy": root / "ARC-Easy", "piqa": root / "piqa",
            "mmlu": root / "mmlu" / "data", "cmmlu": root / "cmmlu", "ceval": root / "ceval",
            "lambada": root / "lambada" / "lambada_test.jsonl.bz2", "mc": root / "mine" / "mc_test.jsonl",
            "cont": root / "mine" / "cont_test.jsonl"}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    return write_all(tmp_path_factory.mktemp("tasks"))


# ----------------------------------------------------------------------------------- parsing

def test_each_published_layout_parses(layouts):
    h = read_task("hellaswag", layouts["hellaswag"])
    assert len(h.items) == 6 and len(h.fewshot[None]) == 5 and h.primary == "acc_norm"
    # lm-eval's preprocessing: activity label, ctx_b capitalised, " [title]" -> ". ", tags gone, "  " -> " "
    assert h.items[0]["query"] == "Making a cake: A woman mixes flour number 0. She"
    assert h.items[0]["choices"] == ["pours it. into a pan 0.", "eats the bowl.", " sings a song.", "runs away."]  # strip comes first, as lm-eval
    assert [i["label"] for i in h.items] == [0, 1, 2, 3, 0, 1]

    a = read_task("arc_easy", layouts["arc_easy"])  # gzipped test split, numeric choice labels
    assert a.items[0]["query"] == "Question: Which thing number 0 is a plant?\nAnswer:"
    assert a.items[0]["choices"][a.items[0]["label"]] == "a tree" and len(a.fewshot[None]) == 3

    p = read_task("piqa", layouts["piqa"])
    assert [i["label"] for i in p.items] == [0, 1, 0] and p.items[1]["choices"] == ["twist the lid", "bite it"]
    assert p.items[0]["query"] == "Question: Open jar 0\nAnswer:"

    m = read_task("mmlu", layouts["mmlu"])
    assert len(m.items) == 8 and set(m.fewshot) == {"anatomy", "high_school_physics"}
    assert m.items[0]["query"] == ("What is 0 plus one, in words, with a comma?\nA. one\nB. two\nC. n1\nD. four\nAnswer:")
    assert m.items[0]["choices"] == ["A", "B", "C", "D"] and [i["label"] for i in m.items[:4]] == [0, 1, 2, 3]
    assert m.descriptions["high_school_physics"] == \
        "The following are multiple choice questions (with answers) about high school physics.\n\n"
    c = read_task("cmmlu", layouts["cmmlu"])
    assert c.items[0]["query"].endswith("D. 丁\n答案：") and c.items[0]["label"] == 1 and c.items[0]["subject"] == "art"
    e = read_task("ceval", layouts["ceval"])  # val/ scored, dev/ for shots, the unlabelled test/ untouched
    assert len(e.items) == 3 and e.items[0]["label"] == 3 and len(e.fewshot["law"]) == 1

    lam = read_task("lambada", layouts["lambada"])
    assert lam.items[1] == {"query": "Tom had a dog called Spot and he loved", "target": " Spot"} and lam.mode == "cont"
    assert read_task("mc", layouts["mc"]).items[0]["choices"] == [" ball", " cat"]
    assert read_task("cont", layouts["cont"]).items[0]["target"] == " ball"


# ------------------------------------------------------------------------------------ k-shot

def test_mmlu_two_shot_prompt_is_the_documented_layout(layouts):
    m = read_task("mmlu", layouts["mmlu"])
    item = m.items[4]  # the first high_school_physics question
    prompt = build_prompt(m, item, shots_for(m, 4, item, 2))
    dev = "What is {} plus one, in words, with a comma?\nA. one\nB. two\nC. n{}\nD. four\nAnswer: C\n\n"
    assert prompt == ("The following are multiple choice questions (with answers) about high school physics.\n\n"
                      + dev.format(50, 51) + dev.format(51, 52)
                      + "What is 0 plus one, in words, with a comma?\nA. one\nB. two\nC. n1\nD. four\nAnswer:")
    [(context, options)] = requests(m, [item], [4], 2)
    assert context == prompt and options == [" A", " B", " C", " D"]


def test_random_shots_come_from_train_are_seeded_and_never_the_item(layouts, tmp_path):
    h = read_task("hellaswag", layouts["hellaswag"])
    h.fewshot[None].append(dict(h.items[2]))  # the train split holding a scored item must not leak it
    train_queries = {ex["query"] for ex in h.fewshot[None]}
    for i, item in enumerate(h.items):
        shots = shots_for(h, i, item, 3)
        assert len(shots) == 3 and all(s["query"] in train_queries for s in shots)
        assert all(s["query"] != item["query"] for s in shots)
        assert shots == shots_for(h, i, item, 3)  # fixed seed: the same prompt every run
        assert item["query"] not in build_prompt(h, item, shots)[:-len(item["query"])]
    assert shots_for(h, 0, h.items[0], 3) != shots_for(h, 0, h.items[0], 3, seed=7) or len(h.fewshot[None]) <= 3
    with pytest.raises(TinyLLMError, match="needs a train split"):
        shots_for(read_task("cont", layouts["cont"]), 0, read_task("cont", layouts["cont"]).items[0], 1)


# ----------------------------------------------------------------------- closed-form scores

class _Out:
    def __init__(self, logits):
        self.logits = logits


class UniformModel(torch.nn.Module):
    """Equal logits everywhere: every token has log-probability -log V."""

    def __init__(self, vocab, window=512):
        super().__init__()
        self.vocab = vocab
        self.dummy = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
        self.config = type("Config", (), {"max_position_embeddings": window})()

    def forward(self, input_ids, attention_mask=None, position_ids=None, logits_to_keep=0):
        n = logits_to_keep or input_ids.shape[1]
        return _Out(torch.zeros(input_ids.shape[0], n, self.vocab))


def test_uniform_model_scores_have_a_closed_form(layouts, tokenizer_dir):
    """acc: the option with the fewest tokens (ties: the first); acc_norm: fewest tokens per
    character of the choice. MMLU's one-token letters all tie: the pick is always A."""
    from eval.tasks import run_task
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = UniformModel(len(tok))
    log_v = math.log(len(tok))
    for kind in ("hellaswag", "arc_easy", "piqa", "mmlu", "cmmlu"):
        task = read_task(kind, layouts[kind])
        out = run_task(model, tok, task, shots=1, limit=None, seed=1234, batch_size=3)
        n_tok = [[len(tok.encode(" " + c, add_special_tokens=False)) for c in i["choices"]] for i in task.items]
        acc = [min(range(len(n)), key=lambda j: n[j]) == i["label"] for n, i in zip(n_tok, task.items)]
        norm = [min(range(len(n)), key=lambda j: n[j] / len(i["choices"][j])) == i["label"]
                for n, i in zip(n_tok, task.items)]
        assert out["metrics"]["acc"] == pytest.approx(sum(acc) / len(acc)), kind
        assert out["metrics"]["acc_norm"] == pytest.approx(sum(norm) / len(norm)), kind
        assert out["chance"]["acc"] == pytest.approx(sum(1 / len(i["choices"]) for i in task.items) / len(task.items))
        for n, r in zip(n_tok, out["details"]["items"]):
            assert r["logprobs"] == pytest.approx([-k * log_v for k in n], abs=1e-3)
    # acc_norm divides by the choice's own characters, not counting the delimiter: a pair whose
    # pick flips if the " " were counted shows which one is used.
    from eval.tasks.formats import Task

    words = ["a", "I", "ball", "the red ball", "xyzzy", "elephant", "Spot", "qq", "zebra crossing", "a b c d", "Lily"]
    n_of = {w: len(tok.encode(" " + w, add_special_tokens=False)) for w in words}
    flips = [(x, y) for i, x in enumerate(words) for y in words[i + 1:]  # each pair once: (y, x) would mirror it
             if (n_of[x] / len(x) < n_of[y] / len(y)) != (n_of[x] / (len(x) + 1) < n_of[y] / (len(y) + 1))]
    assert flips, "no word pair separates the two normalisations with this tokenizer"
    items = [{"query": "Q:", "choices": list(pair), "label": 0} for pair in flips]
    out = run_task(model, tok, Task("piqa", "flips", items), 0, None, 1234)
    expected = [n_of[x] / len(x) <= n_of[y] / len(y) for x, y in flips]  # a tie picks the first
    assert out["metrics"]["acc_norm"] == pytest.approx(sum(expected) / len(expected))

    mmlu = run_task(model, tok, read_task("mmlu", layouts["mmlu"]), 0, None, 1234)
    assert mmlu["metrics"]["acc"] == 0.25 and mmlu["metrics"]["acc_anatomy"] == 0.25  # labels A, B, C, D
    assert mmlu["n"]["acc_high_school_physics"] == 4
    lam = run_task(model, tok, read_task("lambada", layouts["lambada"]), 5, None, 1234)
    assert lam["details"]["shots"] == 0 and lam["chance"]["acc"] == 0.0
    n_lam = [len(tok.encode(" " + w, add_special_tokens=False)) for w in ("ball", "Spot")]
    assert lam["metrics"]["ppl"] == pytest.approx(math.exp(log_v * sum(n_lam) / 2), rel=1e-4)


def test_shared_context_scores_equal_one_forward_per_option(tokenizer_dir):
    """The one-pass scoring of one-token options gives the per-option scores of eval.likelihood."""
    from eval.likelihood import continuation_logprobs
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = build_model("tiny", len(tok), 256, seed=3).eval()
    reqs = [("Lily had a red ball.\nAnswer:", [" A", " B", " C", " D"]), ("Tom", [" went to the park", " A"])]
    got = score_requests(model, tok, reqs, batch_size=2)
    for (context, conts), (lps, _) in zip(reqs, got):
        assert lps == pytest.approx(continuation_logprobs(model, tok, [(context, c) for c in conts]), abs=1e-4)


def test_an_untrained_model_scores_chance_on_a_generated_mmlu(tokenizer_dir, tmp_path):
    """400 generated questions with uniformly drawn answers, 2 untrained tiny models: 800 picks, right
    with probability 1/4 each, so within 3 standard errors (4.6 pts at n=800) of 25%."""
    from eval.tasks import run_task
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    rng = random.Random(0)
    rows = [[f"Lily has {i} apples. How many does Tom have?", *[str(rng.randrange(50)) for _ in range(4)],
             rng.choice("ABCD")] for i in range(400)]
    csv_file(tmp_path / "test" / "counting_test.csv", rows)
    task = read_task("mmlu", tmp_path)
    tok = load_tokenizer(tokenizer_dir)
    hits = []
    for seed in (0, 1):
        model = build_model("tiny", len(tok), 256, seed=seed).eval()
        out = run_task(model, tok, task, 0, None, 1234, batch_size=100)
        hits += [r["correct"] for r in out["details"]["items"]]
    acc = sum(hits) / len(hits)
    assert abs(acc - 0.25) < 3 * binomial_stderr(0.25, len(hits)), acc


# ---------------------------------------------------------------------------------- bad files

@pytest.mark.parametrize("kind, name, content, message", [
    ("hellaswag", "hellaswag_val.jsonl", '{"ctx": "a", "endings": ["x", "y"]}', r"hellaswag_val.jsonl:1: missing 'label'"),
    ("hellaswag", "hellaswag_val.jsonl", '{"ctx": "a", "endings": ["x", "y"], "label": 2}\n',
     r":1: 'label' 2 is not an index"),
    ("arc_easy", "ARC-Easy-Test.jsonl", json.dumps(arc_record(0, "E")), r"Test.jsonl:1: answerKey 'E' is not one of"),
    ("arc_easy", "ARC-Easy-Test.jsonl", "\n{not json", r"Test.jsonl:2: not valid JSON"),
    ("mmlu", "x_test.csv", "q,a,b,c,d,A\nq,a,b,c,d,E\n", r"x_test.csv:2: answer 'E' is not one of A, B, C, D"),
    ("mmlu", "x_test.csv", "q,a,b\n", r"x_test.csv:1: 3 columns"),
    ("ceval", "x_test.csv", "id,question,A,B,C,D\n0,q,a,b,c,d\n", r"x_test.csv:1: no 'answer' column"),
    ("mc", "t.jsonl", '{"context": "a", "options": ["x", "y"], "label": 5}', r"t.jsonl:1: 'label' must be an index"),
    ("cont", "t.jsonl", '{"context": "a"}', r"t.jsonl:1: needs string 'context' and non-empty 'continuation'"),
    ("lambada", "l.txt", "one two\nsolo\n", r"l.txt:2: needs 'text'"),
    ("piqa", "valid.jsonl", '{"goal": "g", "sol1": "a", "sol2": "b"}', r"no labels file beside it"),
])
def test_bad_files_are_one_line_naming_the_place(tmp_path, kind, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(TinyLLMError, match=message) as err:
        read_task(kind, tmp_path / name)
    assert "\n" not in str(err.value)


def test_piqa_label_count_and_bad_specs(tmp_path):
    from eval.tasks import parse_task_spec

    jsonl(tmp_path / "valid.jsonl", [{"goal": "g", "sol1": "a", "sol2": "b"}] * 2)
    (tmp_path / "valid-labels.lst").write_text("0\n1\n1\n")
    with pytest.raises(TinyLLMError, match=r"valid-labels.lst: 3 labels for 2 records"):
        read_task("piqa", tmp_path / "valid.jsonl")
    (tmp_path / "valid-labels.lst").write_text("0\n2\n")
    with pytest.raises(TinyLLMError, match=r"valid-labels.lst:2: label '2' is not 0 or 1"):
        read_task("piqa", tmp_path / "valid.jsonl")
    assert parse_task_spec("mc:story=a/b.jsonl") == ("mc", "story", "a/b.jsonl")
    for spec, message in [("hellaswag", "expected KIND=PATH"), ("squad=x", "unknown task 'squad'")]:
        with pytest.raises(TinyLLMError, match=message):
            parse_task_spec(spec)
    with pytest.raises(TinyLLMError, match="not found"):
        read_task("arc_easy", tmp_path / "nothing")


# --------------------------------------------------------------------------- windowed perplexity

class BigramModel(torch.nn.Module):
    def __init__(self, table):
        super().__init__()
        self.log_p = torch.nn.Parameter(torch.log(table / table.sum(1, keepdim=True)), requires_grad=False)
        self.config = type("Config", (), {"max_position_embeddings": 4})()

    def forward(self, input_ids, attention_mask=None, position_ids=None, logits_to_keep=0):
        return _Out(self.log_p[input_ids])


def test_window_loss_cuts_one_stream_across_documents():
    """Windows of 4 over the stream <s> 1 2 | <s> 3 | <s> 4 5 2 (9 tokens): 2 whole windows predict
    stream[1..8]; the 9th token would need a partial window and is dropped, as llama2.c drops it.
    A bigram model's loss is then the mean of -log p over those 8 transitions, boundaries included."""
    from eval.likelihood import windowed_loss

    model = BigramModel(torch.rand(6, 6, generator=torch.Generator().manual_seed(0)) + 0.1)
    docs = [[0, 1, 2], [0, 3], [0, 4, 5, 2]]
    stream = [t for d in docs for t in d]
    out = windowed_loss(model, docs, batch_size=1)
    expected = -sum(float(model.log_p[a, b]) for a, b in zip(stream[:8], stream[1:9])) / 8
    assert (out["windows"], out["window_tokens"], out["window"]) == (2, 8, 4)
    assert out["window_loss"] == pytest.approx(expected, abs=1e-5)
    assert windowed_loss(model, docs, batch_size=2)["window_loss"] == pytest.approx(expected, abs=1e-5)
    short = windowed_loss(model, [[0, 1, 2]])  # shorter than a window: the stream as one window
    assert short["window_tokens"] == 2
    uniform = UniformModel(6, window=4)
    assert windowed_loss(uniform, docs)["window_loss"] == pytest.approx(math.log(6))


# ------------------------------------------------------------------- eval.run, compare, card

@pytest.fixture(scope="module")
def random_checkpoint(tokenizer_dir, tmp_path_factory):
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    out = tmp_path_factory.mktemp("tasks_ckpt") / "pretrain" / "final"
    build_model("tiny", len(tok), 256, seed=0, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                pad_id=tok.pad_token_id).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_eval_run_tasks_compare_and_report_card(random_checkpoint, layouts, tmp_path, capsys):
    from eval.compare import main as compare_main
    from eval.run import main as run_main

    tasks = ["--task", f"mmlu={layouts['mmlu']}", "--task", f"hellaswag={layouts['hellaswag']}",
             "--task", f"lambada={layouts['lambada']}", "--task", f"mc:mine={layouts['mc']}"]
    run_main([str(random_checkpoint), *tasks, "--shots", "1", "--limit", "2", "--out", str(tmp_path / "a")])
    a = json.loads((tmp_path / "a" / "results.json").read_text())
    assert list(a["suites"]) == ["mmlu", "hellaswag", "lambada", "mine", "summary"]  # --task alone: no suites
    assert a["n"]["mmlu/acc"] == 4 and a["n"]["mmlu/acc_anatomy"] == 2  # --limit per subject
    assert a["chance"]["mmlu/acc"] == 0.25 and a["chance"]["mine/acc"] == 0.5 and a["chance"]["lambada/acc"] == 0
    assert a["suites"]["hellaswag"]["shots"] == 1 and a["suites"]["lambada"]["shots"] == 0
    assert a["suites"]["mmlu"]["example_prompt"].count("Answer: C\n\n") == 1
    per_task = a["suites"]["summary"]["per_task"]
    assert per_task["hellaswag"] == pytest.approx((a["metrics"]["hellaswag/acc_norm"] - 0.25) / 0.75)
    assert a["metrics"]["summary/centred"] == pytest.approx(sum(per_task.values()) / 4)
    assert "| mmlu/acc_high_school_physics |" in (tmp_path / "a" / "results.md").read_text()

    run_main([str(random_checkpoint), "--suite", "cloze,ppl", *tasks[:2], "--limit", "3", "--out", str(tmp_path / "b"),
              "--label", "sft"])
    b = json.loads((tmp_path / "b" / "results.json").read_text())
    assert list(b["suites"]) == ["cloze", "ppl", "mmlu", "summary"] and b["n"]["ppl/window_loss"] > 0
    assert 3 < b["metrics"]["ppl/window_loss"] < 8  # untrained: about log(vocab 512) = 6.2 nats

    capsys.readouterr()
    compare_main([str(tmp_path / "a"), str(tmp_path / "b"), "--card", str(tmp_path / "report.md")])
    assert "| summary/centred |" in capsys.readouterr().out
    card = (tmp_path / "report.md").read_text()
    assert "pretrain → sft" in card and "## Standard tasks (0, 1-shot)" in card
    assert "| mmlu centred | 0.0% |" in card and "| **summary/centred** |" in card
    assert "| lambada/acc | 0.0% |" in card and card.count("| hellaswag/acc_norm | 25.0% |") == 1
    assert "| cloze/acc | 25.0% | – |" in card and "| ppl/window_loss |" in card
    assert "acc_anatomy" not in card  # per-subject rows stay in results.md


@pytest.mark.parametrize("argv, message", [
    (["--task", "mmlu"], "expected KIND=PATH"),
    (["--task", "mc:cloze=x.jsonl"], "name 'cloze' is taken"),
    (["--task", "mc=/nonexistent.jsonl"], "not found"),
    (["--task", "mc=x", "--shots", "-1"], "--shots must be at least 0"),
])
def test_eval_run_refuses_bad_task_arguments(random_checkpoint, tmp_path, argv, message):
    from eval.run import main as run_main

    with pytest.raises(TinyLLMError, match=message):
        run_main([str(random_checkpoint), "--out", str(tmp_path), *argv])


# ------------------------------------------------------------------------------- lm-eval parity

def test_lm_eval_yamls_are_written_per_task_and_subject(layouts, tmp_path):
    from eval.tasks.lm_eval import documents, write_tasks

    written = write_tasks([f"mmlu={layouts['mmlu']}", f"lambada={layouts['lambada']}"], tmp_path)
    assert written == {"mmlu": ["tinyllm_mmlu_anatomy", "tinyllm_mmlu_high_school_physics"], "lambada": ["tinyllm_lambada"]}
    text = (tmp_path / "tinyllm_mmlu_anatomy.yaml").read_text()
    assert "tag: tinyllm_mmlu" in text and "sampler: first_n" in text and '  subject: "anatomy"' in text
    assert "output_type: loglikelihood" in (tmp_path / "tinyllm_lambada.yaml").read_text()
    docs = documents("mmlu", str(layouts["mmlu"]), "anatomy")
    assert len(docs["test"]) == 4 and len(docs["train"]) == 5
    assert docs["test"][0]["description"].startswith("<s>The following are")


@pytest.mark.slow
def test_lm_eval_scores_every_fixture_task_like_eval_run(layouts, random_checkpoint, tmp_path):
    """`lm_eval --model hf` with the written YAMLs: per item, the same log-likelihoods and picks as
    eval.run --task (0-shot everywhere, and 1-shot on the MMLU-style tasks, whose shots are the
    dev split's first; pip install -e '.[lm-eval]'; pytest -m slow)."""
    lm_eval = pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    from eval.tasks import run_task
    from eval.tasks.lm_eval import write_tasks
    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(random_checkpoint)
    rows = ["| task | shots | items | eval.run acc | lm_eval acc |", "|---|---|---|---|---|"]  # printed with -s
    specs = {kind: f"{kind}={path}" for kind, path in layouts.items()}
    written = write_tasks(list(specs.values()), tmp_path)
    for shots, kinds in ((0, list(layouts)), (1, ["mmlu", "cmmlu", "ceval"])):
        names = [n for k in kinds for n in written[k]]
        out = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={random_checkpoint},dtype=float32",
                                      tasks=names, num_fewshot=shots, device="cpu", batch_size=4, log_samples=True,
                                      task_manager=TaskManager(include_path=str(tmp_path)))
        for kind in kinds:
            ours = run_task(model, tok, read_task(kind, layouts[kind]), shots, None, 1234)["details"]["items"]
            theirs = [s for n in written[kind] for s in sorted(out["samples"][n], key=lambda s: s["doc_id"])]
            assert len(theirs) == len(ours), kind
            ours_acc = sum(float(r["correct"] if "logprobs" in r else r["greedy"]) for r in ours) / len(ours)
            rows.append(f"| {kind} | {shots} | {len(ours)} | {ours_acc:.3f} | {sum(s['acc'] for s in theirs) / len(theirs):.3f} |")
            for s, r in zip(theirs, ours):
                lls = [float(x[0]) for x in s["filtered_resps"]]
                if "logprobs" in r:
                    assert lls == pytest.approx(r["logprobs"], abs=1e-3), (kind, shots)
                    assert s["acc"] == float(r["correct"]) and s["acc_norm"] == float(r["correct_norm"]), kind
                else:
                    assert lls[0] == pytest.approx(r["logprob"], abs=1e-3), kind
                    assert bool(s["acc"]) == r["greedy"], kind
    print("\n" + "\n".join(rows))
