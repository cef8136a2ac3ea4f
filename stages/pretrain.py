"""Pretrain a Llama-architecture model on memmapped token shards.

    python -m stages.pretrain recipes/ptm_24m.yaml [key=value ...]
    bash recipes/ptm_24m.sh                       # the same through the launcher

Reads the recipe, opens the shards (checking them against the tokenizer), builds the model,
trains with the shared engine (transformers Trainer: AdamW, cosine schedule with warm-up,
clipping, accumulation, validation, atomic checkpoints, TensorBoard), then saves a plain HF
checkpoint in OUT_DIR/final and prints validation perplexity beside the unigram baseline.
"""

import argparse
import dataclasses
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tinyllm.errors import TinyLLMError, run_cli


@dataclass
class PretrainRecipe:
    data_dir: str                      # output of data_prep.pretokenize
    out_dir: str                       # checkpoints, logs, final model
    tokenizer: str | None = None       # default: the tokenizer named in data_dir/meta.json
    size: str = "tiny"                 # tiny, 9m, 24m, 58m, 134m, 256m
    seq_len: int = 256
    batch_size: int = 32               # micro-batch per device
    grad_accum: int = 1                # micro-batches per optimizer step
    max_steps: int = 1000
    lr: float = 1e-3
    min_lr_ratio: float = 0.1          # cosine decays to lr * min_lr_ratio
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    dtype: str = "auto"                # auto (bf16 on GPU, fp32 on CPU), fp32, bf16, fp16
    compile: bool = False              # torch.compile the model
    eval_every: int = 200              # validation loss every N steps (0: only at the end)
    eval_windows: int = 256            # validation windows, evenly spaced over the val split
    save_every: int = 500              # checkpoint every N steps (0: only at the end)
    save_total_limit: int = 2          # keep the newest N checkpoints
    log_every: int = 10
    seed: int = 1337                   # model init and data order
    num_workers: int = 0               # DataLoader worker processes
    stop_at_step: int | None = None    # save and stop at this step, keeping max_steps' schedule (time-boxed runs)
    resume: bool = False               # continue from the newest complete checkpoint in out_dir
    overwrite: bool = False            # replace what out_dir holds
    peak_tflops: float | None = None   # device peak for MFU (auto on known GPUs)


# A resumed run must see the same model, data and batch shape as the run it continues.
MUST_MATCH = ("data_dir", "tokenizer", "size", "seq_len", "batch_size", "grad_accum", "seed")


