"""The training engine every stage shares: the transformers Trainer, plus what it lacks.

What is added here, and why:
- `AtomicCheckpoints` (and `AtomicTrainer`, the plain Trainer with it): the Trainer writes
  `checkpoint-N` in place, so a crash mid-save leaves a half-written directory that resume
  would pick up. Here each checkpoint is written under `.staging/` and renamed into place when
  complete; resume only ever sees complete ones. TRL's trainers take the same mixin.
- `StepLog`: one line per logging step with loss, lr, tokens/s and MFU (the Trainer logs a
  dict without throughput), and a progress bar.
- `prepare_out_dir`: refuse to write over a different run unless told to.
- `plot_loss_curve`: the PNG a user looks at first.
- `training_arguments` / `train` / `save_final`: one mapping from recipe keys to the Trainer's
  (or a TRL config's) arguments, one start-resume-stop sequence and one way to write `final/`,
  so every stage behaves the same.
- `load_deepspeed_config` / `trained_model`: the recipe key `deepspeed` names a ZeRO config in
  recipes/deepspeed/ (its "auto" values are filled from the same training arguments, so the two
  cannot disagree); after training under ZeRO-3, where each rank holds a shard of every weight,
  `trained_model` gathers the shards into a plain model that rank 0 can evaluate and save alone.
"""

import json
import math
import os
import shutil
import time
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import Trainer, TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints
from transformers.utils import logging as hf_logging

from tinyllm.atomic import write_json, write_text
from tinyllm.errors import TinyLLMError

STAGING = ".staging"
RUN_FILE = "run.json"
COMPLETE = "COMPLETE"  # written last into a checkpoint, before it is renamed into place
LOGS = "logs"  # the launcher tees its log here before the run starts: not part of the run itself
DEEPSPEED_DIR = Path(__file__).resolve().parents[1] / "recipes" / "deepspeed"
ZERO_CONFIGS = {"1": "zero1.json", "2": "zero2.json", "3": "zero3.json", "3_offload": "zero3_offload.json"}
# Recorded in run.json by prepare_run: a ZeRO checkpoint holds optimizer shards for one stage and one
# world size, so resuming with another is refused (runs from before these keys count as no ZeRO).
ENGINE_DEFAULTS = {"zero_stage": 0, "world_size": None}
RESUME_REASONS = {"zero_stage": " (ZeRO checkpoints only load under the stage that wrote them)",
                  "world_size": " (ZeRO optimizer shards are split over the ranks that wrote them)"}

hf_logging.disable_progress_bar()  # per-save "Writing model shards" bars would break the step log

# bf16 dense peak FLOP/s by device name, for MFU. Override with the recipe key peak_tflops.
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "GH200": 989e12, "A100": 312e12, "L40S": 362e12,
             "A10G": 70e12, "A10": 125e12, "L4": 121e12, "4090": 165e12, "3090": 71e12}


def device_peak_flops(peak_tflops: float | None) -> tuple[float | None, str]:
    """(peak FLOP/s, where it came from) for the MFU denominator; None on CPU unless given."""
    if peak_tflops:
        return peak_tflops * 1e12, f"recipe peak_tflops={peak_tflops}"
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        for key, flops in PEAK_BF16.items():
            if key in name:
                return flops, f"{name} bf16 dense {flops / 1e12:.0f} TFLOP/s"
        return None, f"{name}: peak unknown, set peak_tflops"
    return None, "CPU: no peak, set peak_tflops for MFU"


def compile_enabled(cfg) -> bool:
    """The recipe key `compile`: auto compiles on a GPU, where it pays in minutes; on a CPU the
    compile time (a minute or more per shape) outweighs what it saves on a short run."""
    return torch.cuda.is_available() if cfg.compile == "auto" else bool(cfg.compile)


