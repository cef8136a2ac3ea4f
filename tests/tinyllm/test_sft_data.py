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


# --- the training views, exactly (what the Trainer receives) ------------------------------------

def sample(n, start=0, trained=()):
    """A sample of n token ids start..start+n-1 with the mask set at the `trained` positions."""
    return {"input_ids": list(range(start, start + n)), "assistant_mask": [int(i in trained) for i in range(n)]}


def test_labels_are_the_masked_tokens_and_ignore_elsewhere():
    from tinyllm.sft_data import IGNORE, SFTDataset, labels_for

    s = {"input_ids": [1, 7, 8, 9, 2], "assistant_mask": [0, 0, 1, 1, 0]}
    assert IGNORE == -100  # the index torch's cross-entropy and transformers skip
    assert labels_for(s) == [-100, -100, 8, 9, -100]
    data = SFTDataset([s, sample(3, 20, trained=(2,))])
    assert len(data) == 2
    assert data[0] == {"input_ids": [1, 7, 8, 9, 2], "attention_mask": [1, 1, 1, 1, 1], "labels": [-100, -100, 8, 9, -100]}
    assert data[1]["labels"] == [-100, -100, 22]


def test_pack_is_best_fit_decreasing_with_positions_restarting_per_conversation():
    from tinyllm.sft_data import PackedDataset, pack

    # lengths 6, 5, 4, 3, 2 into rows of 8: 6 -> new row (2 left), 5 -> new row (3 left), 4 -> new row,
    # 3 -> the row with exactly 3 left, 2 -> the row with exactly 2 left; 8 fits a row on its own.
    samples = [sample(3, 30, (1,)), sample(6, 60, (5,)), sample(2, 20, (1,)), sample(5, 50, (4,)), sample(4, 40, (3,)),
               sample(8, 80, (0, 7))]
    rows = pack(samples, 8, pad_id=0)
    assert [r["input_ids"] for r in rows] == [
        list(range(80, 88)),
        [60, 61, 62, 63, 64, 65, 20, 21],
        [50, 51, 52, 53, 54, 30, 31, 32],
        [40, 41, 42, 43, 0, 0, 0, 0],
    ]
    assert [r["position_ids"] for r in rows] == [
        list(range(8)), [0, 1, 2, 3, 4, 5, 0, 1], [0, 1, 2, 3, 4, 0, 1, 2], [0, 1, 2, 3, 0, 1, 2, 3]]
    assert [r["labels"] for r in rows] == [
        [80] + [-100] * 6 + [87],
        [-100] * 5 + [65, -100, 21],
        [-100] * 4 + [54, -100, 31, -100],
        [-100] * 3 + [43, -100, -100, -100, -100],
    ]
    assert PackedDataset(rows)[1] is rows[1] and len(PackedDataset(rows)) == 4


def test_pack_fills_with_the_pad_id_and_refuses_a_conversation_longer_than_a_row():
    from tinyllm.sft_data import pack

    assert pack([sample(2, 5, (1,))], 4, pad_id=3)[0] == {"input_ids": [5, 6, 3, 3], "labels": [-100, 6, -100, -100],
                                                           "position_ids": [0, 1, 0, 1]}
    with pytest.raises(TinyLLMError, match=r"a conversation of 5 tokens does not fit pack length 4; raise max_len"):
        pack([sample(2), sample(5)], 4, pad_id=0)


def test_pack_fills_the_first_row_exactly_and_never_overfills_one():
    from tinyllm.sft_data import pack

    # 5 -> row 0 (3 left); 3 fits row 0 exactly (0 left); 2 needs a new row.
    rows = pack([sample(5, 50), sample(3, 30), sample(2, 20)], 8, pad_id=0)
    assert [r["input_ids"] for r in rows] == [[50, 51, 52, 53, 54, 30, 31, 32], [20, 21, 0, 0, 0, 0, 0, 0]]
    assert all(len(r[k]) == 8 for r in rows for k in r)


def test_collate_packed_stacks_the_three_keys_and_adds_no_attention_mask():
    import torch

    from tinyllm.sft_data import collate_packed, pack

    rows = pack([sample(3, 10, (2,)), sample(2, 20, (1,)), sample(4, 40, (3,))], 5, pad_id=0)
    batch = collate_packed(rows)
    # No attention_mask: transformers then builds the block-diagonal mask from position_ids.
    assert set(batch) == {"input_ids", "labels", "position_ids"}
    for key in batch:
        assert batch[key].dtype == torch.long and batch[key].tolist() == [r[key] for r in rows]


