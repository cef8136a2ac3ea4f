"""eval/: metrics on hand-made cases, likelihood scoring against models with known answers, the
benchmark files, an untrained model at chance, eval.run and eval.compare end to end."""

import json
import math

import pytest
import torch

from conftest import ROOT
from eval import make_benchmarks
from eval.likelihood import document_nll, multiple_choice, perplexity, score_token_sequences
from eval.metrics import (binomial_stderr, contains_match, distinct_n, exact_match, generation_metrics,
                          repetition_rate, words)
from tinyllm.errors import TinyLLMError

BENCH = ROOT / "eval" / "benchmarks"


# ----------------------------------------------------------------------------------- metrics

def test_words_split_english_and_chinese():
    assert words("Lily's red-ball, 12 apples!") == ["lily's", "red", "ball", "12", "apples"]
    assert words("abc中文 OK") == ["abc", "中", "文", "ok"]


def test_exact_and_contains_match():
    assert exact_match(" 7 shells.", "7") and exact_match("Blue kite", ["red", "blue kite"])
    assert not exact_match(" 70 shells", "7") and not exact_match("a blue kite", "blue")
    assert contains_match("she had a blue kite", "blue") and contains_match("It was 北京。", "北京")
    assert not contains_match("It was 118.", "18") and not contains_match("bluebird", "blue")
    assert not exact_match("anything", "")  # an empty answer matches nothing


def test_distinct_repetition_and_generation_metrics():
    texts = ["the cat the cat", "the dog"]
    assert distinct_n(texts, 1) == 3 / 6  # the, cat, dog of 6 words
    assert distinct_n(texts, 2) == 3 / 4  # (the cat), (cat the), (the dog); "the cat" twice
    assert repetition_rate("a b c d a b c d") == 1 - 4 / 5  # 5 4-grams, abcd repeats once
    assert repetition_rate("one two three") == 0.0  # no 4-gram at all
    m = generation_metrics(["5 apples.", "I do not know"], [True, False], ["5", None])
    assert m["n"] == 2 and m["mean_words"] == 3.0 and m["eos_share"] == 0.5
    assert m["n_expected"] == 1 and m["exact_match"] == 1.0 and m["contains_match"] == 1.0
    assert "exact_match" not in generation_metrics(["x"], [False])
    assert binomial_stderr(0.25, 400) == pytest.approx(0.02165, abs=1e-5)


# ------------------------------------------------------------------ likelihood with known answers

class _Out:
    def __init__(self, logits):
        self.logits = logits


class BigramModel(torch.nn.Module):
    """Logits = log P(next | current) from a fixed table: every score has a closed form."""

    def __init__(self, table, window=16):
        super().__init__()
        self.log_p = torch.nn.Parameter(torch.log(table / table.sum(1, keepdim=True)), requires_grad=False)
        self.config = type("Config", (), {"max_position_embeddings": window})()

    def forward(self, input_ids, attention_mask=None, position_ids=None, logits_to_keep=0):
        logits = self.log_p[input_ids]
        return _Out(logits[:, -logits_to_keep:] if logits_to_keep else logits)


def bigram(vocab=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return BigramModel(torch.rand(vocab, vocab, generator=g) + 0.1)


def test_continuation_scores_are_the_bigram_sums_whatever_the_batch():
    model = bigram()
    lp = model.log_p
    pairs = [([1, 2, 3], [4]), ([1], [2, 5, 0]), ([1, 5, 5, 5, 2], [3, 3])]
    expected = [float(lp[3, 4]), float(lp[1, 2] + lp[2, 5] + lp[5, 0]), float(lp[2, 3] + lp[3, 3])]
    for batch_size in (1, 2, 3):  # left padding of unequal rows must not change a score
        assert score_token_sequences(model, pairs, batch_size) == pytest.approx(expected, abs=1e-5)


def test_real_model_scores_match_one_unpadded_forward(tokenizer_dir):
    """Left padding with position ids and logits_to_keep gives a Llama the logits it gets alone."""
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = build_model("tiny", len(tok), 128, seed=3).eval()
    pairs = [([1, 40, 41, 42, 43, 44], [50, 51]), ([1, 60], [70, 71, 72]), ([1, *range(100, 130)], [9])]
    got = score_token_sequences(model, pairs, batch_size=3)
    for (context, cont), score in zip(pairs, got):
        ids = torch.tensor([context + cont])
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1], -1)
        alone = sum(float(logp[len(context) - 1 + j, t]) for j, t in enumerate(cont))
        assert score == pytest.approx(alone, abs=1e-4)


