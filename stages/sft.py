"""Supervised fine-tuning on dialogues: the loss falls only on what the assistant says.

    python -m stages.sft recipes/sft_24m.yaml [key=value ...]
    bash recipes/sft_24m.sh                       # the same through the launcher
    python -m stages.sft recipes/sft_tiny.yaml lora=true lora_r=16   # LoRA instead of full fine-tuning

Reads the SFT pickles made by `data_prep.sft` (refused unless made with the model's own
tokenizer), loads the pretrained checkpoint, and trains with the shared engine (resume,
step log, atomic checkpoints, validation loss). Batching: `padded` (random batches padded to
their longest), `length_grouped` (batches of similar length, less padding) or `packed` (whole
conversations packed into rows of `pack_len` with a block-diagonal attention mask). With
`lora=true` only low-rank adapters are trained (peft); `merge=true` then folds them into the
weights so OUT_DIR/final is a plain HF checkpoint, with the adapter kept in OUT_DIR/adapter.
"""

import math
from dataclasses import dataclass

from tinyllm import patches
from tinyllm.distributed import uses_deepspeed
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.model import load_checkpoint, training_flops_per_token
from tinyllm.recipe import LoraRecipe, load_recipe, recipe_parser
from tinyllm.sft_data import PackedDataset, SFTDataset, collate_packed, load_sft, pack
from tinyllm.step_budget import resolve_steps

BATCHING = ("padded", "length_grouped", "packed")


@dataclass(kw_only=True)
class SFTRecipe(LoraRecipe):
    model: str                         # pretrained checkpoint directory (stages.pretrain's final/)
    train_data: str                    # SFT pickle from data_prep.sft
    val_data: str | None = None        # held-out SFT pickle for validation loss (none: no validation)
    epochs: float | None = None        # passes over train_data; replaces max_steps unless max_steps= is on the command line
    batching: str = "padded"           # padded, length_grouped or packed
    pack_len: int = 512                # row length in tokens when batching=packed

    POSITIVE = LoraRecipe.POSITIVE + ("pack_len",)

    def check(self) -> None:
        super().check()
        if self.batching not in BATCHING:
            raise TinyLLMError(f"recipe key 'batching' must be one of {', '.join(BATCHING)}, not '{self.batching}'")
        if self.epochs is not None and self.epochs <= 0:
            raise TinyLLMError(f"recipe key 'epochs' must be > 0, got {self.epochs}")


# A resumed run must see the same model, data, batching and adapters as the run it continues.
MUST_MATCH = ("model", "train_data", "batching", "pack_len", "batch_size", "grad_accum", "seed", "lora", "lora_r",
              "lora_alpha", "lora_targets")


def build_datasets(cfg: SFTRecipe, tok, train_samples, val_samples):
    """(train dataset, val dataset or None, collator) for the recipe's batching."""
    from transformers import DataCollatorForSeq2Seq

    if cfg.batching == "packed":
        train_ds = PackedDataset(pack(train_samples, cfg.pack_len, tok.pad_token_id))
        val_ds = PackedDataset(pack(val_samples, cfg.pack_len, tok.pad_token_id)) if val_samples else None
        return train_ds, val_ds, collate_packed
    tok.padding_side = "right"  # Llama's positions count from the left: pad on the right in training
    collator = DataCollatorForSeq2Seq(tok, padding=True, pad_to_multiple_of=8)
    return SFTDataset(train_samples), SFTDataset(val_samples) if val_samples else None, collator


