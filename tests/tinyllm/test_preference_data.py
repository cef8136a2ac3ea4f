"""Preference data: every input format becomes the same conversational pair; bad pairs are named."""

import io
import json
import re
import sys

import pytest

from data_prep.preference import build_preferences, main as preference_main
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.preference import load_preferences

STORY = "Mia had a red kite. She flew it at the park."
QUESTION = "What colour was the kite?"
PAIR = {
    "prompt": [{"role": "user", "content": f"{STORY}\n\n{QUESTION}"}],
    "chosen": [{"role": "assistant", "content": "The kite was red."}],
    "rejected": [{"role": "assistant", "content": "The kite was blue."}],
}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def only_pair(out):
    data = load_preferences(out)
    rows = list(data["train"]) + list(data["test"])
    assert len(rows) == 1
    return {k: rows[0][k] for k in ("prompt", "chosen", "rejected")}


@pytest.mark.parametrize("record", [
    {"prompt": f"{STORY}\n\n{QUESTION}", "chosen": "The kite was red.", "rejected": "The kite was blue."},
    PAIR,
    {"chosen": PAIR["prompt"] + PAIR["chosen"], "rejected": PAIR["prompt"] + PAIR["rejected"]},
    {"chosen": f"\n\nHuman: {STORY}\n\n{QUESTION}\n\nAssistant: The kite was red.",
     "rejected": f"\n\nHuman: {STORY}\n\n{QUESTION}\n\nAssistant: The kite was blue."},
], ids=["strings", "message-lists", "implicit-prompt", "hh-rlhf"])
def test_every_format_gives_the_same_pair(tmp_path, record):
    path = write_jsonl(tmp_path / "p.jsonl", [record])
    build_preferences([str(path)], tmp_path / "out", heldout=[str(path)])
    data = load_preferences(tmp_path / "out")
    assert {k: data["test"][0][k] for k in PAIR} == PAIR
    assert data["test"][0]["source"] == f"{path}:1"


def test_hh_rlhf_multi_turn_keeps_the_shared_turns(tmp_path):
    shared = "\n\nHuman: Hi!\n\nAssistant: Hello. How can I help?\n\nHuman: What is 2 plus 3?\n\nAssistant:"
    path = write_jsonl(tmp_path / "hh.jsonl", [{"chosen": shared + " 2 plus 3 is 5.", "rejected": shared + " It is 7."}])
    build_preferences([str(path)], tmp_path / "out", heldout=[str(path)])
    pair = load_preferences(tmp_path / "out")["test"][0]
    assert [m["role"] for m in pair["prompt"]] == ["user", "assistant", "user"]
    assert pair["prompt"][1]["content"] == "Hello. How can I help?"
    assert pair["chosen"][0]["content"] == "2 plus 3 is 5." and pair["rejected"][0]["content"] == "It is 7."


@pytest.mark.parametrize("record, message", [
    ({"prompt": "Q?", "chosen": "Same.", "rejected": "Same. "}, r"bad.jsonl:2: chosen equals rejected"),
    ({"prompt": "Q?", "chosen": "", "rejected": "No."}, r"bad.jsonl:2: empty field 'chosen'"),
    ({"prompt": " ", "chosen": "Yes.", "rejected": "No."}, r"bad.jsonl:2: empty field 'prompt'"),
    ({"prompt": "Q?", "chosen": "Yes."}, r"bad.jsonl:2: missing field\(s\) rejected"),
    ({"chosen": "Human said hi", "rejected": "Assistant: no"}, r"bad.jsonl:2: unparsable transcript"),
    ({"chosen": "\n\nHuman: A?\n\nAssistant: yes", "rejected": "\n\nHuman: B?\n\nAssistant: no"},
     r"bad.jsonl:2: chosen and rejected do not share a prompt"),
    ({"chosen": "\n\nHuman: A?\n\nHuman: again\n\nAssistant: yes", "rejected": "\n\nHuman: A?\n\nHuman: again\n\nAssistant: no"},
     r"bad.jsonl:2: roles out of order: turn 2 is user, expected assistant"),
    ({"prompt": [{"role": "user", "content": "Q?"}], "chosen": [{"role": "user", "content": "x"}], "rejected": "No."},
     r"bad.jsonl:2: 'chosen' must be one assistant turn"),
    ({"prompt": "Q?", "chosen": 3, "rejected": "No."}, r"bad.jsonl:2: field 'chosen' must be a string or a list of messages"),
])
def test_bad_pairs_name_file_and_line_and_leave_nothing(tmp_path, record, message):
    good = {"prompt": "Q?", "chosen": "Yes.", "rejected": "No."}
    path = write_jsonl(tmp_path / "bad.jsonl", [good, record])
    with pytest.raises(TinyLLMError, match=message):
        build_preferences([str(path)], tmp_path / "out", heldout=[str(path)])
    assert not (tmp_path / "out").exists()
    info = build_preferences([str(path)], tmp_path / "out", heldout=[str(path)], skip_bad=True)
    assert info["train_pairs"] == info["test_pairs"] == 1 and info["rejected"] == 2  # once per split read
    assert info["first_rejected"][0].startswith(f"{path}:2: ")


