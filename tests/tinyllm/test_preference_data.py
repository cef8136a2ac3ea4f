"""Preference data: every input format becomes the same conversational pair; bad pairs are named."""

import json

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
