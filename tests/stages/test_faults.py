"""Faults during training: kill -9 at any moment (also mid-checkpoint), SIGTERM / SIGINT,
non-finite losses, a disk too small or not writable. A killed or stopped run resumes and ends
exactly where the uninterrupted run ends (CPU fp32, same seed).

The CI version kills twice; the long version (`pytest -m slow tests/stages/test_faults.py`) kills
pretraining and SFT at many random points. TINYLLM_FAULT_SEED=N replays a given set of points.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import ROOT
from stages.pretrain import main as pretrain_main
from tinyllm.checkpoints import COMPLETE, STAGING, latest_checkpoint
from tinyllm.errors import TinyLLMError

STEPS = 60


def pretrain_args(data_dir, out_dir, *overrides):
    return [str(ROOT / "recipes" / "ptm_tiny.yaml"), f"data_dir={data_dir}", f"out_dir={out_dir}", "seq_len=64",
            "batch_size=8", f"max_steps={STEPS}", "save_every=10", "eval_every=0", "log_every=5", "warmup_steps=5",
            "save_total_limit=2", *overrides]


def logged_losses(run_dir, step=STEPS):
    state = json.loads((run_dir / f"checkpoint-{step}" / "trainer_state.json").read_text())
    return {h["step"]: h["loss"] for h in state["log_history"] if "loss" in h}


@pytest.fixture(scope="module")
def uninterrupted(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight") / "run"
    pretrain_main(pretrain_args(data_dir, out))
    return logged_losses(out), json.loads((out / "report.json").read_text())["val_loss"]


def fault_rng():
    seed = int(os.environ.get("TINYLLM_FAULT_SEED", time.time_ns() % 2**32))
    print(f"fault points drawn with TINYLLM_FAULT_SEED={seed}")
    return random.Random(seed)


def launch(module, args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for_step(proc, step: int, seen: list[str]) -> None:
    """Read the run's output until its step log passes `step`."""
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("step ") and "loss" in line and int(line.split()[1].split("/")[0]) >= step:
            return
    raise AssertionError("the run ended before step %d:\n%s" % (step, "".join(seen[-20:])))


def kill_mid_save(proc, out_dir, timeout=300) -> None:
    """SIGKILL the run while it writes a checkpoint (its staging directory exists)."""
    deadline = time.time() + timeout
    while not (out_dir / STAGING).exists():
        assert proc.poll() is None and time.time() < deadline, "the run ended before writing a checkpoint"
        time.sleep(0.0005)
    proc.kill()
    proc.communicate()


def kill_at_random_step(proc, rng, after: int) -> int:
    step = rng.randint(after + 1, STEPS - 5)
    wait_for_step(proc, step, [])
    proc.kill()
    proc.communicate()
    return step


def assert_resumes_exactly(data_dir, out, uninterrupted, *overrides):
    """Resume to the end: the same losses and the same final validation loss as never stopping.

    A logged loss is the mean since the previous log; after a resume at a step between two logs
    the first log averages fewer steps, so logs are compared from the first full window on.
    """
    losses, val_loss = uninterrupted
    last = latest_checkpoint(out)
    resumed_from = int(last.name.split("-")[1]) if last else 0
    pretrain_main(pretrain_args(data_dir, out, *overrides, "resume=true"))
    resumed = logged_losses(out)
    assert sorted(resumed) == sorted(losses)
    for step, loss in losses.items():
        if step - 5 >= resumed_from or step <= resumed_from:
            assert abs(resumed[step] - loss) < 1e-5, (step, resumed[step], loss)
    assert abs(json.loads((out / "report.json").read_text())["val_loss"] - val_loss) < 1e-5
    assert (out / "final" / "model.safetensors").is_file()


def test_kill_9_mid_checkpoint_and_at_a_random_step_then_resume_exactly(data_dir, tmp_path, uninterrupted):
    rng = fault_rng()
    out = tmp_path / "killed"
    kill_mid_save(launch("stages.pretrain", pretrain_args(data_dir, out)), out)
    assert (out / STAGING).exists()  # it was killed mid-save: the half-written checkpoint is in .staging
    last = latest_checkpoint(out)
    assert last is None or (last / COMPLETE).is_file()
    (out / "checkpoint-999").mkdir()  # a directory without the completeness marker is never trusted
    after = int(last.name.split("-")[1]) if last else 0
    killed_at = kill_at_random_step(launch("stages.pretrain", pretrain_args(data_dir, out, "resume=true")), rng, after)
    print(f"killed mid-save after checkpoint {after}, then at step {killed_at}; resuming from {latest_checkpoint(out)}")
    assert latest_checkpoint(out) is None or latest_checkpoint(out).name != "checkpoint-999"
    assert_resumes_exactly(data_dir, out, uninterrupted)


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(8))
def test_kill_9_many_times_long(data_dir, tmp_path, uninterrupted, round_):
    """The long version: up to 6 kills at random moments (steps or saves) before the run may finish."""
    rng = fault_rng()
    out = tmp_path / "killed"
    for _ in range(6):
        last = latest_checkpoint(out) if out.exists() else None
        after = int(last.name.split("-")[1]) if last else 0
        if after >= STEPS - 10:
            break
        proc = launch("stages.pretrain", pretrain_args(data_dir, out, "resume=true"))
        if rng.random() < 0.5:
            kill_mid_save(proc, out)
        else:
            kill_at_random_step(proc, rng, after)
    assert_resumes_exactly(data_dir, out, uninterrupted)