def test_multiple_choice_picks_by_sum_and_by_character(tokenizer_dir):
    """acc takes the highest total log-probability, acc_norm the highest per character."""
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    vocab = len(tok)
    table = torch.ones(vocab, vocab)
    short, long_ = tok.encode(" cat", add_special_tokens=False), tok.encode(" elephant", add_special_tokens=False)
    assert len(short) < len(long_)
    table[:, short[0]] = 3.0  # the short option's first token is the likeliest anywhere
    model = BigramModel(table, window=64)
    item = {"context": "Tom saw a", "options": [" elephant", " cat"], "label": 1}
    [result] = multiple_choice(model, tok, [item])
    lp = model.log_p
    assert result["logprobs"][1] == pytest.approx(float(lp[tok.encode("Tom saw a", add_special_tokens=False)[-1], short[0]]
                                                        + sum(lp[a, b] for a, b in zip(short, short[1:]))), abs=1e-5)
    per_char = [x / len(o) for x, o in zip(result["logprobs"], item["options"])]
    assert result["pick"] == max(range(2), key=lambda j: result["logprobs"][j])
    assert result["pick_norm"] == max(range(2), key=lambda j: per_char[j])
    assert result["correct"] == (result["pick"] == 1)


def test_uniform_model_has_perplexity_vocab_and_known_bits_per_byte(tokenizer_dir):
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    vocab = len(tok)
    model = BigramModel(torch.ones(vocab, vocab), window=8)  # windows far shorter than the texts
    texts = ["Lily had a red ball. She loved it very much.", "Tom went to the park with his dog Spot."]
    r = perplexity(model, tok, texts, batch_size=3)
    n_tokens = sum(len(tok.encode(t, add_special_tokens=False)) for t in texts)
    assert r["tokens"] == n_tokens  # every token after <s> predicted exactly once
    assert r["ppl"] == pytest.approx(vocab, rel=1e-5)
    assert r["bits_per_byte"] == pytest.approx(n_tokens * math.log2(vocab) / sum(len(t.encode()) for t in texts))


def test_sliding_windows_count_every_target_once():
    model = bigram(vocab=5)
    lp = model.log_p
    docs = [[1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 2, 2, 2, 3, 1, 1, 4, 4, 0, 3, 2, 1, 0, 4, 3, 2, 1, 2, 3], [1, 2]]
    total, count = document_nll(model, docs, batch_size=2)  # window 16: the first document needs 3 windows
    assert count == sum(len(d) - 1 for d in docs)
    assert total == pytest.approx(-sum(float(lp[a, b]) for d in docs for a, b in zip(d, d[1:])), abs=1e-4)


# ------------------------------------------------------------------------------- benchmark files

def test_committed_benchmarks_are_what_the_generator_writes(tmp_path):
    meta = make_benchmarks.write_benchmarks(tmp_path)
    for name in (*make_benchmarks.GENERATED, "manifest.json"):
        assert (tmp_path / name).read_bytes() == (BENCH / name).read_bytes(), \
            f"{name} differs: regenerate with python -m eval.make_benchmarks"
    for name in make_benchmarks.GENERATED:
        assert (BENCH / name).stat().st_size < 300_000  # small enough to commit
        assert meta["files"][name]["chance"] == 0.25


