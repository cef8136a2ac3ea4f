"""SFT data: assistant-only masks, the three dialogue formats, bad records, and pickles that
cannot run code or come from another tokenizer."""

import json
import os
import pickle

import pytest

from data_prep.sft import build_sft, main as sft_main
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.sft_data import load_sft, render
from tinyllm.tokenizer import IM_END, load_tokenizer

CONVERSATION = [
    {"role": "system", "content": "Answer in one sentence."},
    {"role": "user", "content": "Mia had a red kite. What colour was it?"},
    {"role": "assistant", "content": "The kite was red."},
    {"role": "user", "content": "Where did she go?"},
    {"role": "assistant", "content": "She went to the park."},
]


def masked_segments(tok, ids, mask):
    """Decode each run of masked tokens separately."""
    segments, current = [], []
    for i, m in zip(ids, mask):
        if m:
            current.append(i)
        elif current:
            segments.append(tok.decode(current))
            current = []
    if current:
        segments.append(tok.decode(current))
    return segments


@pytest.mark.parametrize("messages", [CONVERSATION[1:3], CONVERSATION], ids=["single-turn", "multi-turn+system"])
def test_mask_covers_exactly_the_assistant_turns(tokenizer_dir, messages):
    tok = load_tokenizer(tokenizer_dir)
    ids, mask = render(tok, messages)
    assert ids[0] == tok.bos_token_id and len(ids) == len(mask)
    expected = [m["content"] + IM_END for m in messages if m["role"] == "assistant"]
    assert masked_segments(tok, ids, mask) == expected


def test_generation_prompt_renders_the_training_prefix(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    ids, mask = render(tok, CONVERSATION[:3])
    prompt = tok.apply_chat_template(CONVERSATION[:2], tokenize=True, add_generation_prompt=True, return_dict=True)
    prompt_ids = list(prompt["input_ids"])
    assert ids[:len(prompt_ids)] == prompt_ids  # chat / generation see what training saw
    assert not any(mask[:len(prompt_ids)]) and all(mask[len(prompt_ids):-1])


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_three_formats_render_the_same_conversation(tokenizer_dir, tmp_path):
    user, answer = "Add 2 and 3.", "2 + 3 = 5."
    write_jsonl(tmp_path / "m.jsonl", [{"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}])
    write_jsonl(tmp_path / "a.jsonl", [{"instruction": "Add 2 and 3.", "input": "", "output": answer}])
    write_jsonl(tmp_path / "s.jsonl", [{"conversations": [{"from": "human", "value": user}, {"from": "gpt", "value": answer}]}])
    rendered = []
    for name in ("m", "a", "s"):
        build_sft([str(tmp_path / f"{name}.jsonl")], tmp_path / f"{name}.pkl", tokenizer_dir)
        rendered.append(load_sft(tmp_path / f"{name}.pkl")["samples"])
    assert rendered[0] == rendered[1] == rendered[2] and len(rendered[0]) == 1


def test_synthetic_dialogues_and_length_policies(tokenizer_dir, corpus_dir, tmp_path):
    source = [str(corpus_dir / "dialogues_val.jsonl")]
    dropped = build_sft(source, tmp_path / "d.pkl", tokenizer_dir, max_len=300)
    truncated = build_sft(source, tmp_path / "t.pkl", tokenizer_dir, max_len=300, policy="truncate")
    assert dropped["conversations"] == truncated["conversations"] == 80
    assert dropped["dropped_too_long"] > 0 and dropped["samples_written"] == 80 - dropped["dropped_too_long"]
    assert truncated["truncated"] == dropped["dropped_too_long"]
    data = load_sft(tmp_path / "t.pkl", load_tokenizer(tokenizer_dir))
    assert all(len(s["input_ids"]) <= 300 and any(s["assistant_mask"]) for s in data["samples"])
    with pytest.raises(TinyLLMError, match=r"no sample left: 80 longer than max_len 20 were dropped"):
        build_sft(source, tmp_path / "none.pkl", tokenizer_dir, max_len=20)
    assert not (tmp_path / "none.pkl").exists()


@pytest.mark.parametrize("record, message", [
    ({"messages": [{"role": "user", "content": "hi"}]}, r"bad.jsonl:2: conversation has no assistant turn"),
    ({"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "x"}]},
     r"bad.jsonl:2: roles out of order: turn 1 is assistant, expected user"),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": " "}]},
     r"bad.jsonl:2: message 1 \(assistant\) has empty content"),
    ({"prompt": "x", "reply": "y"}, r"bad.jsonl:2: unknown format \(fields: prompt, reply\)"),
    ({"conversations": [{"from": "robot", "value": "x"}]}, r"bad.jsonl:2: turn 0 has role 'robot'"),
])
def test_bad_records_name_file_and_line(tokenizer_dir, tmp_path, record, message):
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    path = write_jsonl(tmp_path / "bad.jsonl", [good, record])
    with pytest.raises(TinyLLMError, match=message):
        build_sft([str(path)], tmp_path / "out.pkl", tokenizer_dir)
    assert not (tmp_path / "out.pkl").exists()
    header = build_sft([str(path)], tmp_path / "out.pkl", tokenizer_dir, skip_bad=True)
    assert header["samples_written"] == 1 and header["skipped_bad_records"] == 1


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickle_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"format": "tinyllm-sft", "version": 1, "samples": [RunsACommand(marker)]}))
    with pytest.raises(TinyLLMError, match=r"evil.pkl: refused, not a plain-data pickle \(refers to posix.system"):
        load_sft(path)
    assert not marker.exists()
    pickle.loads(path.read_bytes())  # the plain unpickler would have run it: the test is real
    assert marker.exists()


def test_foreign_and_broken_pickles_are_refused(tokenizer_dir, tmp_path, capsys):
    path = write_jsonl(tmp_path / "ok.jsonl", [{"instruction": "Say hi.", "output": "Hi."}])
    build_sft([str(path)], tmp_path / "ok.pkl", tokenizer_dir)
    data = load_sft(tmp_path / "ok.pkl")
    data["tokenizer_fingerprint"] = "0000000000000000"
    (tmp_path / "other.pkl").write_bytes(pickle.dumps(data))
    with pytest.raises(TinyLLMError, match="other.pkl: made with tokenizer 0000000000000000, not the one in use"):
        load_sft(tmp_path / "other.pkl", load_tokenizer(tokenizer_dir))
    (tmp_path / "cut.pkl").write_bytes((tmp_path / "ok.pkl").read_bytes()[:40])
    with pytest.raises(TinyLLMError, match="cut.pkl: not a readable SFT pickle"):
        load_sft(tmp_path / "cut.pkl")
    (tmp_path / "list.pkl").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(TinyLLMError, match="list.pkl: not a tinyllm-sft file"):
        load_sft(tmp_path / "list.pkl")
    with pytest.raises(SystemExit) as exit_info:
        run_cli(sft_main, ["--tokenizer", str(tokenizer_dir), "--source", str(tmp_path / "nope.jsonl"), "--out", "x.pkl"])
    assert exit_info.value.code == 2 and capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope.jsonl'}: file not found"
