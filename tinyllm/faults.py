"""What a long run needs when things go wrong: pre-emption, non-finite losses, a full disk.

- `GracefulStop`: SIGTERM or SIGINT (a scheduler pre-empting the job, Ctrl-C) lets the current
  optimizer step finish, saves a checkpoint and stops; the stage then exits with 128 + signal
  and says how to resume. A second Ctrl-C stops at once (nothing saved since the last checkpoint).
- `check_loss`: a NaN or inf loss stops the run with a clear message, before the optimizer
  applies that step, so the last checkpoint written is a good one; with `max_bad_batches=N`
  up to N such micro-batches are skipped before the run stops. Under gradient accumulation only the
  bad micro-batch's gradients are dropped: the step keeps what its earlier micro-batches accumulated.
- `check_free_space`: refuse to start when out_dir cannot hold the checkpoints the run will
  write, naming the space needed.
Kill -9 needs nothing here: checkpoints appear atomically (tinyllm.checkpoints.AtomicCheckpoints), so
a killed run resumes from the newest complete one.
"""

import math
import shutil
import signal
from pathlib import Path

from transformers import TrainerCallback

from tinyllm.checkpoints import latest_checkpoint
from tinyllm.errors import TinyLLMError


class GracefulStop(TrainerCallback):
    """On SIGTERM / SIGINT: finish the step, save, stop (see module docstring)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.received = None
        self._previous = {}

    def _handle(self, signum, frame):
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.received = signum

    def on_train_begin(self, args, state, control, **kwargs):
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave the signals to whoever owns them
                pass

    def on_step_end(self, args, state, control, **kwargs):
        if self.received is not None:
            control.should_save = True
            control.should_training_stop = True

    def on_train_end(self, args, state, control, **kwargs):
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous = {}

    @property
    def signal_name(self) -> str | None:
        return signal.Signals(self.received).name if self.received is not None else None


class NonFiniteLoss:
    """Per-run count of skipped micro-batches, and the check applied after each backward pass."""

    def __init__(self, max_bad_batches: int):
        self.max_bad_batches = max_bad_batches
        self.skipped = 0
        self._kept = None  # (optimizer step, {parameter: gradient}) after the last good micro-batch

    def check(self, loss, model, step: int, out_dir):
        """The loss to log: `loss` when finite, 0 for a skipped batch (a NaN would stay in the
        Trainer's running loss forever); raises when the run must stop."""
        if math.isfinite(float(loss)):
            if self.skipped < self.max_bad_batches:
                # A copy of the step's gradients so far (one gradient's memory, only when skipping is allowed):
                # a later bad micro-batch of this step restores it, dropping its own NaN / inf gradients only.
                self._kept = (step, {p: p.grad.detach().clone() for p in model.parameters() if p.grad is not None})
            return loss
        if self.skipped < self.max_bad_batches:
            self.skipped += 1
            kept = self._kept[1] if self._kept is not None and self._kept[0] == step else {}
            for p in model.parameters():  # a copy: the next backward adds into it, and kept must stay clean
                p.grad = kept[p].clone() if p in kept else None  # the step's first micro-batch had nothing before
            print(f"step {step + 1}: loss is {float(loss)}; batch skipped ({self.skipped} of max_bad_batches="
                  f"{self.max_bad_batches})")
            return loss.new_zeros(())
        last = latest_checkpoint(out_dir)
        kept = f"the last good checkpoint is {last}" if last else "no checkpoint was written yet"
        raise TinyLLMError(f"step {step + 1}: loss is {float(loss)} (not finite); stopped before the optimizer step, "
                           f"{kept}. Lower lr, check the data, or allow skipping with max_bad_batches=N")


def checkpoint_bytes(model, optimizer_states: int = 2) -> int:
    """Bytes one checkpoint takes: the weights plus AdamW's two moments, all fp32, plus 5 % for the rest."""
    n = sum(p.numel() for p in model.parameters())
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return int(1.05 * 4 * (n + optimizer_states * trained))


def check_free_space(out_dir, model, keep: int) -> None:
    """Refuse a run whose checkpoints (keep + one being written + final/) do not fit in out_dir."""
    out_dir = Path(out_dir)
    per_checkpoint = checkpoint_bytes(model)
    weights = 4 * sum(p.numel() for p in model.parameters())
    needed = per_checkpoint * (max(keep, 1) + 1) + weights
    free = shutil.disk_usage(out_dir).free
    if free < needed:
        raise TinyLLMError(f"{out_dir}: {free / 2**20:,.1f} MiB free, the run needs about {needed / 2**20:,.1f} MiB "
                           f"({max(keep, 1) + 1} checkpoints of {per_checkpoint / 2**20:,.1f} MiB and the final model); "
                           f"free some space or choose another out_dir")