def read_items(name):
    return [json.loads(line) for line in (BENCH / name).read_text(encoding="utf-8").splitlines()]


def test_cloze_answers_are_stated_earlier_and_options_give_nothing_away():
    from data_prep.synthetic import iter_stories

    items = read_items("story_cloze.jsonl")
    assert len(items) == 400 and {i["kind"] for i in items} == set(make_benchmarks.CLOZE_KINDS)
    stories = {s.id: s.text for s in iter_stories(make_benchmarks.SEED, "test", n=2000)}
    labels = [0] * 4
    for item in items:
        answer = item["expected"]
        assert item["options"][item["label"]] == " " + answer
        assert len(set(item["options"])) == 4 and all(o.startswith(" ") for o in item["options"])
        assert make_benchmarks.mentions(item["prompt"], answer), item["id"]  # stated before the blank
        assert stories[item["story_id"]].startswith(item["prompt"])
        assert not item["prompt"].endswith((" a", " an"))
        for option in item["options"]:
            if option != " " + answer:  # a wrong option is never something the story mentions
                assert not make_benchmarks.mentions(stories[item["story_id"]], option[1:]), (item["id"], option)
        labels[item["label"]] += 1
    assert min(labels) > 70  # the right answer's place is shuffled


def test_choosing_by_how_common_an_answer_is_scores_chance():
    """Wrong options are drawn with the answers' own frequencies, so a model that knows which
    colours, names and places are common, but not the story, gets 25% (400 items: sd 2.2 pts)."""
    from collections import Counter

    from data_prep.synthetic import iter_stories

    pools = make_benchmarks.answer_pools(iter_stories(make_benchmarks.SEED, "test", n=make_benchmarks.POOL_STORIES))
    counts = {key: Counter(values) for key, values in pools.items()}
    items = read_items("story_cloze.jsonl")
    hits = []
    for item in items:
        kind = item["kind"]
        freq = [counts["cloze", kind, make_benchmarks.value_class(kind, o[1:])][o[1:]] for o in item["options"]]
        hits.append(max(range(4), key=lambda j: (freq[j], -j)) == item["label"])
    assert abs(sum(hits) / len(hits) - 0.25) < 3 * binomial_stderr(0.25, len(hits))


def test_qa_and_arithmetic_items_are_consistent():
    qa = read_items("story_qa.jsonl")
    assert len(qa) == 200
    for item in qa:
        assert item["messages"][-1]["content"] == item["options"][item["label"]]
        assert contains_match(item["options"][item["label"]], item["answer"])
        assert sum(contains_match(o, item["answer"]) for o in item["options"]) == 1
        assert item["answer"] in item["messages"][0]["content"] or item["kind"] == "sum"
    arith = read_items("arithmetic.jsonl")
    assert len(arith) == 200
    for item in arith:
        numbers = [int(o) for o in item["options"]]
        assert numbers == list(range(numbers[0], numbers[0] + 4)) and numbers[0] >= 0
        assert numbers[item["label"]] == int(item["expected"])


# ------------------------------------------------------------------------ an untrained model

def test_an_untrained_model_scores_chance_on_the_cloze(tokenizer_dir):
    """Three randomly initialised tiny models on the 400 cloze items: 1200 picks. An untrained
    model cannot read the story, so each pick is right with probability 1/4: the accuracy sits
    within 3 standard errors (sd 1.25 pts at n=1200, so +-3.75 pts) of 25%."""
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    items = [dict(i, context=i["prompt"]) for i in read_items("story_cloze.jsonl")]
    hits = []
    for seed in (0, 1, 2):
        model = build_model("tiny", len(tok), 256, seed=seed).eval()
        hits += [r["correct"] for r in multiple_choice(model, tok, items, batch_size=64)]
    acc = sum(hits) / len(hits)
    print(f"untrained cloze accuracy {acc:.3f} over {len(hits)} picks")
    assert abs(acc - 0.25) < 3 * binomial_stderr(0.25, len(hits))