GOOD = {"prompt": "Q?", "chosen": "Yes.", "rejected": "No."}
HH = "\n\nHuman: A?\n\nAssistant: "


@pytest.mark.parametrize("record, message", [
    ([GOOD], "expected a JSON object, got list"),
    ({}, "missing field(s) chosen, rejected (fields: none)"),
    ({"prompt": "Q?", "answer": "Yes."}, "missing field(s) chosen, rejected (fields: prompt, answer)"),
    ({**GOOD, "rejected": None}, "empty field 'rejected'"),
    ({**GOOD, "rejected": []}, "empty field 'rejected'"),
    ({**GOOD, "prompt": 5}, "field 'prompt' must be a string or a list of messages, got int"),
    ({**GOOD, "rejected": ["No."]}, "field 'rejected' must be a string or a list of messages, got list"),
    ({"chosen": 5, "rejected": HH + "no"}, "field 'chosen' must be a string or a list of messages, got int"),
    ({"chosen": [{"role": "user", "content": "A?"}, {"role": "assistant", "content": "yes"}], "rejected": {"a": 1}},
     "field 'rejected' must be a string or a list of messages, got dict"),
    ({"chosen": [{"role": "user", "content": "A?"}, {"role": "assistant", "content": "yes"}],
      "rejected": [{"role": "user", "content": "A?"}, {"role": "user", "content": "no"}]}, "'rejected' must be one assistant turn"),
    ({"chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]},
     "chosen and rejected do not share a prompt (they must differ in the last turn only)"),
    ({"chosen": HH + "yes", "rejected": 7}, "transcript is int, not a string"),
    ({"chosen": HH + "yes", "rejected": "Note:" + HH + "no"},
     "unparsable transcript (expected '\\n\\nHuman: ...\\n\\nAssistant: ...' turns)"),
    ({"chosen": "\n\nHuman: A?", "rejected": "\n\nHuman: B?"},
     "chosen and rejected do not share a prompt (they must differ in the last turn only)"),
])
def test_a_bad_pair_is_one_exact_line_naming_where(record, message):
    from tinyllm.preference import to_pair

    with pytest.raises(ValueError) as err:
        to_pair(record, "f.jsonl:3")
    assert str(err.value) == f"f.jsonl:3: {message}"


def test_a_transcript_that_starts_without_a_blank_line_reads_the_same():
    from tinyllm.preference import parse_transcript, to_pair

    assert parse_transcript(HH.lstrip() + "yes", "w") == parse_transcript(HH + "yes", "w") == [
        {"role": "user", "content": "A?"}, {"role": "assistant", "content": "yes"}]
    assert to_pair({"chosen": HH + "yes", "rejected": HH + "no"}, "w")["prompt"] == [{"role": "user", "content": "A?"}]


def save_splits(path, splits):
    from datasets import Dataset, DatasetDict

    DatasetDict({name: Dataset.from_list(rows) for name, rows in splits.items()}).save_to_disk(str(path))
    (path / "preference_info.json").write_text("{}")
    return path


def test_load_preferences_checks_each_split_it_returns_and_names_the_split_and_row(tmp_path):
    import datasets

    from tinyllm.preference import check_pairs

    row = PAIR  # a valid pair as message lists
    only_train = save_splits(tmp_path / "only_train", {"train": [row], "validation": [row]})
    with pytest.raises(TinyLLMError) as err:
        load_preferences(only_train)
    assert str(err.value) == f"{only_train}: no 'test' split (it has train, validation)"
    train = load_preferences(only_train, "train")  # one split asked for: only it is checked, and it alone returned
    assert isinstance(train, datasets.Dataset) and train[0] == row

    cases = {
        "columns": ({"train": [{k: row[k] for k in ("chosen", "prompt")}], "test": [row]},
                    "[train]: missing column(s) rejected (columns: chosen, prompt)"),
        "two columns": ({"train": [row], "test": [{"prompt": row["prompt"]}]},
                        "[test]: missing column(s) chosen, rejected (columns: prompt)"),
        "row": ({"train": [row, {**row, "rejected": row["chosen"]}], "test": [row]}, "[train] row 1: chosen equals rejected"),
    }
    for name, (splits, message) in cases.items():
        path = save_splits(tmp_path / name, splits)
        with pytest.raises(TinyLLMError) as err:
            load_preferences(path)
        assert str(err.value) == f"{path} {message}"

    # datasets cannot load a split saved empty, so an empty split reaches check_pairs only in memory
    with pytest.raises(TinyLLMError) as err:
        check_pairs(datasets.Dataset.from_dict({"prompt": [], "chosen": [], "rejected": []}), "x [test]")
    assert str(err.value) == "x [test]: the split is empty"

    one = tmp_path / "one"
    datasets.Dataset.from_list([row]).save_to_disk(str(one))
    (one / "preference_info.json").write_text("{}")
    with pytest.raises(TinyLLMError) as err:
        load_preferences(one)
    assert str(err.value) == f"{one}: not a preference dataset with splits train, test (one split only)"

    damaged = save_splits(tmp_path / "damaged", {"train": [row], "test": [row]})
    (damaged / "dataset_dict.json").write_text("{not json")
    try:
        datasets.load_from_disk(str(damaged))
    except Exception as e:  # what the library says, as the message must quote its first line
        said = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
    with pytest.raises(TinyLLMError) as err:
        load_preferences(damaged)
    assert str(err.value) == f"{damaged}: cannot read the preference dataset ({said})"


def test_loaded_pairs_live_in_memory_so_mapping_them_writes_nothing_into_the_data_dir(tmp_path):
    row = PAIR  # a valid pair as message lists
    path = save_splits(tmp_path / "pairs", {"train": [row] * 3, "test": [row]})
    before = sorted(p.relative_to(path) for p in path.rglob("*"))
    data = load_preferences(path)
    data["train"].map(lambda r: {"n": len(r["prompt"])})  # as TRL tokenizes: on disk this would write a cache file
    assert sorted(p.relative_to(path) for p in path.rglob("*")) == before


def test_synthetic_pairs_and_the_hash_split(corpus_dir, tmp_path):
    info = build_preferences([str(corpus_dir / "preferences_train.jsonl")], tmp_path / "out", heldout_fraction=0.1)
    data = load_preferences(tmp_path / "out")
    assert info["train_pairs"] + info["test_pairs"] == 800 and 40 <= info["test_pairs"] <= 120
    train_prompts = {json.dumps(p) for p in data["train"]["prompt"]}
    assert not any(json.dumps(p) in train_prompts for p in data["test"]["prompt"])  # no prompt in both splits
    pair = data["train"][0]
    assert pair["prompt"][0]["role"] == "user" and pair["chosen"][0]["role"] == "assistant"
    assert pair["chosen"] != pair["rejected"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(preference_main, ["--source", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert exit_info.value.code == 2 and capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope.jsonl'}: file not found"
    (tmp_path / "o").mkdir()
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "Q?", "chosen": "Yes.", "rejected": "No."}])
    with pytest.raises(SystemExit):
        run_cli(preference_main, ["--source", str(path), "--out", str(tmp_path / "o")])
    assert "o: already exists (pass --overwrite to replace it)" in capsys.readouterr().err
    with pytest.raises(TinyLLMError, match="not a preference dataset"):
        load_preferences(tmp_path / "o")


# --- the measurements, against one-at-a-time references -------------------------------------

PAIRS = [
    {"prompt": [{"role": "user", "content": "What colour was the kite?"}],
     "chosen": [{"role": "assistant", "content": "The kite was red."}],
     "rejected": [{"role": "assistant", "content": "It was a very blue kite, and it flew high."}]},
    {"prompt": [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": "Where did Mia go?"}],
     "chosen": [{"role": "assistant", "content": "She went to the park."}],
     "rejected": [{"role": "assistant", "content": "Home."}]},
    {"prompt": [{"role": "user", "content": "Add 2 and 3, please, and say it in a whole sentence."}],
     "chosen": [{"role": "assistant", "content": "2 and 3 make 5."}],
     "rejected": [{"role": "assistant", "content": "6."}]},
]


def one_logp(model, tok, prompt, completion, max_length=None):
    """log p(completion | prompt) of one unpadded sequence, written out token by token."""
    import torch

    from tinyllm.chat import prompt_ids
    from tinyllm.sft_data import render

    start, full = len(prompt_ids(tok, prompt)), render(tok, prompt + completion)[0]
    full = full[:max_length] if max_length else full
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=torch.tensor([full])).logits[0].float(), dim=-1)
    return sum(float(logp[t - 1, full[t]]) for t in range(start, len(full)))


