"""What a user watches while a run trains: one line per logging step, and the loss curve it leaves.

`StepLog` prints loss, lr, grad norm, tokens/s and MFU per logging step (the Trainer logs a dict
without throughput) above a progress bar, timing only training (not evaluation or saving);
`plot_loss_curve` writes the PNG a user looks at first.
"""

import math
import os
import time
from pathlib import Path

from tqdm import tqdm
from transformers import Trainer, TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback


class StepLog(TrainerCallback):
    """Progress bar plus one line per log: step, loss, lr, grad norm, tokens/s, MFU, eval loss.

    `tokens_per_step=None` reads the Trainer's non-padding token count instead (for batches
    whose size varies, as in SFT; needs include_num_input_tokens_seen="non_padding").
    `perplexity=False` for losses that are not a cross-entropy per token (reward model, DPO);
    `extra` maps further log keys (TRL's, e.g. "rewards/accuracies") to the labels shown.
    """

    def __init__(self, tokens_per_step: int | None, flops_per_token: float, peak_flops: float | None,
                 perplexity: bool = True, extra: dict[str, str] | None = None):
        self.tokens_per_step, self.flops_per_token, self.peak = tokens_per_step, flops_per_token, peak_flops
        self.perplexity, self.extra = perplexity, extra or {}
        self.bar = None
        self.step_seconds, self.steps_timed = 0.0, 0
        self.tokens_at_last_log = None
        self.last = None

    def _resume_clock(self):
        self.last = time.perf_counter()

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="train", unit="step", dynamic_ncols=True, disable=None)
        self.tokens_at_last_log = state.num_input_tokens_seen
        self._resume_clock()

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.step_seconds += now - self.last
        self.steps_timed += 1
        self.last = now
        if self.bar:
            self.bar.update(1)

    # Time spent evaluating or saving is not training time.
    def on_evaluate(self, args, state, control, **kwargs):
        self._resume_clock()

    def on_save(self, args, state, control, **kwargs):
        self._resume_clock()

    def throughput(self, state) -> tuple[float, float | None]:
        if not self.steps_timed:
            return 0.0, None
        if self.tokens_per_step:
            tokens = self.tokens_per_step * self.steps_timed
        else:
            tokens = state.num_input_tokens_seen - self.tokens_at_last_log
        tok_s = tokens / self.step_seconds
        mfu = tok_s * self.flops_per_token / self.peak if self.peak else None
        return tok_s, mfu

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if "loss" in logs:
            tok_s, mfu = self.throughput(state)
            self.step_seconds, self.steps_timed = 0.0, 0
            self.tokens_at_last_log = state.num_input_tokens_seen
            mfu_text = f"{100 * mfu:.1f}%" if mfu is not None else "n/a"
            line = (f"step {state.global_step}/{state.max_steps} | loss {logs['loss']:.4f} | lr {logs.get('learning_rate', 0):.2e}"
                    f" | grad norm {logs.get('grad_norm', float('nan')):.3f} | {tok_s:,.0f} tok/s | MFU {mfu_text}")
            line += "".join(f" | {label} {logs[key]:.3f}" for key, label in self.extra.items() if key in logs)
            logs["tokens_per_second"] = tok_s
            if mfu is not None:
                logs["mfu"] = mfu
        elif "eval_loss" in logs:
            line = f"step {state.global_step}/{state.max_steps} | val loss {logs['eval_loss']:.4f}"
            if self.perplexity:
                line += f" | val ppl {math.exp(min(logs['eval_loss'], 50)):.2f}"
            line += "".join(f" | val {label} {logs['eval_' + key]:.3f}" for key, label in self.extra.items()
                            if "eval_" + key in logs)
        else:
            return
        (self.bar.write if self.bar else print)(line)

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar:
            self.bar.close()


def use_step_log(trainer: Trainer, step_log: StepLog) -> None:
    """Replace the Trainer's dict printer / progress bar with the one-line step log."""
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(step_log)


def plot_loss_curve(log_history: list[dict], path) -> None:
    # Heavy third-party import, needed once at the end of a run.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(h["step"], h["loss"]) for h in log_history if "loss" in h]
    val = [(h["step"], h["eval_loss"]) for h in log_history if "eval_loss" in h]
    fig, ax = plt.subplots(figsize=(7, 4))
    if train:
        ax.plot(*zip(*train), label="train loss")
    if val:
        ax.plot(*zip(*val), marker="o", label="val loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)
