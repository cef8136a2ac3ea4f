"""The evaluation suites: each takes (model, tokenizer, EvalOptions) and returns a Suite.

`SUITES` maps each name in `eval.options.SUITE_NAMES` to its function; `eval.run` runs them on
checkpoints and writes the results (see its docstring for what each suite measures).
"""

from collections import defaultdict
from pathlib import Path

from data_prep.sources import iter_documents
from eval.dialogue import evaluate, load_conversations
from eval.generation import continue_prompts, load_prompts, run_prompt_set
from eval.likelihood import multiple_choice, perplexity, score_token_sequences, windowed_loss
from eval.metrics import accuracy, exact_match
from eval.options import DEFAULT_PROMPTS, SUITE_NAMES, EvalOptions
from tinyllm.chat import prompt_ids
from tinyllm.errors import TinyLLMError
from tinyllm.records import read_jsonl
from tinyllm.shards import TokenStream, check_tokenizer, read_meta
from tinyllm.tokenizer import IM_END


class Suite(dict):
    """metrics / chance / n (items behind each metric) / details of one suite."""

    def __init__(self):
        super().__init__(metrics={}, chance={}, n={}, details={})

    def add(self, name: str, value: float, n: int, chance: float | None = None):
        self["metrics"][name] = value
        self["n"][name] = n
        if chance is not None:
            self["chance"][name] = chance


def load_jsonl(path, limit: int | None = None, required=("options", "label")) -> list[dict]:
    """A benchmark's items, each with the `required` keys (and valid options / label)."""
    def check(record, where):
        missing = [k for k in required if not isinstance(record, dict) or k not in record]
        if missing:
            raise ValueError(f"{where}: missing '{missing[0]}'")
        if "options" in required:
            options, label = record["options"], record["label"]
            if not (isinstance(options, list) and len(options) >= 2 and all(isinstance(o, str) and o for o in options)):
                raise ValueError(f"{where}: 'options' must be a list of at least 2 non-empty strings")
            if not (isinstance(label, int) and 0 <= label < len(options)):
                raise ValueError(f"{where}: 'label' must be an index into 'options' (0..{len(options) - 1})")

    return read_jsonl(path, "benchmark", limit, check, hint=" (regenerate with python -m eval.make_benchmarks)")


def chance_of(items: list[dict]) -> float:
    return sum(1 / len(i["options"]) for i in items) / len(items)


def mc_suite(suite: Suite, name: str, items: list[dict], results: list[dict], by: str | None = None, norm=False):
    """Accuracy rows for multiple-choice results (and per value of the item field `by`)."""
    suite.add(name, accuracy([r["correct"] for r in results]), len(items), chance_of(items))
    if norm:
        suite.add(name + "_norm", accuracy([r["correct_norm"] for r in results]), len(items), chance_of(items))
    if by:
        groups = defaultdict(list)
        for item, r in zip(items, results):
            groups[item[by]].append((item, r["correct"]))
        for key, pairs in sorted(groups.items()):
            suite.add(f"{name}_{key}", accuracy([c for _, c in pairs]), len(pairs), chance_of([i for i, _ in pairs]))


def picks(items, results) -> list[dict]:
    return [{"id": i.get("id"), "label": i["label"], "pick": r["pick"], "logprobs": [round(x, 4) for x in r["logprobs"]]}
            for i, r in zip(items, results)]


# ----------------------------------------------------------------------------------------------- suites

def ppl_documents(spec: str, tok, limit: int | None) -> tuple[list, list[str]]:
    """(token ids per document or None, texts) of a shard directory's val split or a text source."""
    if (Path(spec) / "meta.json").is_file():
        meta = read_meta(spec)
        check_tokenizer(meta, spec, tok)  # decoding with another tokenizer would give other text
        stream = TokenStream(spec, "val", meta)
        flat = stream.read(0, len(stream)).tolist()
        docs, current = [], None
        for t in flat:  # documents are <s> ... </s>, back to back
            if t == tok.bos_token_id:
                current = []
            elif t == tok.eos_token_id:
                if current:
                    docs.append(current)
                current = None
                if limit and len(docs) >= limit:
                    break
            elif current is not None:
                current.append(t)
        return docs, [tok.decode(d) for d in docs]
    texts = []
    for text in iter_documents(spec):
        texts.append(text)
        if limit and len(texts) >= limit:
            break
    if not texts:
        raise TinyLLMError(f"{spec}: no documents for perplexity")
    return None, texts


def suite_ppl(model, tok, opts: EvalOptions) -> Suite:
    docs, texts = ppl_documents(opts.ppl_data, tok, opts.limit)
    result = perplexity(model, tok, texts, opts.batch_size, token_ids=docs)
    suite = Suite()
    suite.add("ppl", result["ppl"], result["tokens"])
    suite.add("bits_per_byte", result["bits_per_byte"], result["bytes"])
    # The same text as one stream in context-length windows: the validation loss llama2.c / nanoGPT publish.
    ids = docs if docs is not None else [tok.encode(t, add_special_tokens=False) for t in texts if t]
    windowed = windowed_loss(model, [[tok.bos_token_id, *d] for d in ids], opts.batch_size)
    suite.add("window_loss", windowed["window_loss"], windowed["window_tokens"])
    suite["details"] = {"data": opts.ppl_data, **result, **windowed}
    return suite


