"""Pretrain a Llama-architecture model on memmapped token shards.

    python -m stages.pretrain recipes/ptm_24m.yaml [key=value ...]
    bash recipes/ptm_24m.sh                       # the same through the launcher

Reads the recipe, opens the shards (checking them against the tokenizer), builds the model,
trains with the shared engine (transformers Trainer: AdamW, cosine schedule with warm-up,
clipping, accumulation, validation, atomic checkpoints, TensorBoard), then saves a plain HF
checkpoint in OUT_DIR/final and prints validation perplexity beside the unigram baseline.
"""

import math
from dataclasses import dataclass

from tinyllm import patches
from tinyllm.distributed import uses_deepspeed
from tinyllm.errors import run_cli
from tinyllm.metrics import unigram_cross_entropy
from tinyllm.model import build_model, count_params, flops_per_token, get_size
from tinyllm.recipe import TrainRecipe, load_recipe, recipe_parser
from tinyllm.shards import TokenStream, WindowDataset, check_tokenizer, evenly_spaced, read_meta
from tinyllm.tokenizer import load_tokenizer


@dataclass(kw_only=True)
class PretrainRecipe(TrainRecipe):
    data_dir: str                      # output of data_prep.pretokenize
    tokenizer: str | None = None       # default: the tokenizer named in data_dir/meta.json
    size: str = "tiny"                 # tiny, 9m, 24m, 58m, 134m, 256m
    seq_len: int = 256
    eval_windows: int = 256            # validation windows, evenly spaced over the val split

    POSITIVE = TrainRecipe.POSITIVE + ("seq_len", "eval_windows")


# A resumed run must see the same model, data and batch shape as the run it continues.
MUST_MATCH = ("data_dir", "tokenizer", "size", "seq_len", "batch_size", "grad_accum", "seed")


def make_model(cfg: PretrainRecipe, vocab_size: int, **special_ids):
    """The freshly initialised model the stage trains (scripts.bench times this same set-up)."""
    from tinyllm.loss import use_chunked_loss  # imports torch: kept out of --help

    model = build_model(cfg.size, vocab_size, cfg.seq_len, seed=cfg.seed, **special_ids)
    use_chunked_loss(model, cfg.ce_chunk)
    return model


def main(argv=None):
    args = recipe_parser(PretrainRecipe, "Pretrain a Llama on memmapped token shards.", "recipes/ptm_24m.yaml").parse_args(argv)
    cfg = load_recipe(args.recipe, args.overrides, PretrainRecipe)
    cfg.check()

    # Heavy imports only once the recipe is known to be good (and the patches they need applied).
    patches.apply(deepspeed=uses_deepspeed(cfg.deepspeed))
    import numpy as np

    from tinyllm.checkpoints import AtomicTrainer
    from tinyllm.driver import Stage, final_eval_loss
    from tinyllm.progress import StepLog
    from tinyllm.train_args import training_arguments

    get_size(cfg.size)
    stage = Stage("pretrain", cfg, MUST_MATCH)
    meta = read_meta(cfg.data_dir)
    cfg.tokenizer = cfg.tokenizer or meta.get("tokenizer")
    tok = load_tokenizer(cfg.tokenizer)
    check_tokenizer(meta, cfg.data_dir, tok)
    train_stream = TokenStream(cfg.data_dir, "train", meta)
    val_stream = TokenStream(cfg.data_dir, "val", meta)
    train_ds = WindowDataset(train_stream, cfg.seq_len, split_name="train")
    val_probe = WindowDataset(val_stream, cfg.seq_len, split_name="val")
    val_ds = WindowDataset(val_stream, cfg.seq_len, evenly_spaced(val_probe.n_windows, cfg.eval_windows), "val")

    model = make_model(cfg, len(tok), bos_id=tok.bos_token_id, eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)
    training_args = training_arguments(cfg, stage.dtype)
    # World size and rank come from the Trainer's arguments, which read the launcher's environment.
    tokens_per_step = cfg.batch_size * cfg.grad_accum * cfg.seq_len * training_args.world_size
    n_params = count_params(cfg.size, len(tok))
    epochs = tokens_per_step * cfg.max_steps / len(train_stream)
    header = (f"model {cfg.size}: {n_params / 1e6:.2f}M parameters, vocab {len(tok)}, seq_len {cfg.seq_len}, {stage.dtype} | "
              f"data: {len(train_stream):,} train tokens ({train_ds.n_windows:,} windows), {len(val_ds)} val windows | "
              f"{tokens_per_step:,} tokens/step, {cfg.max_steps} steps = {epochs:.2f} epochs | MFU peak: {stage.peak_source}")
    trainer = stage.start(AtomicTrainer, training_args, header,
                          StepLog(tokens_per_step, flops_per_token(cfg.size, len(tok), cfg.seq_len), stage.peak),
                          model=model, train_dataset=train_ds, eval_dataset=val_ds, processing_class=tok)
    if not stage.train():
        return 0
    val_loss = final_eval_loss(trainer)
    model = stage.trained_model()

    if stage.is_main:
        out_dir = stage.out_dir
        targets = np.concatenate([val_ds[i]["labels"].numpy() for i in range(len(val_ds))])
        unigram = unigram_cross_entropy(train_stream, targets, len(tok))
        report = {
            "size": cfg.size, "parameters": n_params, "vocab_size": len(tok), "steps": trainer.state.global_step,
            "tokens_seen": tokens_per_step * trainer.state.global_step, "train_seconds": stage.train_seconds,
            "val_loss": val_loss, "val_ppl": math.exp(val_loss), "val_measured_on": f"{len(val_ds)} windows of {cfg.seq_len} tokens",
            "unigram_val_loss": unigram,
            "unigram_val_ppl": math.exp(unigram), "dtype": stage.dtype,
        }
        stage.finish(model, tok, report)
        # Named for what it measured: eval.run's perplexity scores each document whole from its start,
        # so the two numbers differ for the same text (fewer tokens of context on average there).
        print(f"\nvalidation perplexity over {len(val_ds)} windows of {cfg.seq_len} tokens {report['val_ppl']:.2f} "
              f"(loss {val_loss:.4f}) vs unigram baseline {report['unigram_val_ppl']:.2f} (loss {unigram:.4f}); "
              f"eval.run's ppl is per document, from each document's start, and differs")
        print(f"final model: {out_dir / 'final'} | loss curve: {out_dir / 'loss_curve.png'} | "
              f"TensorBoard: tensorboard --logdir {out_dir / 'runs'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
