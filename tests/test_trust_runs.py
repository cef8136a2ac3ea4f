"""Runs that can be trusted (issue 17, families 1-4 and 8), one table row per case:

1. ownership: overwrite deletes only a directory tinyllm made, never an input of the same command;
2. one writer per out_dir: a second process is refused naming the holder (two real processes);
3. resume verifies contents: every input fingerprint and every schedule key must match;
4. a checkpoint counts only when it verifies against its manifest; resume falls back past bad ones;
8. operating-system errors are one line naming the path and the remedy; a refusal leaves nothing behind.

Every row asserts the exit status, a one-line message naming the file or key, no traceback, and that
every file that existed before is byte-identical afterwards (a run that succeeds may change only its
own out_dir), plus, for a run that should succeed, that it did.
"""

import errno
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import LOCK_FILES, ROOT, run_in_process, tree_hashes

TINY = ["seq_len=32", "batch_size=4", "eval_every=0", "log_every=1", "eval_windows=4", "warmup_steps=1",
        "save_total_limit=3"]


def write_corpus(path, n=20):
    path.write_text("".join(json.dumps({"text": f"Story {i}: once upon a time there was a cat."}) + "\n"
                            for i in range(n)))


def pretrain_argv(data_dir, out_dir, *overrides):
    return [ROOT / "recipes" / "ptm_tiny.yaml", f"data_dir={data_dir}", f"out_dir={out_dir}", *TINY, *overrides]


def sft_argv(model, train_data, out_dir, *overrides):
    return [ROOT / "recipes" / "sft_tiny.yaml", f"model={model}", f"train_data={train_data}", "val_data=null",
            f"out_dir={out_dir}", "batching=padded", "batch_size=2", "max_steps=4", "save_every=2", "eval_every=0",
            "log_every=1", "warmup_steps=1", "save_total_limit=3", *overrides]


def launch(args, **kw):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def hold_lock(out_dir):
    """A second real process that takes out_dir's lock the way a run does, and keeps it until killed."""
    proc = launch(["-c", "import sys, time; from tinyllm.runlock import lock_out_dir; lock_out_dir(sys.argv[1]); "
                         "print('locked', flush=True); time.sleep(600)", str(out_dir)])
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
    return proc


@dataclass
class Case:
    """What a row runs and expects. `message` must appear in the one stderr line (exit 2) or in stdout (exit 0)."""
    module: str
    argv: list
    code: int
    message: str
    watch: list = field(default_factory=list)      # files and folders whose files must stay byte-identical
    changes: list = field(default_factory=list)    # under watch, but the run may write there (its own out_dir)
    check: object = None                           # callable(stdout) run after a success
    cleanup: object = None


class Ctx:
    """Paths shared by the rows: the session's data, a small finished run per kind, a tiny model."""

    def __init__(self, tmp, data_dir, tokenizer_dir, sft_data, base, two_ckpts, model, sft_base):
        self.tmp, self.data, self.tok, self.sft_data = tmp, data_dir, tokenizer_dir, sft_data
        self.base, self.two_ckpts, self.model, self.sft_base = base, two_ckpts, model, sft_base

    def copy(self, src, name):
        dst = self.tmp / name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*LOCK_FILES))
        return dst


def ok(code, out, err):
    assert code == 0, err[-2000:]