def resolve_dtype(dtype: str) -> str:
    """auto -> bf16 on a GPU that has it, fp16 on other GPUs, fp32 on CPU."""
    if dtype not in ("auto", "fp32", "bf16", "fp16"):
        raise TinyLLMError(f"dtype must be auto, fp32, bf16 or fp16, not '{dtype}'")
    if dtype == "auto":
        if not torch.cuda.is_available():
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if dtype in ("bf16", "fp16") and not torch.cuda.is_available():
        raise TinyLLMError(f"dtype {dtype} needs a GPU; use fp32 (or auto) on CPU")
    return dtype


def complete_checkpoints(out_dir) -> list[Path]:
    """`checkpoint-N` directories with their completeness marker, oldest first.

    Only complete checkpoints are ever renamed out of .staging; the marker also keeps out a
    directory copied or restored by hand that lost files on the way.
    """
    out_dir = Path(out_dir)
    found = [p for p in out_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*")
             if p.is_dir() and p.name.split("-")[-1].isdigit() and (p / COMPLETE).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def latest_checkpoint(out_dir) -> Path | None:
    found = complete_checkpoints(out_dir)
    return found[-1] if found else None


def prepare_out_dir(out_dir, run: dict, resume: bool, overwrite: bool, must_match: tuple[str, ...]) -> Path | None:
    """Check `out_dir` against this run; return the checkpoint to resume from, if any.

    An existing run is refused unless `resume` (same values for the keys in `must_match`) or
    `overwrite` (everything in `out_dir` is removed first).
    """
    out_dir = Path(out_dir)
    run_file = out_dir / RUN_FILE
    if out_dir.exists() and not out_dir.is_dir():
        raise TinyLLMError(f"{out_dir}: out_dir exists and is not a directory")
    held = [p for p in out_dir.iterdir() if p.name != LOGS] if out_dir.is_dir() else []
    if held:
        if overwrite:
            for path in held:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        elif not resume:
            raise TinyLLMError(f"{out_dir}: holds an earlier run; pass resume=true to continue it or overwrite=true to replace it")
        elif run_file.is_file():
            earlier = json.loads(run_file.read_text())
            for key in must_match:
                was = earlier.get(key, ENGINE_DEFAULTS.get(key))
                if was != run.get(key):
                    raise TinyLLMError(f"{out_dir}: cannot resume, '{key}' was {was!r} and is now {run.get(key)!r}"
                                       f"{RESUME_REASONS.get(key, '')}")
        elif not complete_checkpoints(out_dir):
            raise TinyLLMError(f"{out_dir}: not a tinyllm run directory (no {RUN_FILE}); choose another out_dir")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(out_dir / STAGING, ignore_errors=True)  # a save that was cut off
        write_json(run_file, run)
    except OSError as err:
        raise TinyLLMError(f"{out_dir}: cannot write the run there ({err.strerror or err}); choose another out_dir") from None
    return latest_checkpoint(out_dir) if resume else None


class AtomicCheckpoints:
    """Mixin for a Trainer (or a TRL trainer): checkpoints appear only when complete (see module docstring)."""

    _staging_root = None
    nonfinite = None  # a tinyllm.faults.NonFiniteLoss, set by train()

    def training_step(self, model, inputs, *args, **kwargs):
        loss = super().training_step(model, inputs, *args, **kwargs)
        if self.nonfinite is not None:
            loss = self.nonfinite.check(loss, model, self.state.global_step, self.args.output_dir)
        return loss

    def _get_output_dir(self, trial):
        return self._staging_root or super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial):
        run_dir = Path(super()._get_output_dir(trial))
        self._staging_root = str(run_dir / STAGING)
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging_root = None
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        # Every rank writes into the staging directory (its RNG state; under ZeRO its optimizer and
        # model shards): the checkpoint is complete only when all of them are done.
        self.accelerator.wait_for_everyone()
        if self.args.should_save:
            write_text(run_dir / STAGING / name / COMPLETE, f"step {self.state.global_step}\n")
            final = run_dir / name
            if final.exists():  # the same step saved again (e.g. the last step): newest wins
                shutil.rmtree(final)
            os.rename(run_dir / STAGING / name, final)
            (run_dir / STAGING).rmdir()
            rotate_checkpoints(output_dir=str(run_dir), save_total_limit=self.args.save_total_limit,
                               best_model_checkpoint=self.state.best_model_checkpoint, use_mtime=False)
        self.accelerator.wait_for_everyone()


