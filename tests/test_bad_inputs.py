"""Hostile and broken input across every stage: one clear line, exit status 2, nothing that
looks valid left behind. Then the restricted unpickler fuzzed, and the trust rules grepped."""

import json
import pickle
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, copy_data
from tinyllm.errors import run_cli


def cli(module: str, argv: list[str], capsys) -> str:
    """Run `python -m module argv` in-process as the user does; return its one-line error."""
    import importlib

    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as exit_info:
        run_cli(main, [str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0][len("error: "):]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, *records) -> Path:
    return write(path, "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


GOOD_DIALOGUE = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}
GOOD_PAIR = {"prompt": "Q?", "chosen": "Yes.", "rejected": "No."}



def truncate_shard(data_dir, tmp):
    out = copy_data(data_dir, tmp)
    shard = sorted(out.glob("train_*.bin"))[0]
    shard.write_bytes(shard.read_bytes()[:-20])
    return out


def without_meta(data_dir, tmp):
    out = copy_data(data_dir, tmp)
    (out / "meta.json").unlink()
    return out


def pickled_weights(pretrained, tmp):
    """A checkpoint whose weights are a pickled pytorch_model.bin instead of safetensors."""
    import torch
    from safetensors.torch import load_file

    out = tmp / "bin_ckpt"
    shutil.copytree(pretrained, out)
    torch.save(load_file(out / "model.safetensors"), out / "pytorch_model.bin")
    (out / "model.safetensors").unlink()
    return out


def evil_pickle(tmp):
    class RunsACommand:
        def __reduce__(self):
            return (exec, (f"open({str(tmp / 'pwned')!r}, 'w').close()",))

    path = tmp / "evil.pkl"
    path.write_bytes(pickle.dumps({"format": "tinyllm-sft", "version": 1, "samples": [RunsACommand()]}))
    return path


def recipe(tmp, text):
    return write(tmp / "r.yaml", text)