def test_sigterm_saves_and_exits_then_resumes_exactly(data_dir, tmp_path, uninterrupted):
    out = tmp_path / "term"
    proc = launch("stages.pretrain", pretrain_args(data_dir, out, "save_every=1000"))
    seen = []
    wait_for_step(proc, 20, seen)
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, rest
    stopped = latest_checkpoint(out)
    step = int(stopped.name.split("-")[1])
    last_logged = max(int(line.split()[1].split("/")[0]) for line in seen + rest.splitlines() if line.startswith("step "))
    assert step >= last_logged >= 20  # nothing before the signal's step is lost
    assert f"SIGTERM at step {step}: saved {out / f'checkpoint-{step}'}; continue with resume=true" in rest
    assert not (out / "final").exists()
    # save_every must match on resume (the checkpoint's trainer state keeps the interval it was saved with)
    assert_resumes_exactly(data_dir, out, uninterrupted, "save_every=1000")


def test_sigint_during_sft_saves_and_exits(pretrained, sft_data, tmp_path):
    out = tmp_path / "sft"
    proc = launch("stages.sft", [str(ROOT / "recipes" / "sft_tiny.yaml"), f"model={pretrained}",
                                 f"train_data={sft_data / 'train.pkl'}", "val_data=null", f"out_dir={out}", "batching=padded",
                                 "batch_size=4", "max_steps=200", "save_every=1000", "eval_every=0", "log_every=2"])
    wait_for_step(proc, 4, [])
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, rest
    step = int(latest_checkpoint(out).name.split("-")[1])
    assert step >= 4 and f"SIGINT at step {step}: saved" in rest and "Traceback" not in rest


@pytest.fixture
def nan_at(monkeypatch):
    """Make the training loss NaN at the given micro-batches (1-based), before its backward pass.

    Wraps the Trainer's compute_loss, which every loss goes through: the model's own forward is
    replaced per instance when the recipe sets ce_chunk (tinyllm.loss), so a class-level patch of
    LlamaForCausalLM.forward would never run."""
    import functools

    from transformers import Trainer

    original = Trainer.compute_loss
    calls = {"n": 0, "at": set()}

    @functools.wraps(original)
    def compute_loss(self, model, inputs, *args, **kwargs):
        out = original(self, model, inputs, *args, **kwargs)
        if model.training:
            calls["n"] += 1
            if calls["n"] in calls["at"]:
                return (out[0] * float("nan"), *out[1:]) if isinstance(out, tuple) else out * float("nan")
        return out

    monkeypatch.setattr(Trainer, "compute_loss", compute_loss)
    return calls["at"]


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(data_dir, tmp_path, nan_at):
    from safetensors.torch import load_file

    nan_at.add(23)
    out = tmp_path / "nan"
    with pytest.raises(TinyLLMError, match=rf"step 23: loss is nan \(not finite\); stopped before the optimizer step, "
                                           rf"the last good checkpoint is {out / 'checkpoint-20'}"):
        pretrain_main(pretrain_args(data_dir, out))
    assert latest_checkpoint(out).name == "checkpoint-20" and not (out / "final").exists()
    weights = load_file(out / "checkpoint-20" / "model.safetensors")
    assert all(torch.isfinite(w).all() for w in weights.values())


def test_bounded_bad_batches_are_skipped(data_dir, tmp_path, nan_at, capsys):
    from safetensors.torch import load_file

    nan_at.update({7, 31})
    out = tmp_path / "skip"
    pretrain_main(pretrain_args(data_dir, out, "max_bad_batches=2"))
    printed = capsys.readouterr().out
    assert "step 7: loss is nan; batch skipped (1 of max_bad_batches=2)" in printed
    assert "step 31: loss is nan; batch skipped (2 of max_bad_batches=2)" in printed
    weights = load_file(out / "final" / "model.safetensors")
    assert all(torch.isfinite(w).all() for w in weights.values())
    logged = logged_losses(out)
    assert all(loss == loss for loss in logged.values()), logged  # a skipped batch does not poison the log
    nan_at.update({67, 68, 69})  # calls in a second run: 3 bad batches where 2 are allowed
    with pytest.raises(TinyLLMError, match="step 9: loss is nan"):
        pretrain_main(pretrain_args(data_dir, tmp_path / "skip2", "max_bad_batches=2"))


def test_a_disk_too_small_or_unwritable_is_refused_before_training(data_dir, tmp_path, monkeypatch):
    import shutil

    import tinyllm.faults

    real = shutil.disk_usage
    monkeypatch.setattr(tinyllm.faults.shutil, "disk_usage", lambda p: real(p)._replace(free=200_000))
    with pytest.raises(TinyLLMError, match=r"small: 0.2 MiB free, the run needs about [\d.]+ MiB \(3 checkpoints of"):
        pretrain_main(pretrain_args(data_dir, tmp_path / "small"))
    assert not list((tmp_path / "small").glob("checkpoint-*"))
    monkeypatch.undo()
    with pytest.raises(TinyLLMError, match="tinyllm-test: cannot write the run there"):
        pretrain_main(pretrain_args(data_dir, "/sys/tinyllm-test"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(TinyLLMError, match="file: out_dir exists and is not a directory"):
        pretrain_main(pretrain_args(data_dir, tmp_path / "file"))