class AtomicTrainer(AtomicCheckpoints, Trainer):
    """The transformers Trainer with atomic checkpoints."""


def training_arguments(cfg, dtype: str, args_class=None, **stage_args):
    """The Trainer's arguments for a `tinyllm.recipe.TrainRecipe`; `stage_args` add or override.

    `args_class` is TrainingArguments by default, or a TRL config (RewardConfig, DPOConfig): those
    default to bf16 and gradient checkpointing, so both are always set here from the recipe.
    """
    from transformers import TrainingArguments

    on_gpu = torch.cuda.is_available()
    args = dict(
        output_dir=str(cfg.out_dir),
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.lr,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr_rate": cfg.min_lr_ratio},
        warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay,
        adam_beta1=cfg.beta1,
        adam_beta2=cfg.beta2,
        max_grad_norm=cfg.grad_clip,
        optim="adamw_torch_fused" if on_gpu else "adamw_torch",
        bf16=dtype == "bf16",
        fp16=dtype == "fp16",
        torch_compile=compile_enabled(cfg),
        use_cpu=not on_gpu,  # without it, CPU ranks under torchrun silently train alone
        eval_strategy="steps" if cfg.eval_every else "no",
        eval_steps=cfg.eval_every or None,
        save_strategy="steps",
        save_steps=cfg.save_every or cfg.max_steps,
        save_total_limit=cfg.save_total_limit or None,
        logging_steps=cfg.log_every,
        logging_nan_inf_filter=False,  # a NaN loss must show, not be smoothed over
        report_to=["tensorboard"],
        seed=cfg.seed,
        data_seed=cfg.seed,
        dataloader_num_workers=cfg.num_workers,
        dataloader_pin_memory=on_gpu,
        prediction_loss_only=True,
        disable_tqdm=True,
        remove_unused_columns=False,
        save_only_model=False,
        ddp_find_unused_parameters=False,  # every parameter is used; the search costs a graph pass a step
        activation_checkpointing=False,    # these models are small: recompute costs more than the memory saved (TRL defaults it on)
    )
    deepspeed = load_deepspeed_config(cfg.deepspeed)
    if deepspeed is not None:
        args["deepspeed"] = deepspeed
    args.update(stage_args)
    made = (args_class or TrainingArguments)(**args)
    mismatches = getattr(made, "hf_deepspeed_config", None) and made.hf_deepspeed_config.mismatches
    if mismatches:  # transformers would only raise this when training starts, as a multi-line ValueError
        raise TinyLLMError(f"recipe key 'deepspeed' ({cfg.deepspeed}): the DeepSpeed config disagrees with the recipe: "
                           + "; ".join(m.lstrip("- ") for m in mismatches) + ' (write "auto" there)')
    return made