@pytest.fixture(scope="module")
def lm(tokenizer_dir):
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = build_model("tiny", len(tok), 128, seed=0)
    model.eval()
    return model, tok


@pytest.mark.parametrize("batch_size", [1, 2, 16])
def test_completion_logps_are_the_completion_tokens_only_in_any_batching(lm, batch_size):
    from tinyllm.preference import completion_logps

    model, tok = lm
    prompts = [p["prompt"] for p in PAIRS]
    for key in ("chosen", "rejected"):
        got = completion_logps(model, tok, prompts, [p[key] for p in PAIRS], batch_size=batch_size)
        want = [one_logp(model, tok, p["prompt"], p[key]) for p in PAIRS]
        assert got == pytest.approx(want, abs=1e-4)
    cut = completion_logps(model, tok, prompts, [p["chosen"] for p in PAIRS], batch_size=batch_size, max_length=22)
    assert cut == pytest.approx([one_logp(model, tok, p["prompt"], p["chosen"], 22) for p in PAIRS], abs=1e-4)


def test_preference_accuracy_counts_wins_and_what_max_length_leaves_out(lm):
    from tinyllm.chat import prompt_ids
    from tinyllm.preference import length_census, pair_lengths, preference_accuracy
    from tinyllm.sft_data import render

    model, tok = lm
    chosen = [one_logp(model, tok, p["prompt"], p["chosen"]) for p in PAIRS]
    rejected = [one_logp(model, tok, p["prompt"], p["rejected"]) for p in PAIRS]
    result = preference_accuracy(model, tok, PAIRS, batch_size=2)
    wins = sum(c > r for c, r in zip(chosen, rejected))
    assert 0 < wins < 3  # the test can tell a win from a loss
    assert (result["n"], result["truncated"], result["dropped"]) == (3, 0, 0)
    assert result["preference_accuracy"] == wins / 3
    assert result["mean_logp_margin"] == pytest.approx(sum(c - r for c, r in zip(chosen, rejected)) / 3, abs=1e-4)
    assert result["chosen_logps"] == pytest.approx(chosen, abs=1e-4)
    assert result["rejected_logps"] == pytest.approx(rejected, abs=1e-4)

    lengths = pair_lengths(tok, PAIRS)
    assert lengths == [(len(prompt_ids(tok, p["prompt"])), len(render(tok, p["prompt"] + p["chosen"])[0]),
                        len(render(tok, p["prompt"] + p["rejected"])[0])) for p in PAIRS]
    # A max_length between the prompts' lengths: pair 1 (the longest prompt) is dropped, the others are cut.
    prompts = sorted(p for p, _, _ in lengths)
    cut = prompts[-1]  # the longest prompt fills it exactly: dropped (DPO needs a completion token)
    census = length_census(tok, PAIRS, cut)
    assert census == {"max_length": cut, "pairs": 3, "longest": max(max(c, r) for _, c, r in lengths),
                      "too_long": [i for i, (_, c, r) in enumerate(lengths) if max(c, r) > cut],
                      "prompt_too_long": [i for i, (p, _, _) in enumerate(lengths) if p >= cut]}
    assert census["prompt_too_long"] == [lengths.index(max(lengths))] and len(census["too_long"]) == 3
    limited = preference_accuracy(model, tok, PAIRS, max_length=cut)
    assert (limited["n"], limited["truncated"], limited["dropped"]) == (2, 2, 1)
    kept = [p for i, p in enumerate(PAIRS) if i not in census["prompt_too_long"]]
    assert limited["chosen_logps"] == pytest.approx([one_logp(model, tok, p["prompt"], p["chosen"], cut) for p in kept],
                                                    abs=1e-4)
    assert limited["rejected_logps"] == pytest.approx(
        [one_logp(model, tok, p["prompt"], p["rejected"], cut) for p in kept], abs=1e-4)
    longest = census["longest"]  # a pair exactly max_length long fits
    assert length_census(tok, PAIRS, longest)["too_long"] == [] and length_census(tok, PAIRS, longest - 1)["too_long"]
    assert length_census(tok, [], 8) == {"max_length": 8, "pairs": 0, "too_long": [], "prompt_too_long": [], "longest": 0}
    nothing = preference_accuracy(model, tok, PAIRS, max_length=2)
    assert nothing == {"n": 0, "truncated": 0, "dropped": 3, "preference_accuracy": None, "mean_logp_margin": None}


