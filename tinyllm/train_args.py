"""One mapping from recipe keys to the Trainer's (or a TRL config's) arguments, so every stage trains alike."""

import torch
from transformers import TrainingArguments

from tinyllm.distributed import load_deepspeed_config
from tinyllm.errors import TinyLLMError
from tinyllm.hardware import compile_enabled


def training_arguments(cfg, dtype: str, args_class=None, **stage_args):
    """The Trainer's arguments for a `tinyllm.recipe.TrainRecipe`; `stage_args` add or override.

    `args_class` is TrainingArguments by default, or a TRL config (RewardConfig, DPOConfig): those
    default to bf16 and gradient checkpointing, so both are always set here from the recipe.
    """
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