def load_deepspeed_config(choice) -> dict | None:
    """The DeepSpeed config the recipe key `deepspeed` names, read and checked; None for no DeepSpeed.

    None, 0 or "none": no DeepSpeed; 1, 2, 3 or "3_offload": recipes/deepspeed/zero<N>.json; anything
    else is the path of a JSON config.
    """
    if choice is None or str(choice).lower() in ("0", "none", ""):
        return None
    path = DEEPSPEED_DIR / ZERO_CONFIGS[str(choice)] if str(choice) in ZERO_CONFIGS else Path(str(choice))
    if not path.is_file():
        raise TinyLLMError(f"recipe key 'deepspeed': '{choice}' is neither a ZeRO stage ({', '.join(ZERO_CONFIGS)}) "
                           f"nor a JSON file")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise TinyLLMError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    zero = config.get("zero_optimization", {}) if isinstance(config, dict) else None
    if not isinstance(zero, dict) or zero.get("stage", 0) not in (0, 1, 2, 3):
        raise TinyLLMError(f"{path}: zero_optimization.stage must be 0, 1, 2 or 3")
    if zero.get("stage") == 3 and zero.get("stage3_gather_16bit_weights_on_model_save") is not True:
        # Without it the Trainer writes checkpoints without model weights and final/ cannot be gathered.
        raise TinyLLMError(f'{path}: ZeRO-3 needs "stage3_gather_16bit_weights_on_model_save": true in zero_optimization')
    weights_only_deepspeed_loads()
    return config


def weights_only_deepspeed_loads() -> None:
    """Make DeepSpeed read its checkpoint shards with torch.load(weights_only=True).

    DeepSpeed 0.19's TorchCheckpointEngine loads them with weights_only=False, so resuming from a
    checkpoint directory someone else wrote could run any code pickled into it. Its ZeRO-1/2/3
    checkpoints need only these three DeepSpeed classes beyond tensors and containers (found with
    torch.serialization.get_unsafe_globals_in_checkpoint); anything else is refused by torch's
    weights-only unpickler.
    """
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine
    from deepspeed.runtime.fp16.loss_scaler import LossScaler
    from deepspeed.runtime.zero.config import ZeroStageEnum
    from deepspeed.utils.tensor_fragment import fragment_address

    def load(self, path: str, map_location=None):
        with torch.serialization.safe_globals([LossScaler, ZeroStageEnum, fragment_address]):
            return torch.load(path, map_location=map_location, weights_only=True)

    TorchCheckpointEngine.load = load


def zero_stage(training_args) -> int:
    """The ZeRO stage these training arguments train with (0: no DeepSpeed)."""
    plugin = getattr(training_args, "deepspeed_plugin", None)
    return plugin.zero_stage if plugin is not None else 0


def trained_model(trainer):
    """The trained model as a plain module on the main process, None on the others. Call it on every rank.

    Without ZeRO-3 that is `trainer.model` itself. Under ZeRO-3 each rank holds a shard of every weight
    and running the model takes all ranks, so the shards are gathered (a collective) into a fresh,
    unpartitioned copy on the main process, which it can then evaluate, merge and save alone.
    """
    model = trainer.model
    if zero_stage(trainer.args) != 3:
        return model if trainer.is_world_process_zero() else None
    state = trainer.accelerator.get_state_dict(trainer.model_wrapped)  # full weights on rank 0 only
    if not trainer.is_world_process_zero():
        return None
    plain = _unpartitioned_like(model, trainer.args)
    plain.load_state_dict(state, strict=True)
    return plain.to(device=trainer.args.device, dtype=next(iter(state.values())).dtype)


def _unpartitioned_like(model, training_args):
    """A freshly built model of the same class and config (and LoRA adapters), with full-size weights.

    Built with transformers' ZeRO-3 switch off: while it is on, constructors that build their parts
    through from_config (LlamaForSequenceClassification's backbone) partition them under
    deepspeed.zero.Init, a collective the other ranks never join.
    """
    from transformers.integrations.deepspeed import set_hf_deepspeed_config, unset_hf_deepspeed_config

    try:
        from peft import PeftModel, get_peft_model
    except ImportError:
        PeftModel = None
    unset_hf_deepspeed_config()
    try:
        if PeftModel is not None and isinstance(model, PeftModel):
            base = model.get_base_model()
            return get_peft_model(type(base)(base.config), model.peft_config[model.active_adapter])
        return type(model)(model.config)
    finally:
        set_hf_deepspeed_config(training_args.hf_deepspeed_config)