@pytest.fixture(scope="module")
def ctx(data_dir, tokenizer_dir, sft_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trust")
    base = tmp / "base"  # stopped at step 2 of 4: what the resume rows continue
    ok(*run_in_process("stages.pretrain", pretrain_argv(data_dir, base, "max_steps=4", "save_every=2", "stop_at_step=2")))
    two = tmp / "two"  # checkpoints 2 and 4 of 6: the fallback rows spoil the newest
    ok(*run_in_process("stages.pretrain", pretrain_argv(data_dir, two, "max_steps=6", "save_every=2", "stop_at_step=4")))
    model_run = tmp / "model_run"
    ok(*run_in_process("stages.pretrain", pretrain_argv(data_dir, model_run, "max_steps=2", "save_every=0")))
    sft_base = tmp / "sft_base"
    ok(*run_in_process("stages.sft", sft_argv(model_run / "final", sft_data / "train.pkl", sft_base, "stop_at_step=2")))
    return Ctx(tmp, data_dir, tokenizer_dir, sft_data, base, two, model_run / "final", sft_base)


# --- 1. ownership ------------------------------------------------------------------------------

def user_folder(c, t):
    out = t / "my_photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return Case("stages.pretrain", pretrain_argv(c.data, out, "max_steps=2", "overwrite=true"), 2,
                r"my_photos: not made by tinyllm (no .tinyllm-owned marker, holds holiday.jpg)", [out])


def out_is_data_dir(c, t):
    data = c.copy(c.data, f"{t.name}_data")
    return Case("stages.pretrain", pretrain_argv(data, data, "max_steps=2", "overwrite=true"), 2,
                f"overlaps the input data_dir={data}", [data])


def out_inside_data_dir(c, t):
    data = c.copy(c.data, f"{t.name}_data")
    return Case("stages.pretrain", pretrain_argv(data, data / "run", "max_steps=2"), 2,
                "out_dir overlaps the input data_dir", [data])


def sft_out_is_its_model(c, t):
    model = c.copy(c.model, f"{t.name}_model")
    return Case("stages.sft", sft_argv(model, c.sft_data / "train.pkl", model, "overwrite=true"), 2,
                f"overlaps the input model={model}", [model])


def sft_out_holds_its_data(c, t):
    data = t / "sft_in"
    data.mkdir()
    shutil.copy(c.sft_data / "train.pkl", data / "train.pkl")
    return Case("stages.sft", sft_argv(c.model, data / "train.pkl", data, "overwrite=true"), 2,
                "overlaps the input train_data", [data])


def overwrite_own_run(c, t):
    run = c.copy(c.base, f"{t.name}_run")

    def check(out):
        assert json.loads((run / "run.json").read_text())["max_steps"] == 2 and (run / "final").is_dir()
    return Case("stages.pretrain", pretrain_argv(c.data, run, "max_steps=2", "save_every=0", "overwrite=true"), 0,
                "validation perplexity", [run], changes=[run], check=check)


def fresh_run_in_user_folder(c, t):
    out = t / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("buy milk\n")
    return Case("stages.pretrain", pretrain_argv(c.data, out, "max_steps=2"), 2,
                "notes: not a tinyllm run directory (holds todo.txt", [out])


def pretokenize_over_user_folder(c, t):
    src = t / "in.jsonl"
    write_corpus(src)
    out = t / "shards"
    out.mkdir()
    (out / "thesis.tex").write_text("\\documentclass{article}\n")
    return Case("data_prep.pretokenize", ["--train", src, "--out", out, "--tokenizer", c.tok, "--workers", "1", "--overwrite"], 2,
                "shards: not made by tinyllm (no .tinyllm-owned marker, holds thesis.tex); --overwrite", [src, out])


def pretokenize_out_holds_input(c, t):
    folder = t / "corpus"
    folder.mkdir()
    src = folder / "in.jsonl"
    write_corpus(src)
    return Case("data_prep.pretokenize", ["--train", src, "--out", folder, "--tokenizer", c.tok, "--workers", "1", "--overwrite"],
                2, f"--out overlaps the input train={src}", [folder])


def pretokenize_over_its_own_output(c, t):
    src = t / "in.jsonl"
    write_corpus(src)
    out = t / "shards"
    from data_prep.pretokenize import pretokenize
    pretokenize([str(src)], out, c.tok, workers=1, val_fraction=0.5)
    (out / "stale.bin").write_bytes(b"old")

    def check(stdout):
        assert (out / ".tinyllm-owned").is_file() and (out / "meta.json").is_file() and not (out / "stale.bin").exists()
    return Case("data_prep.pretokenize", ["--train", src, "--out", out, "--tokenizer", c.tok, "--workers", "1", "--overwrite",
                                          "--val-fraction", "0.5"], 0, "", [src, out], changes=[out], check=check)