class LengthReward:
    """A stand-in reward model: the score of a row is the number of its non-pad tokens."""

    def __init__(self, pad_id):
        import torch

        self.config = type("Config", (), {"pad_token_id": pad_id})()
        self.weight = torch.zeros(1)
        self.seen = []

    def parameters(self):
        return iter([self.weight])

    def __call__(self, input_ids, attention_mask):
        self.seen.append((input_ids.tolist(), attention_mask.tolist()))
        return type("Out", (), {"logits": attention_mask.sum(dim=1, keepdim=True).float() * 1.5})()


def test_reward_scores_and_accuracy_see_each_rendered_row_right_padded(tokenizer_dir):
    from tinyllm.preference import reward_accuracy, reward_scores
    from tinyllm.sft_data import render
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = LengthReward(pad_id=tok.pad_token_id)
    rows = [render(tok, p["prompt"] + p["rejected"])[0] for p in PAIRS]
    scores = reward_scores(model, tok, [p["prompt"] for p in PAIRS], [p["rejected"] for p in PAIRS], batch_size=2)
    assert scores == [1.5 * len(r) for r in rows]
    ids, mask = model.seen[0]
    width = max(len(rows[0]), len(rows[1]))
    assert len(model.seen) == 2 and len(ids) == 2 and len(model.seen[1][0]) == 1
    assert ids[0] == rows[0] + [tok.pad_token_id] * (width - len(rows[0]))
    assert mask[1] == [1] * len(rows[1]) + [0] * (width - len(rows[1]))

    lengths = [(len(render(tok, p["prompt"] + p["chosen"])[0]), len(render(tok, p["prompt"] + p["rejected"])[0]))
               for p in PAIRS]
    result = reward_accuracy(model, tok, PAIRS, batch_size=2)
    margins = [1.5 * (c - r) for c, r in lengths]
    assert result == {"n": 3, "too_long": 0, "accuracy": sum(m > 0 for m in margins) / 3,
                      "mean_margin": pytest.approx(sum(margins) / 3)}
    assert 0 < result["accuracy"] < 1
    shortest_long = sorted(max(c, r) for c, r in lengths)[1]  # leaves exactly the pair that fits
    limited = reward_accuracy(model, tok, PAIRS, max_length=shortest_long - 1)
    assert (limited["n"], limited["too_long"]) == (1, 2)
    assert reward_accuracy(model, tok, PAIRS, max_length=3) == {"n": 0, "too_long": 3, "accuracy": None,
                                                                "mean_margin": None}