# (id, module, argv builder(tmp, fx) -> list, expected message regex, outputs that must not exist)
CASES = [
    # --- data files ---
    ("pretokenize-missing-source", "data_prep.pretokenize",
     lambda t, f: ["--tokenizer", f.tok, "--train", t / "nope.jsonl", "--out", t / "o"], r"nope.jsonl: file not found", ["o"]),
    ("pretokenize-bad-json-line", "data_prep.pretokenize",
     lambda t, f: ["--tokenizer", f.tok, "--train", jsonl(t / "bad.jsonl", {"text": "ok"}, "{not json"), "--out", t / "o"],
     r"bad.jsonl:2: not valid JSON", ["o"]),
    ("pretokenize-no-text-field", "data_prep.pretokenize",
     lambda t, f: ["--tokenizer", f.tok, "--train", jsonl(t / "x.jsonl", {"body": "ok"}), "--out", t / "o"],
     r"x.jsonl:1: none of the fields text, story, completion, content", ["o"]),
    ("tokenizer-missing-dir", "data_prep.pretokenize",
     lambda t, f: ["--tokenizer", t / "notok", "--train", jsonl(t / "a.jsonl", {"text": "x"}), "--out", t / "o"],
     r"notok: tokenizer directory not found", ["o"]),
    ("sft-no-assistant-turn", "data_prep.sft",
     lambda t, f: ["--tokenizer", f.tok, "--source", jsonl(t / "d.jsonl", GOOD_DIALOGUE,
                                                          {"messages": [{"role": "user", "content": "hi"}]}),
                   "--out", t / "o.pkl"], r"d.jsonl:2: conversation has no assistant turn", ["o.pkl"]),
    ("sft-roles-out-of-order", "data_prep.sft",
     lambda t, f: ["--tokenizer", f.tok, "--source", jsonl(t / "d.jsonl", {"messages": [
         {"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]}), "--out", t / "o.pkl"],
     r"d.jsonl:1: roles out of order", ["o.pkl"]),
    ("sft-unknown-format", "data_prep.sft",
     lambda t, f: ["--tokenizer", f.tok, "--source", jsonl(t / "d.jsonl", {"q": "a", "a": "b"}), "--out", t / "o.pkl"],
     r"d.jsonl:1: unknown format", ["o.pkl"]),
    ("sft-all-too-long", "data_prep.sft",
     lambda t, f: ["--tokenizer", f.tok, "--source", jsonl(t / "d.jsonl", GOOD_DIALOGUE), "--out", t / "o.pkl",
                   "--max-len", "3"], r"no sample left: 1 longer than max_len 3 were dropped", ["o.pkl"]),
    ("preference-chosen-equals-rejected", "data_prep.preference",
     lambda t, f: ["--source", jsonl(t / "p.jsonl", GOOD_PAIR, {"prompt": "Q", "chosen": "A.", "rejected": "A."}),
                   "--out", t / "o"], r"p.jsonl:2: chosen equals rejected", ["o"]),
    ("preference-unparsable-transcript", "data_prep.preference",
     lambda t, f: ["--source", jsonl(t / "p.jsonl", {"chosen": "just some text", "rejected": "other text"}),
                   "--out", t / "o"], r"p.jsonl:1: unparsable transcript", ["o"]),
    ("preference-empty-field", "data_prep.preference",
     lambda t, f: ["--source", jsonl(t / "p.jsonl", {"prompt": "Q", "chosen": "A.", "rejected": ""}), "--out", t / "o"],
     r"p.jsonl:1: empty field 'rejected'", ["o"]),
    # --- token shards and SFT pickles, read by the stages ---
    ("shard-truncated", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={truncate_shard(f.data, t)}", f"out_dir={t / 'o'}"],
     r"train_000.bin: .*(not a multiple|tokens, meta.json says)", ["o"]),
    ("shard-dir-without-meta", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={without_meta(f.data, t)}", f"out_dir={t / 'o'}"],
     r"meta.json: not found; .* is not a pretokenized data directory", ["o"]),
    ("sft-pickle-runs-code", "stages.sft",
     lambda t, f: [ROOT / "recipes/sft_tiny.yaml", f"model={f.pretrained}", f"train_data={evil_pickle(t)}",
                   f"out_dir={t / 'o'}"], r"evil.pkl: refused, not a plain-data pickle \(refers to builtins.exec", ["o", "pwned"]),
    ("sft-pickle-truncated", "stages.sft",
     lambda t, f: [ROOT / "recipes/sft_tiny.yaml", f"model={f.pretrained}",
                   f"train_data={write(t / 'cut.pkl', '')}", f"out_dir={t / 'o'}"], r"cut.pkl: not a readable SFT pickle", ["o"]),
    ("sft-pickle-not-sft", "stages.sft",
     lambda t, f: [ROOT / "recipes/sft_tiny.yaml", f"model={f.pretrained}",
                   f"train_data={(t / 'l.pkl').write_bytes(pickle.dumps([1])) and t / 'l.pkl'}", f"out_dir={t / 'o'}"],
     r"l.pkl: not a tinyllm-sft file", ["o"]),
    # --- recipes and overrides ---
    ("recipe-unknown-key", "stages.pretrain",
     lambda t, f: [recipe(t, f"data_dir: {f.data}\nout_dir: {t / 'o'}\nmax_step: 5\n")],
     r"r.yaml: unknown key 'max_step' \(did you mean 'max_steps'\?\)", ["o"]),
    ("recipe-wrong-type", "stages.pretrain",
     lambda t, f: [recipe(t, f"data_dir: {f.data}\nout_dir: {t / 'o'}\nbatch_size: eight\n")],
     r"r.yaml: key 'batch_size' must be int, got str 'eight'", ["o"]),
    ("recipe-not-yaml", "stages.pretrain", lambda t, f: [recipe(t, "data_dir: [\n")], r"r.yaml:\d+: not valid YAML", []),
    ("recipe-missing-file", "stages.sft", lambda t, f: [t / "none.yaml"], r"none.yaml: recipe file not found", []),
    ("recipe-negative-batch", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}", "batch_size=0"],
     r"recipe key 'batch_size' must be >= 1, got 0", ["o"]),
    ("recipe-bf16-on-cpu", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}", "dtype=bf16"],
     r"dtype bf16 needs a GPU", ["o"]),
    ("recipe-unknown-size", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}", "size=1b"],
     r"unknown model size '1b'", ["o"]),
    ("override-without-value", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", "lr"], r"override 'lr' is not of the form key=value", []),
    ("dpo-unknown-loss", "stages.dpo",
     lambda t, f: [ROOT / "recipes/dpo_tiny.yaml", f"model={f.fine_tuned}", f"out_dir={t / 'o'}", "loss_type=kto"],
     r"recipe key 'loss_type' must be one of", ["o"]),
    ("reward-data-not-preferences", "stages.reward",
     lambda t, f: [ROOT / "recipes/rm_tiny.yaml", f"model={f.fine_tuned}", f"data={f.data}", f"out_dir={t / 'o'}"],
     r"not a preference dataset", ["o"]),
    ("seq-len-longer-than-data", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}", "seq_len=10000000"],
     r"fewer than one window of seq_len\+1 = 10000001; lower seq_len or add data", ["o"]),
    # --- CLI arguments ---
    ("chat-zero-new-tokens", "scripts.chat", lambda t, f: [f.fine_tuned, "--max-new-tokens", "0"],
     r"--max-new-tokens must be at least 1", []),
    ("sft-max-len-too-small", "data_prep.sft",
     lambda t, f: ["--tokenizer", f.tok, "--source", jsonl(t / "d.jsonl", GOOD_DIALOGUE), "--out", t / "o.pkl",
                   "--max-len", "1"], r"--max-len must be at least 2", ["o.pkl"]),
    ("preference-bad-heldout-fraction", "data_prep.preference",
     lambda t, f: ["--source", jsonl(t / "p.jsonl", GOOD_PAIR), "--out", t / "o", "--heldout-fraction", "1.5"],
     r"--heldout-fraction must be in \(0, 1\)", ["o"]),
    # --- checkpoints ---
    ("checkpoint-without-config", "scripts.sample", lambda t, f: [write(t / "empty" / "x.txt", "").parent],
     r"empty: not a checkpoint directory \(no config.json\)", []),
    ("checkpoint-pickled-weights", "scripts.sample", lambda t, f: [pickled_weights(f.pretrained, t)],
     r"bin_ckpt: holds pickled .bin weights, not safetensors; loading them needs an explicit opt-in", []),
    ("score-with-a-causal-lm", "stages.reward", lambda t, f: ["--score", f.fine_tuned, "--prompt", "Q", "--response", "A"],
     r"not a reward model \(LlamaForCausalLM\)", []),
    ("llama2c-truncated-bin", "scripts.import_llama2c",
     lambda t, f: [write(t / "m.bin", "abc"), write(t / "tok.bin", "x"), t / "o"], r"m.bin: .*(truncated|too short)", ["o"]),
    ("resume-with-other-seq-len", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={f.earlier_run}", "seq_len=64",
                   "resume=true"], r"cannot resume, 'seq_len' was 32 and is now 64", []),
    # --- DeepSpeed (recipe key deepspeed, ZERO_STAGE in the launcher) ---
    ("deepspeed-unknown-stage", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}", "deepspeed=4"],
     r"recipe key 'deepspeed': '4' is neither a ZeRO stage \(1, 2, 3, 3_offload\) nor a JSON file", ["o"]),
    ("deepspeed-config-not-json", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}",
                   "deepspeed=" + str(write(t / "ds.json", '{"zero_optimization": {"stage": 2},'))],
     r"ds.json:1: not valid JSON", ["o"]),
    ("deepspeed-config-disagrees-with-recipe", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}", "batch_size=8",
                   f"deepspeed={write(t / 'ds.json', json.dumps({'train_micro_batch_size_per_gpu': 3, 'zero_optimization': {'stage': 2}}))}"],
     r"the DeepSpeed config disagrees with the recipe: ds train_micro_batch_size_per_gpu=3 vs hf "
     r"per_device_train_batch_size=8 \(write \"auto\" there\)", ["o"]),
    ("deepspeed-zero3-without-gathered-save", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={t / 'o'}",
                   f"deepspeed={write(t / 'ds.json', json.dumps({'zero_optimization': {'stage': 3}}))}"],
     r'ds.json: ZeRO-3 needs "stage3_gather_16bit_weights_on_model_save": true', ["o"]),
    ("resume-under-zero-a-run-without", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={f.earlier_run}", "seq_len=32",
                   "batch_size=4", "deepspeed=2", "resume=true"],
     r"cannot resume, 'zero_stage' was 0 and is now 2 \(ZeRO checkpoints only load under the stage that wrote them\)",
     []),
    ("out-dir-holds-a-run", "stages.pretrain",
     lambda t, f: [ROOT / "recipes/ptm_tiny.yaml", f"data_dir={f.data}", f"out_dir={f.earlier_run}"],
     r"holds an earlier run; pass resume=true to continue it or overwrite=true", []),
]