# ------------------------------------------------------------------------- generation and runs

@pytest.fixture(scope="module")
def random_checkpoint(tokenizer_dir, tmp_path_factory):
    """An untrained tiny model saved as a plain HF checkpoint with the test tokenizer."""
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    out = tmp_path_factory.mktemp("eval_ckpt") / "rand" / "final"
    model = build_model("tiny", len(tok), 256, seed=0, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                        pad_id=tok.pad_token_id)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def forced_model(checkpoint, token_id):
    """The checkpoint's model with an output layer that always prefers `token_id`."""
    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(checkpoint)
    head = torch.nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=True)
    torch.nn.init.zeros_(head.weight)
    with torch.no_grad():
        head.bias.zero_()
        head.bias[token_id] = 10.0
    model.lm_head = head
    return model, tok


def test_generation_stops_at_eos_and_counts_it(random_checkpoint):
    from eval.generation import continue_prompts, run_prompt_set
    from tinyllm.generate import SamplingOptions

    five, six = SamplingOptions(max_new_tokens=5), SamplingOptions(max_new_tokens=6)
    model, tok = forced_model(random_checkpoint, 2)
    assert tok.eos_token_id == 2
    assert continue_prompts(model, tok, ["Once upon a time", "Lily"], five) == [("", True), ("", True)]
    out = run_prompt_set(model, tok, [{"prompt": "Lily", "expected": "red"}], five)
    assert out["metrics"]["greedy"]["eos_share"] == out["metrics"]["sampled"]["eos_share"] == 1.0
    assert out["metrics"]["greedy"]["contains_match"] == 0.0

    the = tok.encode(" the", add_special_tokens=False)[0]
    model, tok = forced_model(random_checkpoint, the)
    [(text, ended)] = continue_prompts(model, tok, ["Once upon a time"], six)
    assert not ended and words(text) == ["the"] * 6 and text.startswith(" the")  # the leading space kept
    assert generation_metrics([text], [ended])["repetition"] == 1 - 1 / 3


def test_eval_run_and_compare_end_to_end(random_checkpoint, corpus_dir, data_dir, tmp_path, capsys):
    from eval.compare import main as compare_main
    from eval.run import main as run_main
    from tinyllm.errors import run_cli

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "Lily had a", "expected": "red"}\n{"prompt": "Once upon a time"}\n')
    with pytest.raises(SystemExit) as done:  # via run_cli, as the shell runs it
        run_cli(run_main, [str(random_checkpoint), "--out", str(tmp_path / "a"), "--limit", "6",
                           "--prompts", str(prompts), "--dialogues", str(corpus_dir / "dialogues_test.jsonl"),
                           "--max-new-tokens", "8", "--reply-tokens", "8"])
    assert done.value.code == 0
    results = json.loads((tmp_path / "a" / "results.json").read_text())
    assert results["label"] == "rand"
    assert set(results["suites"]) == {"ppl", "cloze", "qa", "arithmetic", "samples", "dialogue"}
    m = results["metrics"]
    assert m["cloze/acc"] in {k / 6 for k in range(7)} and results["n"]["cloze/acc"] == 6
    assert results["chance"]["cloze/acc"] == 0.25 and results["chance"]["qa/chat_acc"] == 0.25
    assert m["ppl/ppl"] > 100  # untrained: about the vocab size
    assert results["n"]["samples/greedy_exact_match"] == 1 and len(results["suites"]["samples"]["samples"]) == 2
    assert "| cloze/acc |" in (tmp_path / "a" / "results.md").read_text()
    assert "## Samples" in (tmp_path / "a" / "results.md").read_text()

    # The shard directory's val split: the same text as the stories, scored from their token ids.
    run_main([str(random_checkpoint), "--suite", "ppl,cloze", "--ppl-data", str(data_dir), "--limit", "4",
              "--out", str(tmp_path / "b"), "--label", "shards"])
    b = json.loads((tmp_path / "b" / "results.json").read_text())
    assert list(b["suites"]) == ["ppl", "cloze"] and b["label"] == "shards"
    assert b["suites"]["ppl"]["documents"] == 4
    run_main([str(random_checkpoint), "--suite", "ppl", "--ppl-data", str(corpus_dir / "stories_val.jsonl"),
              "--limit", "4", "--out", str(tmp_path / "c")])
    c = json.loads((tmp_path / "c" / "results.json").read_text())
    assert c["metrics"]["ppl/ppl"] == pytest.approx(b["metrics"]["ppl/ppl"], rel=1e-6)
    assert c["suites"]["ppl"]["bytes"] == b["suites"]["ppl"]["bytes"]

    capsys.readouterr()
    compare_main([str(tmp_path / "a"), str(tmp_path / "b" / "results.json")])
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| metric | chance | rand | shards |"
    row = next(r for r in table if r.startswith("| cloze/acc |"))
    assert row.split(" | ")[1] == "25.0%"
    assert next(r for r in table if r.startswith("| qa/chat_acc |")).endswith("| – |")  # b did not run qa
    assert len(table) == 2 + len(results["metrics"])