# --- 2. one writer per out_dir --------------------------------------------------------------------

def locked_run(c, t, *flags):
    run = c.copy(c.base, f"{t.name}_run")
    holder = hold_lock(run)
    return Case("stages.pretrain", pretrain_argv(c.data, run, "max_steps=4", "save_every=2", *flags), 2,
                f"another run is writing there (pid {holder.pid} on", [run], cleanup=holder.kill)


def lock_fresh(c, t):
    return locked_run(c, t)


def lock_resume(c, t):
    return locked_run(c, t, "resume=true")


def lock_overwrite(c, t):
    return locked_run(c, t, "overwrite=true")


def lock_keeps_staging(c, t):
    """A save in progress (.staging) under a live run is not removed by a second run."""
    case = locked_run(c, t, "resume=true")
    run = Path(case.watch[0])
    (run / ".staging" / "checkpoint-3").mkdir(parents=True)
    (run / ".staging" / "checkpoint-3" / "model.safetensors").write_bytes(b"half written")
    return case


def lock_released_when_killed(c, t):
    """kill -9 of the holder releases the lock: the next run goes ahead."""
    run = c.copy(c.base, f"{t.name}_run")
    holder = hold_lock(run)
    holder.kill()
    holder.wait()

    def check(out):
        assert (run / "final" / "model.safetensors").is_file()
    return Case("stages.pretrain", pretrain_argv(c.data, run, "max_steps=4", "save_every=2", "resume=true"), 0,
                f"resuming from {run / 'checkpoint-2'}", [run], changes=[run], check=check)


# --- 3. resume verifies contents -----------------------------------------------------------------

def resume_with(key, value, was):
    def make(c, t):
        run = c.copy(c.base, f"{t.name}_run")
        overrides = {"max_steps": "4", "save_every": "2", key: value}
        return Case("stages.pretrain", pretrain_argv(c.data, run, *(f"{k}={v}" for k, v in overrides.items()),
                                                     "resume=true"), 2,
                    f"cannot resume, '{key}' was {was} and is now {value}", [run])
    return make


def resume_after_tokenizer_changed(c, t):
    tok = c.copy(c.tok, f"{t.name}_tok")
    run = t / "run"
    ok(*run_in_process("stages.pretrain", pretrain_argv(c.data, run, f"tokenizer={tok}", "max_steps=4", "save_every=2",
                                                        "stop_at_step=2")))
    cfg = json.loads((tok / "tokenizer_config.json").read_text())
    (tok / "tokenizer_config.json").write_text(json.dumps(cfg | {"model_max_length": 77}))  # same vocab, other file
    return Case("stages.pretrain", pretrain_argv(c.data, run, f"tokenizer={tok}", "max_steps=4", "save_every=2",
                                                 "resume=true"), 2,
                "cannot resume, the contents of 'tokenizer'", [run, tok])


def resume_after_repretokenize(c, t):
    data = c.copy(c.data, f"{t.name}_data")
    run = t / "run"
    ok(*run_in_process("stages.pretrain", pretrain_argv(data, run, "max_steps=4", "save_every=2", "stop_at_step=2")))
    meta = json.loads((data / "meta.json").read_text())
    (data / "meta.json").write_text(json.dumps(meta | {"sources": ["other.jsonl"]}))
    return Case("stages.pretrain", pretrain_argv(data, run, "max_steps=4", "save_every=2", "resume=true"), 2,
                "cannot resume, the contents of 'data_dir'", [run, data])