class Fixtures:
    def __init__(self, **paths):
        self.__dict__.update(paths)


@pytest.fixture(scope="module")
def fx(tokenizer_dir, data_dir, pretrained, fine_tuned, tmp_path_factory):
    from stages.pretrain import main as pretrain_main

    earlier = tmp_path_factory.mktemp("earlier") / "run"
    pretrain_main([str(ROOT / "recipes/ptm_tiny.yaml"), f"data_dir={data_dir}", f"out_dir={earlier}", "seq_len=32",
                   "batch_size=4", "max_steps=2", "eval_every=0", "save_every=1", "log_every=1", "eval_windows=4"])
    return Fixtures(tok=tokenizer_dir, data=data_dir, pretrained=pretrained, fine_tuned=fine_tuned, earlier_run=earlier)


def test_the_table_covers_every_stage_and_enough_inputs():
    assert len(CASES) >= 25
    modules = {module for _, module, *_ in CASES}
    assert {"data_prep.pretokenize", "data_prep.sft", "data_prep.preference", "stages.pretrain", "stages.sft",
            "stages.reward", "stages.dpo", "scripts.chat", "scripts.sample"} <= modules


@pytest.mark.parametrize("case_id, module, argv, message, outputs", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_line_and_leaves_nothing(case_id, module, argv, message, outputs, fx, tmp_path,
                                                           capsys):
    err = cli(module, argv(tmp_path, fx), capsys)
    assert re.search(message, err), err
    for name in outputs:
        assert not (tmp_path / name).exists(), f"{case_id} left {name} behind"
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written atomic output either


# --- the restricted unpickler, fuzzed -----------------------------------------------------------

def test_safe_loads_round_trips_plain_data_and_refuses_globals():
    from tinyllm.sft_data import Refused, safe_loads

    data = {"a": [1, 2.5, "x", None, True, (3, 4)], "b": {"c": "\x00"}, "n": -2**70}
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        assert safe_loads(pickle.dumps(data, protocol=protocol)) == data
        if protocol >= 3:  # earlier protocols pickle bytes as a call of _codecs.encode, refused like any global
            assert safe_loads(pickle.dumps(b"\x00", protocol=protocol)) == b"\x00"
        with pytest.raises(Refused):
            safe_loads(pickle.dumps(Path("x"), protocol=protocol))



def _plain_values():
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary()
    return st.recursive(scalars, lambda inner: st.lists(inner) | st.tuples(inner, inner)
                        | st.dictionaries(st.text(), inner), max_leaves=20)


def test_fuzzed_pickles_never_run_code_or_fail_otherwise(tmp_path):
    """Thousands of crafted pickles: plain data with flipped, cut and inserted bytes, dangerous
    opcodes spliced in, and random bytes. Either plain data comes back or BadPickle is raised,
    and the marker a GLOBAL/REDUCE payload would create never appears."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tinyllm.sft_data import BadPickle, safe_loads

    marker = tmp_path / "ran"
    payloads = [pickle.dumps(obj, protocol=p) for p in range(5) for obj in (
        type("X", (), {"__reduce__": lambda self: (exec, (f"open({str(marker)!r}, 'w')",))})(),
        type("Y", (), {"__reduce__": lambda self: (__import__("os").system, (f"touch {marker}",))})())]
    evil = st.sampled_from(payloads)
    dangerous = st.sampled_from([b"c", b"\x93", b"R", b"b", b"i", b"o", b"\x81", b"\x92", b"P", b"Q", b"h", b"j"])

    def mutate(data: bytes, draw) -> bytes:
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["flip", "cut", "insert", "splice"]))
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            if kind == "flip" and data:
                data[at] = draw(st.integers(0, 255))
            elif kind == "cut":
                del data[at:at + draw(st.integers(1, 8))]
            elif kind == "insert":
                data[at:at] = draw(dangerous)
            else:
                data[at:at] = draw(evil)[2:-1]
        return bytes(data)

    @st.composite
    def crafted(draw):
        source = draw(st.sampled_from(["plain", "evil", "random"]))
        if source == "random":
            return draw(st.binary(max_size=200))
        base = draw(evil) if source == "evil" else pickle.dumps(draw(_plain_values()), protocol=draw(st.integers(0, 5)))
        return mutate(base, draw) if draw(st.booleans()) else base

    @settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(crafted())
    def check(data):
        try:
            safe_loads(data)
        except BadPickle:
            pass
        assert not marker.exists()

    check()


# --- trust --------------------------------------------------------------------------------------

SOURCES = [p for d in ("tinyllm", "stages", "data_prep", "eval", "scripts") for p in (ROOT / d).rglob("*.py")]


def test_no_remote_code_no_unsafe_loading_anywhere():
    offenders = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for lineno, line in enumerate(text.splitlines(), 1):
            code = line.split("#")[0]
            if "trust_remote_code" in code:
                offenders.append(f"{path}:{lineno}: trust_remote_code")
            if re.search(r"\btorch\.load\(", code) and "weights_only=True" not in code:
                offenders.append(f"{path}:{lineno}: torch.load without weights_only=True")
            if re.search(r"\bpickle\.loads?\(|\bUnpickler\(", code) and path.name != "sft_data.py":
                offenders.append(f"{path}:{lineno}: unrestricted unpickling")
            if re.search(r"use_safetensors=False|safe_serialization=False", code):
                offenders.append(f"{path}:{lineno}: weights not in safetensors")
    assert not offenders, "\n".join(offenders)


def test_pickled_weights_load_only_with_the_opt_in(pretrained, tmp_path):
    import torch

    from tinyllm.model import load_checkpoint

    path = pickled_weights(pretrained, tmp_path)
    model, tok = load_checkpoint(path, allow_pickle=True)
    reference, _ = load_checkpoint(pretrained)
    ids = torch.tensor([[tok.bos_token_id, 5, 6, 7]])
    with torch.no_grad():
        torch.testing.assert_close(model(input_ids=ids).logits, reference(input_ids=ids).logits, rtol=0, atol=0)