class ScriptedReward(LengthReward):
    """A reward model whose scores are given in the order reward_scores asks for them."""

    def __init__(self, pad_id, scores):
        super().__init__(pad_id)
        self.scores = list(scores)

    def __call__(self, input_ids, attention_mask):
        import torch

        batch, self.scores = self.scores[:len(input_ids)], self.scores[len(input_ids):]
        return type("Out", (), {"logits": torch.tensor(batch).view(-1, 1)})()


def test_reward_accuracy_counts_a_tie_as_no_win_and_a_small_margin_as_a_win(tokenizer_dir):
    from tinyllm.preference import reward_accuracy
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    # chosen scores for the 3 pairs, then rejected: margins 0 (a tie), +0.25, -0.5
    model = ScriptedReward(tok.pad_token_id, [2.0, 1.25, 0.0] + [2.0, 1.0, 0.5])
    result = reward_accuracy(model, tok, PAIRS, batch_size=8)
    assert result == {"n": 3, "too_long": 0, "accuracy": 1 / 3, "mean_margin": pytest.approx(-0.25 / 3)}
    assert model.scores == []


class FlatLM(LengthReward):
    """A causal LM that gives every token the same probability."""

    def __init__(self, pad_id, vocab):
        super().__init__(pad_id)
        self.vocab = vocab

    def __call__(self, input_ids, attention_mask):
        import torch

        return type("Out", (), {"logits": torch.zeros(*input_ids.shape, self.vocab)})()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_scoring_shows_a_bar_per_pass_only_when_asked_and_on_a_terminal(tokenizer_dir, monkeypatch):
    from tinyllm.preference import (completion_logps, length_census, pair_lengths, preference_accuracy,
                                    reward_accuracy, reward_scores)
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    pairs = (PAIRS * 6)[:17]  # two batches at the default batch size of 16
    prompts, chosen = [p["prompt"] for p in pairs], [p["chosen"] for p in pairs]
    reward, lm = LengthReward(tok.pad_token_id), FlatLM(tok.pad_token_id, len(tok))

    def shown(call, stream=None):
        monkeypatch.setattr(sys, "stderr", stream or Terminal())
        call()
        return sys.stderr.getvalue()

    def finished_bars(text, desc, unit="batch"):  # each bar's last state: its count and unit
        return re.findall(rf"{desc}: 100%\|[^|]*\| (\d+)/\1 \[[^\]]*{unit}/s\]", text)

    # off unless asked (logs stay clean), and only on a terminal when asked
    assert shown(lambda: reward_scores(reward, tok, prompts, chosen)) == ""
    assert shown(lambda: reward_accuracy(reward, tok, pairs)) == ""
    assert shown(lambda: completion_logps(lm, tok, prompts, chosen)) == ""
    assert shown(lambda: preference_accuracy(lm, tok, pairs)) == ""
    assert shown(lambda: pair_lengths(tok, pairs)) == shown(lambda: length_census(tok, pairs, 64)) == ""
    assert shown(lambda: reward_accuracy(reward, tok, pairs, progress=True), io.StringIO()) == ""

    assert finished_bars(shown(lambda: reward_scores(reward, tok, prompts, chosen, progress=True)), "score") == ["2"]
    assert finished_bars(shown(lambda: reward_accuracy(reward, tok, pairs, progress=True)), "score") == ["2", "2"]
    assert finished_bars(shown(lambda: completion_logps(lm, tok, prompts, chosen, progress=True)),
                         "log-probs") == ["2"]
    assert finished_bars(shown(lambda: preference_accuracy(lm, tok, pairs, progress=True)), "log-probs") == ["2", "2"]
    for call in (lambda: pair_lengths(tok, pairs, progress=True), lambda: length_census(tok, pairs, 64, progress=True)):
        assert finished_bars(shown(call), "measure lengths", " pair") == ["17"]


