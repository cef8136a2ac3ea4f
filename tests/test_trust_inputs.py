"""Inputs a user can get wrong, table-driven: checkpoints (config, weights, tokenizer), SFT and
preference data contents, text that is not clean UTF-8, and chat / sample prompts.

Every case runs a command in-process as the user does and asserts its exit status, a one-line
message naming the file / key / sample index (no traceback), that every file that existed
before is byte-identical afterwards, and, for a run that should succeed, that it did.
"""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, run_in_process, tree_hashes

# --- inputs ---------------------------------------------------------------------------------------


@dataclass
class Fx:
    tok: Path        # the session's tokenizer (vocab 512, chat template)
    ckpt: Path       # an untrained tiny Llama with that tokenizer, context 128
    vocab: int


@pytest.fixture(scope="module")
def fx(tokenizer_dir, tmp_path_factory):
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    ckpt = tmp_path_factory.mktemp("trust") / "ckpt"
    build_model("tiny", len(tok), 128, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                pad_id=tok.pad_token_id).save_pretrained(str(ckpt))
    tok.save_pretrained(str(ckpt))
    return Fx(tok=tokenizer_dir, ckpt=ckpt, vocab=len(tok))


def ckpt_copy(fx, tmp, name="ckpt", **config):
    """The tiny checkpoint copied into the test's directory, with config.json keys replaced."""
    out = tmp / name
    shutil.copytree(fx.ckpt, out)
    if config:
        data = json.loads((out / "config.json").read_text())
        (out / "config.json").write_text(json.dumps(data | config))
    return out


def damaged(fx, tmp, how):
    out = ckpt_copy(fx, tmp)
    weights = out / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(how(data))
    return out


def with_extra_tensor(fx, tmp):
    import torch
    from safetensors.torch import load_file, save_file

    out = ckpt_copy(fx, tmp)
    tensors = load_file(out / "model.safetensors")
    tensors["model.layers.0.self_attn.rotary.weight"] = torch.zeros(4)
    save_file(tensors, out / "model.safetensors", metadata={"format": "pt"})
    return out


def without_tokenizer(fx, tmp):
    out = ckpt_copy(fx, tmp, "final")
    for name in ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
                 "chat_template.jinja"):
        (out / name).unlink(missing_ok=True)
    return out


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


STORY = "Once upon a time a small fox found a red ball near the river and played with it all day."


def stories(n=30, sep="\n\n"):
    return sep.join(f"{STORY} Story {i} ends here." for i in range(n)) + "\n"


