"""The sequence every training stage runs: one start-resume-stop path, so every stage behaves the same.

A stage (stages/pretrain.py, sft.py, reward.py, dpo.py) keeps only what is particular to it: its data,
model, training arguments, header line and report. `Stage` holds the rest:

    stage = Stage("pretrain", cfg, MUST_MATCH)      # dtype, peak FLOP/s for MFU
    ...                                             # the stage's data, model, training arguments
    trainer = stage.start(AtomicTrainer, training_args, header, StepLog(...), model=model, ...)
    if not stage.train():                           # stopped early at stop_at_step
        return 0
    model = stage.trained_model()                   # every rank (ZeRO-3 gathers)
    if stage.is_main:
        stage.finish(model, tok, report)            # final/, report.json, loss_curve.png

`train` handles pre-emption, non-finite losses and a full disk (tinyllm.faults); `StopAtStep`
stops a run part-way with the schedule of max_steps intact (the recipe key stop_at_step).
"""

import dataclasses
import sys
import time
from pathlib import Path

from transformers import Trainer, TrainerCallback

from tinyllm import distributed
from tinyllm.checkpoints import checkpoint_path, save_final
from tinyllm.faults import GracefulStop, NonFiniteLoss, check_free_space
from tinyllm.hardware import device_peak_flops, resolve_dtype
from tinyllm.errors import TinyLLMError, describe_os_error
from tinyllm.progress import StepLog, plot_loss_curve, use_step_log
from tinyllm.rundir import prepare_run


class StopAtStep(TrainerCallback):
    """Save a checkpoint and stop after `step`, leaving the LR schedule of max_steps intact."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_save = True
            control.should_training_stop = True


def train(trainer: Trainer, cfg, resume_from: Path | None) -> bool:
    """Run (or resume) training; False when it stopped early at `stop_at_step`.

    SIGTERM / SIGINT save a checkpoint and exit with 128 + signal; a non-finite loss stops the
    run (or skips up to cfg.max_bad_batches batches); a disk too small is refused first
    (tinyllm.faults).
    """
    is_main = trainer.is_world_process_zero()
    if is_main:
        check_free_space(cfg.out_dir, trainer.model, cfg.save_total_limit)
    if cfg.stop_at_step:
        trainer.add_callback(StopAtStep(cfg.stop_at_step))
    stop = GracefulStop()
    trainer.add_callback(stop)
    trainer.nonfinite = NonFiniteLoss(cfg.max_bad_batches)
    if resume_from and is_main:
        print(f"resuming from {resume_from}")
    elif cfg.resume and is_main:
        print(f"resume=true but {cfg.out_dir} has no complete checkpoint yet: starting from step 0")
    try:
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    except OSError as err:  # the disk filled or went read-only mid-run: the last complete checkpoint stays
        raise TinyLLMError(describe_os_error(err, cfg.out_dir)) from None
    finally:
        # on_train_end is skipped when training raises (a NaN loss, a bad batch): give the signals back
        # anyway, or a process that goes on (a test session, a notebook) keeps ignoring SIGTERM, and so
        # do the processes it forks (multiprocessing's Pool.terminate then waits forever).
        stop.on_train_end(None, None, None)
    if stop.received is not None:
        if is_main:
            print(f"{stop.signal_name} at step {trainer.state.global_step}: saved "
                  f"{checkpoint_path(cfg.out_dir, trainer.state.global_step)}; continue with "
                  f"resume=true (or RESUME=1 with the launcher)")
        raise SystemExit(128 + stop.received)
    if trainer.state.global_step < trainer.state.max_steps:
        if is_main:
            print(f"stopped at step {trainer.state.global_step} of {trainer.state.max_steps}; continue with "
                  f"resume=true (or RESUME=1 with the launcher)")
        return False
    return True


def final_eval_loss(trainer: Trainer) -> float:
    """Validation loss at the last step, reusing the scheduled evaluation when it ran there."""
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    if evals and evals[-1]["step"] == trainer.state.global_step:
        return evals[-1]["eval_loss"]
    return trainer.evaluate()["eval_loss"]


class Stage:
    """One training stage's run: the skeleton the four training stages share (see module docstring)."""

    def __init__(self, name: str, cfg, must_match: tuple[str, ...]):
        self.name, self.cfg, self.must_match = name, cfg, must_match
        self.out_dir = Path(cfg.out_dir)
        self.dtype = resolve_dtype(cfg.dtype)
        self.peak, self.peak_source = device_peak_flops(cfg.peak_tflops)
        self.trainer = None
        self.resume_from = None
        self.train_seconds = None

    def start(self, trainer_class, training_args, header: str, step_log: StepLog, run_extra: dict | None = None,
              **trainer_kwargs) -> Trainer:
        """Print the header (main process), check and prepare out_dir, build the trainer with the step log."""
        if training_args.process_index == 0:
            print(header)
        run = dataclasses.asdict(self.cfg) | {"stage": self.name, "argv": sys.argv[1:]} | (run_extra or {})
        self.resume_from = prepare_run(training_args, self.out_dir, run, self.cfg, self.must_match)
        self.trainer = trainer_class(args=training_args, **trainer_kwargs)
        use_step_log(self.trainer, step_log)
        return self.trainer

    def train(self) -> bool:
        """Train (or resume); False when the run stopped early at stop_at_step. Times the training."""
        start = time.time()
        if not train(self.trainer, self.cfg, self.resume_from):
            return False
        self.train_seconds = round(time.time() - start, 1)
        return True

    @property
    def is_main(self) -> bool:
        return self.trainer.is_world_process_zero()

    def trained_model(self):
        """The trained model on the main process, None elsewhere; on every rank (under ZeRO-3 it gathers)."""
        return distributed.trained_model(self.trainer)

    def finish(self, model, tok, report: dict, lora: bool = False, merge: bool = True) -> str:
        """Main process: write final/ (and the adapter), report.json and loss_curve.png; return what final/ holds."""
        try:
            what = save_final(model, tok, self.out_dir, report, lora, merge)
        except OSError as err:  # final/ is written atomically: a failed save leaves no final/ that looks valid
            raise TinyLLMError(describe_os_error(err, self.out_dir / "final")) from None
        plot_loss_curve(self.trainer.state.log_history, self.out_dir / "loss_curve.png")
        return what