def train(trainer: Trainer, cfg, resume_from: Path | None) -> bool:
    """Run (or resume) training; False when it stopped early at `stop_at_step`.

    SIGTERM / SIGINT save a checkpoint and exit with 128 + signal; a non-finite loss stops the
    run (or skips up to cfg.max_bad_batches batches); a disk too small is refused first
    (tinyllm.faults).
    """
    from tinyllm.faults import GracefulStop, NonFiniteLoss, check_free_space

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
    finally:
        # on_train_end is skipped when training raises (a NaN loss, a bad batch): give the signals back
        # anyway, or a process that goes on (a test session, a notebook) keeps ignoring SIGTERM, and so
        # do the processes it forks (multiprocessing's Pool.terminate then waits forever).
        stop.on_train_end(None, None, None)
    if stop.received is not None:
        if is_main:
            print(f"{stop.signal_name} at step {trainer.state.global_step}: saved "
                  f"{Path(cfg.out_dir) / f'{PREFIX_CHECKPOINT_DIR}-{trainer.state.global_step}'}; continue with "
                  f"resume=true (or RESUME=1 with the launcher)")
        raise SystemExit(128 + stop.received)
    if trainer.state.global_step < trainer.state.max_steps:
        if is_main:
            print(f"stopped at step {trainer.state.global_step} of {trainer.state.max_steps}; continue with "
                  f"resume=true (or RESUME=1 with the launcher)")
        return False
    return True


def save_final(model, tok, out_dir, report: dict, lora: bool = False, merge: bool = True) -> str:
    """Write OUT_DIR/final (model, tokenizer, training_report.json) atomically; return what it holds.

    With `lora`, the adapter is written to OUT_DIR/adapter first and, with `merge`, folded into
    the weights so final/ is a plain HF checkpoint again. Only the model and tokenizer are saved:
    the Trainer's save_model would add a pickled training_args.bin.
    """
    from tinyllm.atomic import atomic_dir

    out_dir = Path(out_dir)
    what = "final model"
    if lora:
        with atomic_dir(out_dir / "adapter", overwrite=True) as tmp:
            model.save_pretrained(str(tmp))
            tok.save_pretrained(str(tmp))
        what = "LoRA adapter"
        if merge:
            model, what = model.merge_and_unload(), "merged model"
    with atomic_dir(out_dir / "final", overwrite=True) as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
        write_json(tmp / "training_report.json", report)
    write_json(out_dir / "report.json", report)
    return what


def final_eval_loss(trainer: Trainer) -> float:
    """Validation loss at the last step, reusing the scheduled evaluation when it ran there."""
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    if evals and evals[-1]["step"] == trainer.state.global_step:
        return evals[-1]["eval_loss"]
    return trainer.evaluate()["eval_loss"]


def prepare_run(training_args, out_dir, run: dict, cfg, must_match) -> Path | None:
    """Rank 0 checks and prepares out_dir (it may clear it); the others, on every node, wait, then only look."""
    stage = zero_stage(training_args)
    run = run | {"zero_stage": stage, "world_size": training_args.world_size}
    must_match = (*must_match, "zero_stage", *(("world_size",) if stage else ()))
    with training_args.main_process_first(local=False, desc="prepare out_dir"):
        if training_args.process_index == 0:
            return prepare_out_dir(out_dir, run, cfg.resume, cfg.overwrite, must_match)
        return latest_checkpoint(out_dir) if cfg.resume else None


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


class StopAtStep(TrainerCallback):
    """Save a checkpoint and stop after `step`, leaving the LR schedule of max_steps intact."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_save = True
            control.should_training_stop = True


def use_step_log(trainer: Trainer, step_log: StepLog) -> None:
    """Replace the Trainer's dict printer / progress bar with the one-line step log."""
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(step_log)


def plot_loss_curve(log_history: list[dict], path) -> None:
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