def sft_resume_after_model_changed(c, t):
    import torch
    from safetensors.torch import load_file, save_file

    model = c.copy(c.model, f"{t.name}_model")
    run = t / "run"
    ok(*run_in_process("stages.sft", sft_argv(model, c.sft_data / "train.pkl", run, "stop_at_step=2")))
    weights = load_file(model / "model.safetensors")
    name = sorted(weights)[0]
    weights[name] = weights[name] + torch.ones_like(weights[name])
    save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    return Case("stages.sft", sft_argv(model, c.sft_data / "train.pkl", run, "resume=true"), 2,
                "cannot resume, the contents of 'model'", [run, model])


def sft_resume_after_data_changed(c, t):
    data = t / "train.pkl"
    shutil.copy(c.sft_data / "train.pkl", data)
    run = t / "run"
    ok(*run_in_process("stages.sft", sft_argv(c.model, data, run, "stop_at_step=2")))
    loaded = pickle.loads(data.read_bytes())  # our own file, written by data_prep.sft
    loaded["samples"] = loaded["samples"][:-1]
    data.write_bytes(pickle.dumps(loaded))
    return Case("stages.sft", sft_argv(c.model, data, run, "resume=true"), 2,
                "cannot resume, the contents of 'train_data'", [run, data])


def resume_applies_and_records(c, t):
    """A key the resumed run applies (grad_clip) is recorded as applied; stop_at_step dropped finishes the run."""
    run = c.copy(c.base, f"{t.name}_run")

    def check(out):
        recorded = json.loads((run / "run.json").read_text())
        assert recorded["grad_clip"] == 0.5 and recorded["stop_at_step"] is None
        assert (run / "final" / "model.safetensors").is_file()
    return Case("stages.pretrain", pretrain_argv(c.data, run, "max_steps=4", "save_every=2", "grad_clip=0.5",
                                                 "resume=true"), 0, f"resuming from {run / 'checkpoint-2'}",
                [run], changes=[run], check=check)


# --- 4. checkpoints verify against their manifest ----------------------------------------------------

def fallback(spoil, why):
    def make(c, t):
        run = c.copy(c.two_ckpts, f"{t.name}_run")
        spoil(run / "checkpoint-4")

        def check(out):
            assert f"skipping {run / 'checkpoint-4'}: {why}" in out
            state = json.loads((run / "checkpoint-6" / "trainer_state.json").read_text())
            assert state["global_step"] == 6 and (run / "final" / "model.safetensors").is_file()
        return Case("stages.pretrain", pretrain_argv(c.data, run, "max_steps=6", "save_every=2", "resume=true"), 0,
                    f"resuming from {run / 'checkpoint-2'}", [run], changes=[run], check=check)
    return make


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def no_checkpoint_verifies(c, t):
    run = c.copy(c.base, f"{t.name}_run")
    (run / "checkpoint-2" / "scheduler.pt").unlink()
    return Case("stages.pretrain", pretrain_argv(c.data, run, "max_steps=4", "save_every=2", "resume=true"), 2,
                "no checkpoint verifies against its manifest", [run])


# --- 8. operating-system errors ---------------------------------------------------------------------

def out_dir_is_a_file(c, t):
    out = t / "report.txt"
    out.write_text("mine\n")
    return Case("stages.pretrain", pretrain_argv(c.data, out, "max_steps=2"), 2,
                "report.txt: out_dir exists and is not a directory", [out])


def out_dir_read_only(c, t):
    return Case("stages.pretrain", pretrain_argv(c.data, "/proc/tinyllm-trust/run", "max_steps=2"), 2,
                "/proc/tinyllm-trust/run: cannot write the run there", [])


def disk_full_at_first_save(c, t):
    """ENOSPC while the first checkpoint is written: one line naming the file; nothing left that blocks a fresh retry."""
    out = t / "run"
    return Case("stages.pretrain", pretrain_argv(c.data, out, "max_steps=2", "save_every=1"), 2,
                "No space left on device (the disk is full: free space there or choose another output path)", [])