def _check(cfg: PretrainRecipe) -> None:
    for key in ("seq_len", "batch_size", "grad_accum", "max_steps", "log_every", "eval_windows"):
        if getattr(cfg, key) < 1:
            raise TinyLLMError(f"recipe key '{key}' must be >= 1, got {getattr(cfg, key)}")
    for key in ("eval_every", "save_every", "warmup_steps", "num_workers", "save_total_limit"):
        if getattr(cfg, key) < 0:
            raise TinyLLMError(f"recipe key '{key}' must be >= 0, got {getattr(cfg, key)}")
    if cfg.lr <= 0:
        raise TinyLLMError(f"recipe key 'lr' must be > 0, got {cfg.lr}")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Pretrain a Llama on memmapped token shards.",
        epilog="Keys (set in the YAML or as key=value): "
        + ", ".join(f.name for f in dataclasses.fields(PretrainRecipe)),
    )
    parser.add_argument("recipe", help="YAML recipe, e.g. recipes/ptm_24m.yaml")
    parser.add_argument("overrides", nargs="*", help="key=value overrides of recipe keys")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from tinyllm.recipe import load_recipe

    cfg = load_recipe(args.recipe, args.overrides, PretrainRecipe)
    _check(cfg)

    # Heavy imports only once the recipe is known to be good.
    import numpy as np
    import torch
    from transformers import TrainingArguments

    from tinyllm.atomic import atomic_dir, write_json
    from tinyllm.engine import (AtomicTrainer, StepLog, StopAtStep, device_peak_flops, latest_checkpoint,
                                plot_loss_curve, prepare_out_dir, resolve_dtype, use_step_log)
    from tinyllm.metrics import unigram_cross_entropy
    from tinyllm.model import build_model, count_params, flops_per_token, get_size
    from tinyllm.shards import TokenStream, WindowDataset, check_tokenizer, evenly_spaced, read_meta
    from tinyllm.tokenizer import load_tokenizer

    get_size(cfg.size)
    dtype = resolve_dtype(cfg.dtype)
    meta = read_meta(cfg.data_dir)
    cfg.tokenizer = cfg.tokenizer or meta.get("tokenizer")
    tok = load_tokenizer(cfg.tokenizer)
    check_tokenizer(meta, cfg.data_dir, tok)
    train_stream = TokenStream(cfg.data_dir, "train", meta)
    val_stream = TokenStream(cfg.data_dir, "val", meta)
    train_ds = WindowDataset(train_stream, cfg.seq_len, split_name="train")
    val_probe = WindowDataset(val_stream, cfg.seq_len, split_name="val")
    val_ds = WindowDataset(val_stream, cfg.seq_len, evenly_spaced(val_probe.n_windows, cfg.eval_windows), "val")

    out_dir = Path(cfg.out_dir)

    model = build_model(cfg.size, len(tok), cfg.seq_len, seed=cfg.seed, bos_id=tok.bos_token_id,
                        eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)
    training_args = TrainingArguments(
        output_dir=str(out_dir),
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
        optim="adamw_torch_fused" if torch.cuda.is_available() else "adamw_torch",
        bf16=dtype == "bf16",
        fp16=dtype == "fp16",
        torch_compile=cfg.compile,
        use_cpu=not torch.cuda.is_available(),
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
        dataloader_pin_memory=torch.cuda.is_available(),
        prediction_loss_only=True,
        disable_tqdm=True,
        remove_unused_columns=False,
        save_only_model=False,
        ddp_find_unused_parameters=False,  # every parameter is used; the search costs a graph pass a step
    )
    # World size and rank come from the Trainer's arguments, which read the launcher's environment.
    tokens_per_step = cfg.batch_size * cfg.grad_accum * cfg.seq_len * training_args.world_size
    n_params = count_params(cfg.size, len(tok))
    peak, peak_source = device_peak_flops(cfg.peak_tflops)
    is_main = training_args.process_index == 0
    if is_main:
        epochs = tokens_per_step * cfg.max_steps / len(train_stream)
        print(f"model {cfg.size}: {n_params / 1e6:.2f}M parameters, vocab {len(tok)}, seq_len {cfg.seq_len}, {dtype} | "
              f"data: {len(train_stream):,} train tokens ({train_ds.n_windows:,} windows), {len(val_ds)} val windows | "
              f"{tokens_per_step:,} tokens/step, {cfg.max_steps} steps = {epochs:.2f} epochs | MFU peak: {peak_source}")

    # Rank 0 checks and prepares out_dir (it may clear it); the others wait, then only look.
    run = dataclasses.asdict(cfg) | {"stage": "pretrain", "argv": sys.argv[1:]}
    with training_args.main_process_first(desc="prepare out_dir"):
        if is_main:
            resume_from = prepare_out_dir(out_dir, run, cfg.resume, cfg.overwrite, MUST_MATCH)
        else:
            resume_from = latest_checkpoint(out_dir) if cfg.resume else None
    trainer = AtomicTrainer(model=model, args=training_args, train_dataset=train_ds, eval_dataset=val_ds,
                            processing_class=tok)
    step_log = StepLog(tokens_per_step, flops_per_token(cfg.size, len(tok), cfg.seq_len), peak)
    use_step_log(trainer, step_log)
    if cfg.stop_at_step:
        trainer.add_callback(StopAtStep(cfg.stop_at_step))
    if resume_from and is_main:
        print(f"resuming from {resume_from}")
    elif cfg.resume and is_main:
        print(f"resume=true but {out_dir} has no complete checkpoint yet: starting from step 0")

    start = time.time()
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    train_seconds = time.time() - start
    if trainer.state.global_step < cfg.max_steps:
        if is_main:
            print(f"stopped at step {trainer.state.global_step} of {cfg.max_steps}; continue with resume=true "
                  f"(or RESUME=1 with the launcher)")
        return 0
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    at_end = evals and evals[-1]["step"] == trainer.state.global_step
    val_loss = evals[-1]["eval_loss"] if at_end else trainer.evaluate()["eval_loss"]

    if trainer.is_world_process_zero():
        targets = np.concatenate([val_ds[i]["labels"].numpy() for i in range(len(val_ds))])
        unigram = unigram_cross_entropy(train_stream, targets, len(tok))
        report = {
            "size": cfg.size, "parameters": n_params, "vocab_size": len(tok), "steps": trainer.state.global_step,
            "tokens_seen": tokens_per_step * trainer.state.global_step, "train_seconds": round(train_seconds, 1),
            "val_loss": val_loss, "val_ppl": math.exp(val_loss), "unigram_val_loss": unigram,
            "unigram_val_ppl": math.exp(unigram), "dtype": dtype,
        }
        with atomic_dir(out_dir / "final", overwrite=True) as tmp:
            # The model and tokenizer only: the Trainer's save_model adds a pickled training_args.bin.
            trainer.model.save_pretrained(str(tmp))
            tok.save_pretrained(str(tmp))
            write_json(tmp / "training_report.json", report)
        write_json(out_dir / "report.json", report)
        plot_loss_curve(trainer.state.log_history, out_dir / "loss_curve.png")
        print(f"\nvalidation perplexity {report['val_ppl']:.2f} (loss {val_loss:.4f}) vs unigram baseline "
              f"{report['unigram_val_ppl']:.2f} (loss {unigram:.4f})")
        print(f"final model: {out_dir / 'final'} | loss curve: {out_dir / 'loss_curve.png'} | "
              f"TensorBoard: tensorboard --logdir {out_dir / 'runs'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