def good_sample(fx, n=6):
    ids = [1] + [5 + (i % 40) for i in range(n - 1)]
    return {"input_ids": ids, "assistant_mask": [0] * (n // 2) + [1] * (n - n // 2)}


def sft_pickle(fx, tmp, samples, name="train.pkl"):
    """An SFT file exactly as data_prep.sft writes it, with the given `samples` (any shape)."""
    from tinyllm.sft_data import save_sft
    from tinyllm.tokenizer import fingerprint, load_tokenizer

    path = tmp / name
    save_sft(path, samples, {"tokenizer_fingerprint": fingerprint(load_tokenizer(fx.tok)), "tokens": 1,
                             "target_tokens": 1})
    return path


def sft_argv(fx, tmp, train, *extra):
    return [ROOT / "recipes/sft_tiny.yaml", f"model={fx.ckpt}", f"train_data={train}", f"out_dir={tmp / 'out'}",
            "val_data=null", "batching=padded", "batch_size=2", "max_steps=1", "eval_every=0", "save_every=0",
            "log_every=1", "warmup_steps=0", *extra]


def sft_refused_then_retried(tmp, fx):
    """A refused SFT run (ids outside the vocab) must leave nothing that blocks the retry."""
    bad = sft_pickle(fx, tmp, [good_sample(fx), {"input_ids": [1, 99999, 4], "assistant_mask": [0, 1, 1]}], "bad.pkl")
    code, err = run(["stages.sft", sft_argv(fx, tmp, bad)])
    assert code == 2 and "bad.pkl: sample 1: token id 99999" in err, err
    assert not (tmp / "out").exists()
    bad.unlink()
    return sft_argv(fx, tmp, sft_pickle(fx, tmp, [good_sample(fx) for _ in range(4)]))


def preference_dir(tmp, train_rows, test_rows=None):
    from datasets import Dataset, DatasetDict

    from tinyllm.preference import INFO_FILE

    good = {"prompt": [{"role": "user", "content": "Q?"}], "chosen": [{"role": "assistant", "content": "Yes."}],
            "rejected": [{"role": "assistant", "content": "No."}]}
    out = tmp / "pref"
    rows = [good | r for r in train_rows]
    tests = [good | r for r in test_rows or [{}]]
    DatasetDict({"train": Dataset.from_list(rows), "test": Dataset.from_list(tests)}).save_to_disk(str(out))
    (out / INFO_FILE).write_text("{}")
    return out


def rm_argv(fx, tmp, data):
    return [ROOT / "recipes/rm_tiny.yaml", f"model={fx.ckpt}", f"data={data}", f"out_dir={tmp / 'out'}"]


LONG_PROMPT = " ".join(["the fox ran to the river and back"] * 40)  # ~300 tokens, context 128


# --- checks for runs that succeed -----------------------------------------------------------------

def skipped_one(tmp, out, err):
    meta = json.loads((tmp / "o" / "meta.json").read_text())
    assert meta["skipped_bad_records"] == 1 and meta["splits"]["train"]["documents"] > 0
    assert "1 bad record(s) skipped, first: " in out and "bad.txt:3: not UTF-8" in out


def tokenizer_made(tmp, out, err):
    assert (tmp / "o" / "tokenizer.json").is_file() or (tmp / "o" / "tokenizer.model").is_file()
    assert "1 skipped" in out


def sampled_after_cut(tmp, out, err):
    assert re.fullmatch(r"note: the prompt is \d+ tokens; its first \d+ were cut to fit the model's context of 128 "
                        r"with 8 new tokens", err.strip()), err
    assert out.count("--- ") == 2


def chat_cut(tmp, out, err):
    assert re.search(r"\[the conversation is \d+ tokens; its first \d+ were cut to fit the model's context of 128", out)


def sft_trained(tmp, out, err):
    assert (tmp / "out" / "final" / "model.safetensors").is_file()
    assert json.loads((tmp / "out" / "report.json").read_text())["steps"] == 1


# --- the table --------------------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    module: str
    argv: Callable               # (tmp, fx) -> argv; may write the inputs
    code: int                    # exit status
    message: str                 # regex on the one error line (exit 2) or on stdout+stderr (exit 0)
    check: Callable | None = None  # (tmp, stdout, stderr) for a run that succeeds
    new: tuple = ()              # globs (relative to tmp) a successful run may create


SAMPLE = "scripts.sample"
CASES = [
    # --- 5: checkpoints: config sane before anything is allocated, weights covering it exactly ---
    Case("ckpt-a-billion-layers", SAMPLE, lambda t, f: [ckpt_copy(f, t, num_hidden_layers=1_000_000_000)], 2,
         r"ckpt/config.json: describes a model of at least [\d,]+ parameters \(num_hidden_layers=1000000000, "
         r"hidden_size=64, vocab_size=\d+\) but the weight files hold [\d,]+ bytes"),
    Case("ckpt-one-more-layer-than-weights", SAMPLE, lambda t, f: [ckpt_copy(f, t, num_hidden_layers=3)], 2,
         r"ckpt/model.safetensors: lacks 9 tensor\(s\) that config.json needs \(model.layers.2.input_layernorm.weight, "),
    Case("ckpt-heads-not-dividing-width", "scripts.chat", lambda t, f: [ckpt_copy(f, t, num_attention_heads=5)], 2,
         r"ckpt/config.json: key 'num_attention_heads' \(5\) must divide 'hidden_size' \(64\)"),
    Case("ckpt-kv-heads-not-dividing-heads", "eval.run", lambda t, f: [ckpt_copy(f, t, num_key_value_heads=3),
                                                                      "--out", t / "ev"], 2,
         r"ckpt/config.json: key 'num_key_value_heads' \(3\) must divide 'num_attention_heads' \(4\)"),
    Case("ckpt-zero-width", SAMPLE, lambda t, f: [ckpt_copy(f, t, hidden_size=0)], 2,
         r"ckpt/config.json: key 'hidden_size' must be a positive integer, got 0"),
    Case("ckpt-bos-outside-vocab", SAMPLE, lambda t, f: [ckpt_copy(f, t, bos_token_id=100_000)], 2,
         r"ckpt/config.json: key 'bos_token_id' is 100000, outside the vocab of \d+ \(vocab_size\)"),
    Case("ckpt-vocab-smaller-than-tokenizer", SAMPLE, lambda t, f: [ckpt_copy(f, t, vocab_size=100)], 2,
         r"ckpt: the tokenizer has \d+ tokens but config.json's vocab_size is 100"),
    Case("ckpt-ffn-width-not-the-weights", "scripts.export_gguf", lambda t, f: [ckpt_copy(f, t, intermediate_size=256),
                                                                               t / "m.gguf"], 2,
         r"ckpt/model.safetensors: tensor model.layers.0.mlp.gate_proj.weight has shape \[192, 64\], "
         r"config.json implies \[256, 64\]"),
    Case("ckpt-unexpected-tensor", "scripts.export_llama2c", lambda t, f: [with_extra_tensor(f, t), t / "m.bin"], 2,
         r"ckpt/model.safetensors: holds 1 tensor\(s\) that config.json does not describe "
         r"\(model.layers.0.self_attn.rotary.weight\)"),
    Case("ckpt-truncated-weights", "stages.quantize",
         lambda t, f: [ROOT / "recipes/quant_tiny.yaml", f"model={damaged(f, t, lambda d: d[:-1000])}",
                       f"out_dir={t / 'q'}", "methods=[int8]"], 2,
         r"ckpt/model.safetensors: truncated or corrupt safetensors file \(its header describes \d+ bytes, "
         r"the file holds \d+\)"),
    Case("ckpt-weights-header-garbage", SAMPLE, lambda t, f: [damaged(f, t, lambda d: d[:8] + b"\xff" * 16 + d[24:])], 2,
         r"ckpt/model.safetensors: corrupt safetensors file \(its header is not valid JSON\)"),
    Case("ckpt-config-not-json", SAMPLE,
         lambda t, f: [(lambda c: (write(c / "config.json", '{"hidden_size": 64,\n'), c)[1])(ckpt_copy(f, t))], 2,
         r"ckpt/config.json:2: not valid JSON"),
    Case("ckpt-final-without-tokenizer", "scripts.chat", lambda t, f: [without_tokenizer(f, t)], 2,
         r"final: no tokenizer in this directory \(none of tokenizer.json, tokenizer.model\)"),
    Case("tokenizer-dir-empty", "data_prep.pretokenize",
         lambda t, f: ["--tokenizer", (t / "tok").mkdir() or t / "tok", "--train", write(t / "a.txt", stories()),
                       "--out", t / "o"], 2, r"tok: no tokenizer in this directory"),
    Case("sft-model-with-one-more-layer", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [good_sample(f)]), f"model={ckpt_copy(f, t, num_hidden_layers=3)}"),
         2,
         r"ckpt/model.safetensors: lacks 9 tensor\(s\)"),
    Case("reward-model-heads-not-dividing-width", "stages.reward",
         lambda t, f: rm_argv(f, t, preference_dir(t, [{}])) + [f"model={ckpt_copy(f, t, num_attention_heads=3)}"], 2,
         r"ckpt/config.json: key 'num_attention_heads' \(3\) must divide 'hidden_size' \(64\)"),
    Case("ckpt-good-samples", SAMPLE, lambda t, f: [f.ckpt, "--prompt", "Once upon", "-n", "2", "--max-new-tokens", "4"],
         0, r"--- 'Once upon' \[2/2\]"),

    # --- 6: SFT and preference data contents ---
    Case("sft-samples-not-a-list", "stages.sft", lambda t, f: sft_argv(f, t, sft_pickle(f, t, {"0": good_sample(f)})), 2,
         r"train.pkl: 'samples' must be a list of samples, got dict"),
    Case("sft-empty-sample-list", "stages.sft", lambda t, f: sft_argv(f, t, sft_pickle(f, t, [])), 2,
         r"train.pkl: no samples"),
    Case("sft-string-ids", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [good_sample(f), {"input_ids": ["1", "5"], "assistant_mask": [0, 1]}])),
         2, r"train.pkl: sample 1: 'input_ids' holds str '1', not an integer token id"),
    Case("sft-negative-id", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [{"input_ids": [1, -5, 6], "assistant_mask": [0, 1, 1]}])), 2,
         r"train.pkl: sample 0: token id -5 outside the tokenizer's vocab \[0, \d+\)"),
    Case("sft-id-beyond-vocab", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [good_sample(f)] * 2 + [{"input_ids": [1, 512], "assistant_mask": [0, 1]}])),
         2, r"train.pkl: sample 2: token id 512 outside the tokenizer's vocab \[0, 5\d\d\)"),
    Case("sft-mask-shorter-than-ids", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [{"input_ids": [1, 5, 6, 7, 8], "assistant_mask": [0, 1, 1]}])), 2,
         r"train.pkl: sample 0: 'assistant_mask' has 3 values for 5 input_ids"),
    Case("sft-mask-value-not-0-1", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [{"input_ids": [1, 5, 6], "assistant_mask": [0, 2, 1]}])), 2,
         r"train.pkl: sample 0: 'assistant_mask' values must be 0 or 1"),
    Case("sft-all-masks-zero", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [{"input_ids": [1, 5, 6], "assistant_mask": [0, 0, 0]}] * 3)), 2,
         r"train.pkl: no sample has a trained token \(every assistant_mask is all zeros\)"),
    Case("sft-bad-val-file", "stages.sft",
         lambda t, f: sft_argv(f, t, sft_pickle(f, t, [good_sample(f)]),
                               f"val_data={sft_pickle(f, t, [good_sample(f), 'x'], 'val.pkl')}"), 2,
         r"val.pkl: sample 1: expected a dict with input_ids and assistant_mask, got str"),
    Case("sft-refused-then-retried", "stages.sft", sft_refused_then_retried, 0, r"final model: .*out/final",
         sft_trained, ("out/**",)),
    Case("preference-row-chosen-equals-rejected", "stages.reward",
         lambda t, f: rm_argv(f, t, preference_dir(t, [{}, {"rejected": [{"role": "assistant", "content": "Yes."}]}])), 2,
         r"pref \[train\] row 1: chosen equals rejected"),
    Case("preference-row-not-messages", "stages.dpo",
         lambda t, f: [ROOT / "recipes/dpo_tiny.yaml", f"model={f.ckpt}", f"out_dir={t / 'out'}",
                       f"data={preference_dir(t, [{}], [{'chosen': [{'role': 'user', 'content': 'Yes.'}]}])}"], 2,
         r"pref \[test\] row 0: 'chosen' must be one assistant turn"),

    # --- 7: text that is not clean UTF-8 ---
    Case("txt-undecodable-pretokenize", "data_prep.pretokenize",
         lambda t, f: ["--tokenizer", f.tok, "--train", write(t / "bad.txt", stories(2).encode() + b"bad \xff\xfe byte\n"),
                       "--out", t / "o", "--workers", "1"], 2,
         r"bad.txt:4: not UTF-8 \(undecodable byte 0xff at column 5; convert the file to UTF-8\) "
         r"\(pass --skip-bad to skip such records\)"),
    Case("txt-undecodable-skipped-and-counted", "data_prep.pretokenize",
         lambda t, f: ["--tokenizer", f.tok, "--train",
                       write(t / "bad.txt", b"good one\n\nbad \xc3\x28 one\n\n" + stories().encode()),
                       "--val", write(t / "val.txt", stories(3)), "--out", t / "o", "--workers", "1", "--skip-bad"], 0,
         r"1 bad record\(s\) skipped", skipped_one, ("o/**",)),
    Case("txt-undecodable-train-tokenizer", "data_prep.train_tokenizer",
         lambda t, f: ["--source", write(t / "bad.txt", stories(3).encode() + b"\n\xe9t\xe9\n"), "--out", t / "o"], 2,
         r"bad.txt:7: not UTF-8 \(undecodable byte 0xe9 at column 1"),
    Case("txt-undecodable-tokenizer-skip-bad", "data_prep.train_tokenizer",
         lambda t, f: ["--source", write(t / "bad.txt", stories(60).encode() + b"\n\xe9t\xe9\n"), "--out", t / "o",
                       "--vocab-size", "300", "--skip-bad"], 0, r"tokenizer: vocab \d+", tokenizer_made, ("o/**",)),
    Case("txt-nul-byte", "data_prep.pretokenize",
         lambda t, f: ["--tokenizer", f.tok, "--train", write(t / "n.txt", "fine\n\nhas a \x00 here\n"), "--out", t / "o"], 2,
         r"n.txt:3: control character U\+0000 at column 7"),
    Case("jsonl-escaped-control-char", "data_prep.train_tokenizer",
         lambda t, f: ["--source", write(t / "x.jsonl", '{"text": "ok"}\n{"text": "bell \\u0007 rings"}\n'),
                       "--out", t / "o"], 2, r"x.jsonl:2: control character U\+0007 at column 6"),
    Case("jsonl-undecodable-line", "data_prep.sft",
         lambda t, f: ["--tokenizer", f.tok, "--out", t / "o.pkl", "--source",
                       write(t / "d.jsonl", b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n')], 2,
         r"d.jsonl:1: not UTF-8 \(undecodable byte 0xe9 at column 47"),

    # --- 9: chat and sample prompts ---
    Case("sample-empty-prompt", SAMPLE, lambda t, f: [f.ckpt, "--prompt", "Hi", "--prompt", "  "], 2,
         r"--prompt 2 is empty; give the text to continue"),
    Case("sample-zero-samples", SAMPLE, lambda t, f: [f.ckpt, "-n", "0"], 2,
         r"-n/--num-samples must be at least 1, got 0"),
    Case("chat-empty-prompt", "scripts.chat", lambda t, f: [f.ckpt, "--prompt", ""], 2,
         r"--prompt is empty; give the message to answer"),
    Case("sample-no-room-for-a-prompt", SAMPLE, lambda t, f: [f.ckpt, "--max-new-tokens", "127"], 2,
         r"--max-new-tokens 127 leaves no room for a prompt in the model's context of 128 tokens"),
    Case("sample-prompt-longer-than-context", SAMPLE,
         lambda t, f: [f.ckpt, "--prompt", LONG_PROMPT, "-n", "2", "--max-new-tokens", "8"], 0, r"\[2/2\]",
         sampled_after_cut),
    Case("chat-prompt-longer-than-context", "scripts.chat",
         lambda t, f: [f.ckpt, "--prompt", LONG_PROMPT, "--max-new-tokens", "8", "--temperature", "0"], 0,
         r"were cut to fit", chat_cut),
]


def run(argv_with_module) -> tuple[int, str]:
    module, argv = argv_with_module
    return run_in_process(module, argv)[::2]


def test_the_table_covers_the_four_families():
    assert len(CASES) >= 22 and len({c.id for c in CASES}) == len(CASES)
    assert {"scripts.sample", "scripts.chat", "eval.run", "stages.quantize", "stages.sft", "scripts.export_gguf",
            "data_prep.pretokenize", "data_prep.train_tokenizer"} <= {c.module for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_input(case, fx, tmp_path, capsys):
    argv = case.argv(tmp_path, fx)
    capsys.readouterr()
    before = tree_hashes(tmp_path, fx.tok, fx.ckpt)
    code, out, err = run_in_process(case.module, argv)
    after = tree_hashes(tmp_path, fx.tok, fx.ckpt)
    assert "Traceback" not in err and "Traceback" not in out
    assert code == case.code, (out, err)
    changed = [p for p in before if after.get(p) != before[p]]
    assert not changed, f"files that existed before were changed or removed: {changed}"
    created = [p for p in after if p not in before]
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert re.search(case.message, lines[0]), lines[0]
        assert "sentencepiece" not in lines[0] and "cannot load tokenizer" not in lines[0]
        assert not created, f"a refused run left {created}"
    else:
        assert re.search(case.message, out + err), (out, err)
        if case.check:
            case.check(tmp_path, out, err)
        allowed = [p for p in created if any(Path(p).relative_to(tmp_path).match(g) or
                                             str(Path(p).relative_to(tmp_path)).startswith(g.split("/")[0] + "/")
                                             for g in case.new)]
        assert allowed == created, f"unexpected outputs: {sorted(set(created) - set(allowed))}"