def test_preference_accuracy_counts_a_tie_as_no_win(tokenizer_dir):
    from tinyllm.preference import preference_accuracy
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    tie = {**PAIRS[0], "rejected": PAIRS[0]["chosen"]}  # the same answer twice: equal log-probs
    result = preference_accuracy(FlatLM(tok.pad_token_id, len(tok)), tok, [tie, PAIRS[0]])
    assert result["chosen_logps"][0] == result["rejected_logps"][0]
    assert result["preference_accuracy"] == 0.5  # pair 0's chosen answer is the shorter: likelier under a flat model


def test_first_pairs_takes_a_prefix_and_refuses_zero():
    from datasets import Dataset

    from tinyllm.preference import first_pairs

    data = Dataset.from_list([{"x": i} for i in range(5)])
    assert first_pairs(data, None) is data and first_pairs(data, 5) is data and first_pairs(data, 9) is data
    assert first_pairs(data, 2)["x"] == [0, 1] and first_pairs(data, 1)["x"] == [0]
    with pytest.raises(TinyLLMError, match=r"recipe key 'train_pairs' must be >= 1, got 0"):
        first_pairs(data, 0)


def test_implicit_reward_accuracy_refuses_mismatched_results():
    from tinyllm.preference import implicit_reward_accuracy

    reference = {"n": 2, "chosen_logps": [-1.0, -1.0], "rejected_logps": [-1.0, -1.0]}
    policy = {"n": 2, "chosen_logps": [0.0, -3.0], "rejected_logps": [-1.0, -1.0]}
    result = implicit_reward_accuracy(reference, policy, beta=0.5)
    assert result == {"n": 2, "correct": 1, "accuracy": 0.5, "mean_margin": pytest.approx(0.5 * (1 - 2) / 2)}
    with pytest.raises(ValueError, match=r"implicit_reward_accuracy: 2 pairs scored by both models, expected 3"):
        implicit_reward_accuracy({**reference, "n": 3}, policy, beta=0.5)
    # The policy's gain on the rejected answer counts against it; a tie is no win.
    moved = {"n": 3, "chosen_logps": [0.0, -1.0, 0.0], "rejected_logps": [0.5, -1.0, -1.0]}
    base = {"n": 3, "chosen_logps": [-1.0, -1.0, -1.0], "rejected_logps": [-1.0, -1.0, -1.0]}
    result = implicit_reward_accuracy(base, moved, beta=2.0)
    assert result == {"n": 3, "correct": 1, "accuracy": 1 / 3, "mean_margin": pytest.approx(2.0 * (-0.5 + 0 + 1) / 3)}
    empty = {"n": 0, "chosen_logps": [], "rejected_logps": []}
    with pytest.raises(ValueError, match=r"0 pairs scored by both models, expected 0"):
        implicit_reward_accuracy(empty, empty, beta=0.5)