@pytest.mark.parametrize("argv, message", [
    (["--suite", "bleu"], "unknown suite 'bleu'"),
    (["--label", "a", "--label", "b"], "2 --label for 1 checkpoints"),
    (["--suite", "dialogue"], "needs --dialogues"),
    (["--suite", "cloze", "--bench-dir", "/nonexistent"], "story_cloze.jsonl: benchmark file not found"),
    (["--limit", "0"], "--limit must be at least 1"),
])
def test_eval_run_refuses_bad_arguments(random_checkpoint, tmp_path, argv, message):
    from eval.run import main as run_main

    with pytest.raises(TinyLLMError, match=message):
        run_main([str(random_checkpoint), "--out", str(tmp_path), *argv])


def test_bad_benchmark_and_prompt_lines_are_named(random_checkpoint, tmp_path):
    from eval.generation import load_prompts
    from eval.run import main as run_main

    bench = tmp_path / "bench"
    bench.mkdir()
    good = json.dumps({"prompt": "Lily had a", "options": [" red", " blue"], "label": 0})
    (bench / "story_cloze.jsonl").write_text(good + "\n" + json.dumps({"prompt": "x", "options": [" a"], "label": 0}) + "\n")
    with pytest.raises(TinyLLMError, match=r"story_cloze.jsonl:2: 'options' must be a list of at least 2"):
        run_main([str(random_checkpoint), "--suite", "cloze", "--bench-dir", str(bench), "--out", str(tmp_path / "o")])
    (bench / "story_cloze.jsonl").write_text(good + "\n" + good.replace('"label": 0', '"label": 5') + "\n")
    with pytest.raises(TinyLLMError, match=r"story_cloze.jsonl:2: 'label' must be an index"):
        run_main([str(random_checkpoint), "--suite", "cloze", "--bench-dir", str(bench), "--out", str(tmp_path / "o")])
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "ok"}\n{"text": "no prompt"}\n')
    with pytest.raises(TinyLLMError, match=r"p.jsonl:2: expected an object with a non-empty string 'prompt'"):
        load_prompts(prompts)
    prompts.write_text('{"prompt": "ok", "expected": 5}\n')
    with pytest.raises(TinyLLMError, match=r"p.jsonl:1: 'expected' must be a string"):
        load_prompts(prompts)


def test_shards_of_another_tokenizer_are_refused(random_checkpoint, data_dir, tmp_path):
    from eval.run import main as run_main

    meta = json.loads((data_dir / "meta.json").read_text())
    other = tmp_path / "other"
    other.mkdir()
    for f in data_dir.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    (other / "meta.json").write_text(json.dumps(dict(meta, tokenizer_fingerprint="0" * 16)))
    with pytest.raises(TinyLLMError, match="tokenizer fingerprint"):
        run_main([str(random_checkpoint), "--suite", "ppl", "--ppl-data", str(other), "--out", str(tmp_path / "o")])