def pretokenize_out_under_a_file(c, t):
    src = t / "in.jsonl"
    write_corpus(src)
    blocker = t / "blocker"
    blocker.write_text("a file\n")
    return Case("data_prep.pretokenize", ["--train", src, "--out", blocker / "shards", "--tokenizer", c.tok, "--workers", "1"], 2,
                "blocker", [src, blocker])


def gguf_out_is_a_directory(c, t):
    out = t / "model.gguf"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n")
    return Case("scripts.export_gguf", [c.model, out], 2, "model.gguf", [out, c.model])


CASES = [
    ("own-user-folder-overwrite", user_folder),
    ("own-out-is-data-dir", out_is_data_dir),
    ("own-out-inside-data-dir", out_inside_data_dir),
    ("own-sft-out-is-model", sft_out_is_its_model),
    ("own-sft-out-holds-data", sft_out_holds_its_data),
    ("own-overwrite-own-run", overwrite_own_run),
    ("own-fresh-in-user-folder", fresh_run_in_user_folder),
    ("own-pretokenize-user-folder", pretokenize_over_user_folder),
    ("own-pretokenize-out-holds-input", pretokenize_out_holds_input),
    ("own-pretokenize-own-output", pretokenize_over_its_own_output),
    ("lock-fresh", lock_fresh),
    ("lock-resume", lock_resume),
    ("lock-overwrite", lock_overwrite),
    ("lock-keeps-staging", lock_keeps_staging),
    ("lock-released-by-kill", lock_released_when_killed),
    ("resume-lr", resume_with("lr", "0.1", "0.002")),
    ("resume-warmup-steps", resume_with("warmup_steps", "5", "1")),
    ("resume-save-every", resume_with("save_every", "1", "2")),
    ("resume-max-steps", resume_with("max_steps", "8", "4")),
    ("resume-min-lr-ratio", resume_with("min_lr_ratio", "0.5", "0.1")),
    ("resume-weight-decay", resume_with("weight_decay", "0.0", "0.1")),
    ("resume-beta2", resume_with("beta2", "0.99", "0.95")),
    ("resume-log-every", resume_with("log_every", "2", "1")),
    ("resume-tokenizer-contents", resume_after_tokenizer_changed),
    ("resume-shards-meta", resume_after_repretokenize),
    ("resume-sft-model-weights", sft_resume_after_model_changed),
    ("resume-sft-data", sft_resume_after_data_changed),
    ("resume-applied-key-recorded", resume_applies_and_records),
    ("ckpt-missing-optimizer", fallback(lambda ck: (ck / "optimizer.pt").unlink(), "optimizer.pt is missing")),
    ("ckpt-truncated-weights", fallback(lambda ck: truncate(ck / "model.safetensors"),
                                        "model.safetensors is ")),
    ("ckpt-none-verifies", no_checkpoint_verifies),
    ("os-out-dir-is-a-file", out_dir_is_a_file),
    ("os-out-dir-not-writable", out_dir_read_only),
    ("os-disk-full-mid-run", disk_full_at_first_save),
    ("os-out-under-a-file", pretokenize_out_under_a_file),
    ("os-export-to-a-directory", gguf_out_is_a_directory),
]


@pytest.fixture
def full_disk_at_save(request, monkeypatch):
    if request.node.callspec.params["case_id"] != "os-disk-full-mid-run":
        return
    import tinyllm.checkpoints

    def no_space(checkpoint):
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(checkpoint) / "COMPLETE"))
    monkeypatch.setattr(tinyllm.checkpoints, "write_manifest", no_space)