def suite_cloze(model, tok, opts: EvalOptions) -> Suite:
    items = load_jsonl(Path(opts.bench_dir) / "story_cloze.jsonl", opts.limit, ("prompt", "options", "label"))
    results = multiple_choice(model, tok, [dict(i, context=i["prompt"]) for i in items], opts.batch_size)
    suite = Suite()
    mc_suite(suite, "acc", items, results, by="kind" if "kind" in items[0] else None, norm=True)
    suite["details"] = {"items": picks(items, results)}
    return suite


def suite_qa(model, tok, opts: EvalOptions) -> Suite:
    items = load_jsonl(Path(opts.bench_dir) / "story_qa.jsonl", opts.limit, ("messages", "options", "label"))
    suite = Suite()
    # Plain: the story and question as text, then the answer sentence on the next line.
    plain = multiple_choice(model, tok, [dict(i, context=i["messages"][0]["content"] + "\n") for i in items],
                            opts.batch_size)
    mc_suite(suite, "plain_acc", items, plain)
    # Chat: the conversation through the template, the answer sentence as the assistant's turn.
    im_end = tok.convert_tokens_to_ids(IM_END)
    sequences = [(prompt_ids(tok, i["messages"][:-1]), tok.encode(o, add_special_tokens=False) + [im_end])
                 for i in items for o in i["options"]]
    flat = score_token_sequences(model, sequences, opts.batch_size)
    chat, at = [], 0
    for i in items:
        lps = flat[at:at + len(i["options"])]
        at += len(i["options"])
        pick = max(range(len(lps)), key=lambda j: lps[j])
        chat.append({"logprobs": lps, "pick": pick, "correct": pick == i["label"]})
    mc_suite(suite, "chat_acc", items, chat)  # per kind would be 20 items each: noise, see details
    scores, replies = evaluate(model, tok, items, opts.greedy(opts.reply_tokens), opts.batch_size)
    for key, value in scores["all"].items():
        if key != "n":
            suite.add(key, value, scores["all"]["n"])
    suite["details"] = {"plain": picks(items, plain), "chat": picks(items, chat),
                        "replies": [{"id": i.get("id"), "reply": r, "answer": i.get("answer")}
                                    for i, r in zip(items, replies)]}
    return suite


def suite_arithmetic(model, tok, opts: EvalOptions) -> Suite:
    items = load_jsonl(Path(opts.bench_dir) / "arithmetic.jsonl", opts.limit, ("prompt", "options", "label"))
    results = multiple_choice(model, tok, [dict(i, context=i["prompt"]) for i in items], opts.batch_size)
    suite = Suite()
    mc_suite(suite, "acc", items, results)
    greedy = continue_prompts(model, tok, [i["prompt"] for i in items], opts.greedy(4), opts.batch_size)
    expected = [i.get("expected", i["options"][i["label"]]) for i in items]
    suite.add("exact_match", sum(exact_match(t, e) for (t, _), e in zip(greedy, expected)) / len(items), len(items))
    suite["details"] = {"items": picks(items, results),
                        "greedy": [{"id": i.get("id"), "continuation": t} for i, (t, _) in zip(items, greedy)]}
    return suite


def suite_samples(model, tok, opts: EvalOptions) -> Suite:
    files = opts.prompts or [str(Path(opts.bench_dir) / name) for name in DEFAULT_PROMPTS]
    records = [r for f in files for r in load_prompts(f, opts.limit)]
    out = run_prompt_set(model, tok, records, opts.sampling, opts.batch_size)
    suite = Suite()
    for mode, metrics in out["metrics"].items():
        for key, value in metrics.items():
            if key not in ("n", "n_expected"):
                suite.add(f"{mode}_{key}", value, metrics["n_expected"] if "match" in key else metrics["n"])
    suite["details"] = {"files": files, "settings": out["settings"]}
    suite["samples"] = out["samples"]
    return suite


def suite_dialogue(model, tok, opts: EvalOptions) -> Suite:
    if not opts.dialogues:
        raise TinyLLMError("the dialogue suite needs --dialogues FILE (messages-format JSONL)")
    records = load_conversations(opts.dialogues, opts.limit)
    scores, replies = evaluate(model, tok, records, opts.greedy(opts.reply_tokens), opts.batch_size)
    suite = Suite()
    for key, value in scores["all"].items():
        if key != "n":
            suite.add(key, value, scores["all"]["n"])
    suite["details"] = {"data": opts.dialogues, "scores": scores,
                        "replies": [{"id": r.get("id"), "reply": t} for r, t in zip(records, replies)]}
    return suite


SUITES = {"ppl": suite_ppl, "cloze": suite_cloze, "qa": suite_qa, "arithmetic": suite_arithmetic,
           "samples": suite_samples, "dialogue": suite_dialogue}
assert tuple(SUITES) == SUITE_NAMES