def test_compare_refuses_what_is_not_a_result(tmp_path):
    from eval.compare import main as compare_main

    with pytest.raises(TinyLLMError, match="no results.json here"):
        compare_main([str(tmp_path)])
    (tmp_path / "results.json").write_text('{"label": "x"}')
    with pytest.raises(TinyLLMError, match="not an eval.run results file"):
        compare_main([str(tmp_path)])


# --------------------------------------------------------------------------------- lm-eval-harness

@pytest.mark.slow
def test_lm_eval_harness_scores_our_cloze_like_eval_run(random_checkpoint):
    """`lm_eval --model hf` on a plain checkpoint with the local task YAML: the same accuracy and
    the same per-option log-likelihoods as eval.run (pip install -e '.[lm-eval]'; pytest -m slow)."""
    lm_eval = pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    from tinyllm.model import load_checkpoint

    limit = 24
    out = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={random_checkpoint},dtype=float32",
                                  tasks=["tinyllm_story_cloze"], device="cpu", batch_size=8, limit=limit,
                                  log_samples=True, task_manager=TaskManager(include_path=str(BENCH / "lm_eval")))
    theirs = out["results"]["tinyllm_story_cloze"]
    model, tok = load_checkpoint(random_checkpoint)
    items = [dict(i, context=i["prompt"]) for i in read_items("story_cloze.jsonl")[:limit]]
    ours = multiple_choice(model, tok, items)
    assert theirs["acc,none"] == pytest.approx(sum(r["correct"] for r in ours) / limit)
    assert theirs["acc_norm,none"] == pytest.approx(sum(r["correct_norm"] for r in ours) / limit)
    samples = sorted(out["samples"]["tinyllm_story_cloze"], key=lambda s: s["doc_id"])
    for sample, r in zip(samples, ours):
        assert [float(x[0]) for x in sample["filtered_resps"]] == pytest.approx(r["logprobs"], abs=1e-3)


def test_eval_options_are_typed_and_what_results_record():
    import dataclasses

    from eval.options import SUITE_NAMES, EvalOptions
    from eval.suites import SUITES
    from stages.quantize import QuantRecipe, eval_options

    assert tuple(SUITES) == SUITE_NAMES
    assert EvalOptions().suites == [s for s in SUITE_NAMES if s != "dialogue"]
    assert EvalOptions(dialogues="d.jsonl").suites == list(SUITE_NAMES)
    assert EvalOptions(suites=["cloze,ppl", "cloze"]).suites == ["cloze", "ppl"]
    with pytest.raises(TinyLLMError, match="unknown suite 'bleu'"):
        EvalOptions(suites=["bleu"])
    with pytest.raises(TinyLLMError, match="needs --dialogues"):
        EvalOptions(suites=["dialogue"]).check()
    settings = dataclasses.asdict(EvalOptions(limit=3))
    assert settings["limit"] == 3 and settings["sampling"]["temperature"] == 0.8 and "checkpoints" not in settings
    # stages.quantize builds its options from the recipe, not from a command line
    opts = eval_options(QuantRecipe(model="m", out_dir="o", suites=["ppl", "samples"], max_new_tokens=7, limit=5,
                                    batch_size=3, ppl_data="synthetic:test:9:1"))
    assert (opts.suites, opts.sampling.max_new_tokens, opts.limit, opts.batch_size, opts.ppl_data) == \
        (["ppl", "samples"], 7, 5, 3, "synthetic:test:9:1")
    with pytest.raises(TinyLLMError, match="recipe key 'suites': the dialogue suite needs 'dialogues'"):
        eval_options(QuantRecipe(model="m", out_dir="o", suites=["dialogue"]))