GOOD = {"input_ids": [1, 5, 6], "assistant_mask": [0, 1, 1]}


def test_check_samples_counts_tokens_and_trained_tokens():
    from tinyllm.sft_data import check_samples

    assert check_samples([GOOD, {"input_ids": [0, 9], "assistant_mask": [False, True]}], "f.pkl", vocab=10) == (5, 3)
    assert check_samples([{"input_ids": [4], "assistant_mask": [1]}], "f.pkl", vocab=None) == (1, 1)


@pytest.mark.parametrize("samples, message", [
    ({"0": GOOD}, r"f.pkl: 'samples' must be a list of samples, got dict"),
    ([], r"f.pkl: no samples$"),
    ([GOOD, "x"], r"f.pkl: sample 1: expected a dict with input_ids and assistant_mask, got str"),
    ([{"assistant_mask": [1]}], r"f.pkl: sample 0: 'input_ids' must be a non-empty list, got NoneType None"),
    ([{"input_ids": [], "assistant_mask": [1]}], r"f.pkl: sample 0: 'input_ids' must be a non-empty list, got list \[\]"),
    ([{"input_ids": [1], "assistant_mask": ()}], r"f.pkl: sample 0: 'assistant_mask' must be a non-empty list, got tuple"),
    ([{"input_ids": [1, 2.0], "assistant_mask": [0, 1]}], r"sample 0: 'input_ids' holds float 2.0, not an integer token id"),
    ([{"input_ids": [1, True], "assistant_mask": [0, 1]}], r"sample 0: 'input_ids' holds bool True, not an integer"),
    ([{"input_ids": [1, -1], "assistant_mask": [0, 1]}], r"sample 0: token id -1 outside the tokenizer's vocab \[0, 10\)"),
    ([{"input_ids": [1, 10], "assistant_mask": [0, 1]}], r"sample 0: token id 10 outside the tokenizer's vocab \[0, 10\)"),
    ([{"input_ids": [0, 12], "assistant_mask": [0, 1]}], r"sample 0: token id 12 outside the tokenizer's vocab \[0, 10\)"),
    ([{"input_ids": [1, 5], "assistant_mask": [1]}], r"sample 0: 'assistant_mask' has 1 values for 2 input_ids"),
    ([{"input_ids": [1, 5], "assistant_mask": [0, 2]}], r"sample 0: 'assistant_mask' values must be 0 or 1"),
    ([{"input_ids": [1, 5], "assistant_mask": [0, 1.0]}], r"sample 0: 'assistant_mask' values must be 0 or 1"),
    ([{"input_ids": [1, 5], "assistant_mask": [0, 0]}], r"f.pkl: no sample has a trained token"),
])
def test_check_samples_names_the_sample_and_the_fault(samples, message):
    from tinyllm.sft_data import check_samples

    with pytest.raises(TinyLLMError, match=message):
        check_samples(samples, "f.pkl", vocab=10)


def test_check_samples_without_a_vocab_has_no_upper_bound_and_long_values_are_cut():
    from tinyllm.sft_data import check_samples

    assert check_samples([{"input_ids": [10**6], "assistant_mask": [1]}], "f.pkl", vocab=None) == (1, 1)
    with pytest.raises(TinyLLMError, match=r"token id -3 outside the tokenizer's vocab \[0, inf\)"):
        check_samples([{"input_ids": [-3], "assistant_mask": [1]}], "f.pkl", vocab=None)
    # The repr is cut to 40 characters when longer: 39 y's make a 41-character repr, 38 make 40.
    for length, shown in ((60, "'" + "y" * 39 + "..."), (39, "'" + "y" * 39 + "..."), (38, "'" + "y" * 38 + "'")):
        with pytest.raises(TinyLLMError) as err:
            check_samples([{"input_ids": ["y" * length], "assistant_mask": [1]}], "f.pkl", vocab=None)
        assert str(err.value).endswith(f"holds str {shown}, not an integer token id")