def main(argv=None):
    args = recipe_parser(SFTRecipe, "Fine-tune a pretrained checkpoint on dialogues (SFT).",
                         "recipes/sft_24m.yaml").parse_args(argv)
    cfg = load_recipe(args.recipe, args.overrides, SFTRecipe)
    cfg.check()

    # Heavy imports only once the recipe is known to be good (and the patches they need applied).
    patches.apply(deepspeed=uses_deepspeed(cfg.deepspeed))
    from tinyllm.checkpoints import AtomicTrainer
    from tinyllm.driver import Stage, final_eval_loss
    from tinyllm.loss import use_chunked_loss
    from tinyllm.progress import StepLog
    from tinyllm.train_args import training_arguments

    stage = Stage("sft", cfg, MUST_MATCH)
    model, tok = load_checkpoint(cfg.model, train=True)
    if tok.chat_template is None:
        raise TinyLLMError(f"{cfg.model}: the tokenizer has no chat template (train it with data_prep.train_tokenizer)")
    train_data = load_sft(cfg.train_data, tok)
    val_data = load_sft(cfg.val_data, tok) if cfg.val_data else None
    train_ds, val_ds, collator = build_datasets(cfg, tok, train_data["samples"], val_data and val_data["samples"])
    longest = max(len(s["input_ids"]) for s in train_data["samples"])
    # RoPE has no hard limit; the config's bound only has to cover what the model now sees.
    model.config.max_position_embeddings = max(model.config.max_position_embeddings, longest, cfg.pack_len)

    n_params = model.num_parameters()
    use_chunked_loss(model, cfg.ce_chunk)
    if cfg.lora:
        from peft import get_peft_model

        model = get_peft_model(model, cfg.lora_config())
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    world = training_arguments(cfg, stage.dtype).world_size
    budget = resolve_steps(args.recipe, args.overrides, cfg.epochs, cfg.max_steps, len(train_ds),
                           cfg.batch_size * cfg.grad_accum * world)
    cfg.max_steps = budget.max_steps
    training_args = training_arguments(
        cfg, stage.dtype, include_num_input_tokens_seen="non_padding",
        train_sampling_strategy="group_by_length" if cfg.batching == "length_grouped" else "random",
        eval_strategy="steps" if cfg.eval_every and val_ds else "no",
    )
    config = model.config
    mean_len = train_data["tokens"] / len(train_data["samples"])
    attention_len = cfg.pack_len if cfg.batching == "packed" else mean_len
    flops = training_flops_per_token(n_params, config.num_hidden_layers, config.hidden_size, attention_len,
                                     n_trainable if cfg.lora else None)
    epochs = cfg.batch_size * cfg.grad_accum * world * cfg.max_steps / len(train_ds)
    rows = f"{len(train_ds):,} packed rows of {cfg.pack_len}" if cfg.batching == "packed" else f"{cfg.batching} batches"
    header = ((budget.note + "\n" if budget.note else "") + f"model {cfg.model}: {n_params / 1e6:.2f}M parameters, {n_trainable / 1e6:.3f}M trained"
              f"{f' (LoRA r={cfg.lora_r} on {len(cfg.lora_targets)} linears)' if cfg.lora else ''}, {stage.dtype} | "
              f"data: {len(train_data['samples']):,} conversations, {train_data['target_tokens']:,} target tokens of "
              f"{train_data['tokens']:,}, {rows} | {cfg.max_steps} steps = {epochs:.2f} epochs | MFU peak: {stage.peak_source}")
    trainer = stage.start(AtomicTrainer, training_args, header, StepLog(None, flops, stage.peak),
                          run_extra={"steps_from": budget.steps_from}, model=model,
                          train_dataset=train_ds, eval_dataset=val_ds, data_collator=collator, processing_class=tok)
    if not stage.train():
        return 0
    val_loss = final_eval_loss(trainer) if val_ds else None
    model = stage.trained_model()

    if stage.is_main:
        report = {
            "model": cfg.model, "parameters": n_params, "trained_parameters": n_trainable, "lora": cfg.lora,
            "batching": cfg.batching, "steps": trainer.state.global_step, "steps_from": budget.steps_from,
            "tokens_seen": trainer.state.num_input_tokens_seen, "train_seconds": stage.train_seconds,
            "val_loss": val_loss, "val_ppl": math.exp(val_loss) if val_loss is not None else None, "dtype": stage.dtype,
        }
        what = stage.finish(model, tok, report, cfg.lora, cfg.merge)
        if val_loss is not None:
            print(f"\nvalidation loss on assistant tokens {val_loss:.4f} (perplexity {math.exp(val_loss):.2f})")
        print(f"{what}: {stage.out_dir / 'final'} | chat: python -m scripts.chat {stage.out_dir / 'final'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