@pytest.mark.parametrize("case_id, make", CASES, ids=[c[0] for c in CASES])
def test_trust_row(case_id, make, ctx, tmp_path, full_disk_at_save):
    case = make(ctx, tmp_path)
    before = tree_hashes(*case.watch)
    existed = set(tree_hashes(*case.watch, locks=True))
    try:
        code, out, err = run_in_process(case.module, case.argv)
    finally:
        if case.cleanup:
            case.cleanup()
    assert "Traceback" not in err and "Traceback" not in out
    assert code == case.code, (out[-1500:], err[-1500:])
    if code:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert case.message in lines[0], lines[0]
        # a refused run adds nothing either, not even its lock files in a folder it did not make
        assert set(tree_hashes(*case.watch, locks=True)) - existed == set()
    else:
        assert case.message in out, out[-2000:]
        case.check(out) if case.check else None
    after = tree_hashes(*case.watch)
    kept = {p: h for p, h in before.items() if not any(Path(p).is_relative_to(c) for c in case.changes)}
    assert {p: after.get(p) for p in kept} == kept, "a file that existed before was changed or removed"
    if case_id == "os-disk-full-mid-run":  # nothing that looks valid and nothing that blocks a fresh retry
        run = tmp_path / "run"
        assert not list(run.glob("checkpoint-*")) and not (run / "final").exists()
        shutil.rmtree(run / ".staging", ignore_errors=True)
    if case_id == "os-out-dir-not-writable":
        assert not Path("/proc/tinyllm-trust").exists()


def test_refused_fresh_run_leaves_no_directory(ctx, tmp_path):
    """A run refused before it starts leaves no out_dir behind (a retry is not refused for another reason)."""
    data = ctx.copy(ctx.data, "refused_data")
    code, _, err = run_in_process("stages.pretrain", pretrain_argv(data, tmp_path / "new" / "run", "max_steps=2",
                                                                   "tokenizer=" + str(tmp_path / "missing")))
    assert code == 2 and "Traceback" not in err and not (tmp_path / "new" / "run").exists()


def test_failed_run_can_be_retried_fresh(ctx, tmp_path, monkeypatch):
    """A run that failed before its first checkpoint leaves run.json; a plain retry is not refused by it."""
    import tinyllm.checkpoints

    real = tinyllm.checkpoints.write_manifest
    monkeypatch.setattr(tinyllm.checkpoints, "write_manifest",
                        lambda ck: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only file system", str(ck))))
    run = tmp_path / "run"
    code, _, err = run_in_process("stages.pretrain", pretrain_argv(ctx.data, run, "max_steps=2", "save_every=1"))
    assert code == 2 and "Read-only file system (the file system is read-only" in err and "Traceback" not in err
    monkeypatch.setattr(tinyllm.checkpoints, "write_manifest", real)
    code, out, err = run_in_process("stages.pretrain", pretrain_argv(ctx.data, run, "max_steps=2", "save_every=1"))
    assert code == 0, err
    assert (run / "final" / "model.safetensors").is_file()


def test_a_live_training_process_keeps_its_out_dir(ctx, tmp_path):
    """Two real processes: a training run in a subprocess and, while it trains, this process starting a
    second run there with overwrite=true. The second is refused naming the first (its pid), the first's
    checkpoints survive, and it then stops cleanly on SIGTERM with a checkpoint that verifies."""
    from tinyllm.checkpoints import latest_checkpoint, verify_checkpoint

    run = tmp_path / "live"
    first = subprocess.Popen([sys.executable, "-m", "stages.pretrain", *map(str, pretrain_argv(
        ctx.data, run, "max_steps=100000", "save_every=3", "log_every=1000"))], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.time() + 180
        while latest_checkpoint(run) is None:
            assert first.poll() is None and time.time() < deadline, first.stderr.read()[-2000:]
            time.sleep(0.05)
        before = tree_hashes(latest_checkpoint(run))
        code, out, err = run_in_process("stages.pretrain", pretrain_argv(ctx.data, run, "max_steps=2", "overwrite=true"))
        assert code == 2 and "Traceback" not in err, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {run}: another run is writing there (pid {first.pid} on ")
        assert tree_hashes(*before) == before  # the live run's checkpoint is untouched
        first.send_signal(signal.SIGTERM)
        _, first_err = first.communicate(timeout=120)
        assert first.returncode == 128 + signal.SIGTERM, first_err[-2000:]
        assert verify_checkpoint(latest_checkpoint(run)) is None
    finally:
        first.kill()