@pytest.mark.parametrize("messages, message", [
    ([], r"w: no messages"),
    ("hi", r"w: no messages"),
    (["hi"], r"w: message 0 has role 'hi', expected one of system, user, assistant"),
    ([{"role": "bot", "content": "x"}], r"w: message 0 has role 'bot', expected one of"),
    ([{"role": "user", "content": 3}], r"w: message 0 \(user\) has empty content"),
    ([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], r"w: conversation has no assistant turn"),
    ([{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "v"}],
     r"w: the last turn must be the assistant's"),
    ([{"role": "system", "content": "s"}, {"role": "assistant", "content": "a"}],
     r"w: roles out of order: turn 1 is assistant, expected user"),
    ([{"role": "user", "content": "u"}, {"role": "system", "content": "s"}, {"role": "assistant", "content": "a"}],
     r"w: roles out of order: turn 2 is system, expected assistant"),
])
def test_check_messages_rules(messages, message):
    from tinyllm.sft_data import check_messages

    with pytest.raises(ValueError, match=message):
        check_messages(messages, "w")


def test_check_messages_accepts_system_then_alternating_turns():
    from tinyllm.sft_data import check_messages

    check_messages(CONVERSATION, "w")
    check_messages(CONVERSATION[1:3], "w")


def test_load_sft_refuses_missing_files_other_versions_and_counts_what_it_holds(tmp_path):
    from tinyllm.sft_data import save_sft

    with pytest.raises(TinyLLMError, match=r"none.pkl: SFT data file not found"):
        load_sft(tmp_path / "none.pkl")
    save_sft(tmp_path / "ok.pkl", [GOOD, GOOD], {"tokens": 999})
    data = load_sft(tmp_path / "ok.pkl")
    assert data["format"] == "tinyllm-sft" and data["version"] == 1
    assert (data["tokens"], data["target_tokens"]) == (6, 4)  # counted, not the header's 999
    assert pickle.loads((tmp_path / "ok.pkl").read_bytes())["samples"] == [GOOD, GOOD]
    (tmp_path / "v2.pkl").write_bytes(pickle.dumps({"format": "tinyllm-sft", "version": 2, "samples": [GOOD]}))
    with pytest.raises(TinyLLMError, match=r"v2.pkl: format version 2, expected 1$"):
        load_sft(tmp_path / "v2.pkl")
    (tmp_path / "dict.pkl").write_bytes(pickle.dumps({"format": "other"}))
    with pytest.raises(TinyLLMError, match=r"dict.pkl: not a tinyllm-sft file \(make it with data_prep.sft\)"):
        load_sft(tmp_path / "dict.pkl")


def test_safe_loads_refuses_persistent_ids_and_wraps_every_other_failure():
    import io

    from tinyllm.sft_data import BadPickle, Refused, safe_loads

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=4)
    pickler.persistent_id = lambda obj: "id" if obj == "secret" else None
    pickler.dump(["secret"])
    with pytest.raises(Refused, match=r"^uses persistent ids; only plain data is allowed$"):
        safe_loads(buffer.getvalue())
    with pytest.raises(Refused, match=r"refers to pathlib.PosixPath; only plain lists"):
        safe_loads(pickle.dumps(__import__("pathlib").PosixPath("x")))
    with pytest.raises(BadPickle, match=r"^UnpicklingError: ") as err:
        safe_loads(b"not a pickle")
    assert not isinstance(err.value, Refused)
    with pytest.raises(BadPickle, match=r"^EOFError: Ran out of input"):
        safe_loads(b"")


def test_load_sft_checks_ids_against_the_tokenizer_and_names_the_file(tokenizer_dir, tmp_path):
    from tinyllm.sft_data import save_sft
    from tinyllm.tokenizer import fingerprint

    tok = load_tokenizer(tokenizer_dir)
    beyond = {"input_ids": [1, len(tok)], "assistant_mask": [0, 1]}
    save_sft(tmp_path / "big.pkl", [GOOD, beyond], {"tokenizer_fingerprint": fingerprint(tok)})
    assert load_sft(tmp_path / "big.pkl")["tokens"] == 5  # without a tokenizer there is no vocab to check against
    with pytest.raises(TinyLLMError, match=rf"^{tmp_path / 'big.pkl'}: sample 1: token id {len(tok)} outside the "
                                           rf"tokenizer's vocab \[0, {len(tok)}\)"):
        load_sft(tmp_path / "big.pkl", tok)