def test_load_reward_model_loads_a_score_head_checkpoint_and_refuses_a_causal_lm(tokenizer_dir, tmp_path):
    import torch
    from transformers import LlamaForCausalLM, LlamaForSequenceClassification

    from tinyllm.model import llama_config
    from tinyllm.preference import load_reward_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    config = llama_config("tiny", len(tok), 64, pad_id=tok.pad_token_id)
    config.num_labels = 1
    torch.manual_seed(0)
    reward = LlamaForSequenceClassification(config)
    reward.save_pretrained(tmp_path / "rm")
    tok.save_pretrained(tmp_path / "rm")
    model, loaded_tok = load_reward_model(tmp_path / "rm")
    assert not model.training and len(loaded_tok) == len(tok)
    ids = torch.tensor([[1, 5, 6, 7]])
    torch.testing.assert_close(model(input_ids=ids).logits, reward.eval()(input_ids=ids).logits)
    LlamaForCausalLM(llama_config("tiny", len(tok), 64)).save_pretrained(tmp_path / "lm")
    tok.save_pretrained(tmp_path / "lm")
    with pytest.raises(TinyLLMError, match=r"lm: not a reward model \(LlamaForCausalLM\); train one with stages.reward"):
        load_reward_model(tmp_path / "lm")
    for architectures, named in (([], "no architecture"), (["A", "B"], "A, B")):
        (tmp_path / "lm" / "config.json").write_text(json.dumps({**config.to_dict(), "architectures": architectures}))
        with pytest.raises(TinyLLMError) as err:
            load_reward_model(tmp_path / "lm")
        assert str(err.value) == f"{tmp_path / 'lm'}: not a reward model ({named}); train one with stages.reward"
    config.vocab_size = len(tok) - 8  # another model's tokenizer beside the weights
    LlamaForSequenceClassification(config).save_pretrained(tmp_path / "small")
    tok.save_pretrained(tmp_path / "small")
    with pytest.raises(TinyLLMError) as err:
        load_reward_model(tmp_path / "small")
    assert str(err.value).startswith(f"{tmp_path / 'small'}: the tokenizer has {len(tok)} tokens")
