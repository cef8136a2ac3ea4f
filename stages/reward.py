"""Train a reward model on preference pairs with TRL's RewardTrainer, and score with it.

    python -m stages.reward recipes/rm_24m.yaml [key=value ...]
    bash recipes/rm_24m.sh                        # the same through the launcher
    python -m stages.reward --score runs/rm_24m/final --data runs/pref_data      # held-out accuracy
    python -m stages.reward --score CHECKPOINT --prompt "What is 2 plus 3?" --response "2 plus 3 is 5."

The reward model is a `LlamaForSequenceClassification` with one label, initialised from the
SFT checkpoint (its transformer; the score head is new, seeded). It reads a conversation
rendered with the one chat template and scores it at its last token: `pad_token_id` is set in
the config so the head finds that token under right padding. Training uses the shared engine
(atomic checkpoints, resume, step log) on TRL's pairwise loss -log sigmoid(r_chosen - r_rejected).
The report gives held-out pairwise accuracy (chance 50 %) and mean margin; the saved checkpoint
reloads with the same scores, score head included (tested).
"""

import sys
from dataclasses import dataclass

from tinyllm import patches
from tinyllm.atomic import write_json
from tinyllm.checkpoint_check import check_config, check_tokenizer_fits, check_weights, read_config
from tinyllm.distributed import uses_deepspeed
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.model import training_flops_per_token, weights_format
from tinyllm.preference import (
    first_pairs,
    length_census,
    load_preferences,
    load_reward_model,
    reward_accuracy,
    reward_scores,
)
from tinyllm.recipe import TrainRecipe, load_recipe, recipe_parser
from tinyllm.tokenizer import load_tokenizer


@dataclass(kw_only=True)
class RewardRecipe(TrainRecipe):
    model: str                         # SFT checkpoint the reward model starts from
    data: str                          # preference dataset from data_prep.preference (train + test)
    max_length: int = 1024             # pairs longer than this (either answer) are left out
    center_rewards: float | None = None  # TRL's center_rewards_coefficient: pull scores towards 0
    eval_pairs: int | None = None      # score only the first N held-out pairs (default: all)
    train_pairs: int | None = None     # train on the first N training pairs only (default: all)

    POSITIVE = TrainRecipe.POSITIVE + ("max_length",)


# A resumed run must see the same model, data and batch shape as the run it continues.
MUST_MATCH = ("model", "data", "train_pairs", "max_length", "batch_size", "grad_accum", "seed")


def load_reward_init(checkpoint: str, seed: int):
    """The SFT checkpoint as a one-label LlamaForSequenceClassification (new score head, seeded)."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    config = read_config(checkpoint)
    check_config(config, checkpoint)
    tok = load_tokenizer(checkpoint)
    check_tokenizer_fits(config, tok, checkpoint)
    weights_format(checkpoint)
    check_weights(config, checkpoint)
    if tok.pad_token_id is None:
        raise TinyLLMError(f"{checkpoint}: the tokenizer has no pad token (the score head needs one to find the last token)")
    torch.manual_seed(seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "score.weight newly initialized": expected, it is what we train
    try:
        model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=1,
                                                                   use_safetensors=weights_format(checkpoint),
                                                                   pad_token_id=tok.pad_token_id)
    finally:
        hf_logging.set_verbosity(verbosity)
    return model, tok


def score_main(argv) -> int:
    """`--score CHECKPOINT`: held-out accuracy on a preference dataset, or the score of one reply."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m stages.reward --score",
                                     description="Score replies with a trained reward model.")
    parser.add_argument("checkpoint", help="reward model directory (stages.reward's final/)")
    parser.add_argument("--data", help="preference dataset (data_prep.preference): pairwise accuracy on its split")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, help="first N pairs only")
    parser.add_argument("--max-length", type=int, help="leave out pairs longer than this, as training did "
                        "(default: the model's max_position_embeddings)")
    parser.add_argument("--prompt", help="a user message to score a reply to")
    parser.add_argument("--response", action="append", help="an assistant reply to --prompt (repeat to compare)")
    parser.add_argument("--out", help="write the result as JSON")
    args = parser.parse_args(argv)
    if not args.data and not (args.prompt and args.response):
        parser.error("give --data, or --prompt with one or more --response")

    model, tok = load_reward_model(args.checkpoint)
    if args.data:
        pairs = list(load_preferences(args.data, args.split))[:args.limit]
        max_length = args.max_length or model.config.max_position_embeddings
        result = reward_accuracy(model, tok, pairs, progress=True, max_length=max_length)
        if not result["n"]:
            raise TinyLLMError(f"{args.data}: every {args.split} pair is longer than {max_length} tokens (--max-length)")
        print(f"{args.checkpoint}: pairwise accuracy {100 * result['accuracy']:.1f}% (chance 50%), mean margin "
              f"{result['mean_margin']:.3f} over {result['n']} {args.split} pairs of {args.data}"
              + (f" ({result['too_long']} longer than {max_length} tokens left out)" if result["too_long"] else ""))
    else:
        prompt = [{"role": "user", "content": args.prompt}]
        scores = reward_scores(model, tok, [prompt] * len(args.response),
                               [[{"role": "assistant", "content": r}] for r in args.response])
        result = {"prompt": args.prompt, "scores": dict(zip(args.response, scores))}
        for response, value in result["scores"].items():
            print(f"{value:+.4f}  {response}")
    if args.out:
        write_json(args.out, result)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--score":
        return score_main(argv[1:])
    parser = recipe_parser(RewardRecipe, "Train a reward model on preference pairs (TRL RewardTrainer). "
                           "Scoring: python -m stages.reward --score CHECKPOINT --help", "recipes/rm_24m.yaml")
    args = parser.parse_args(argv)
    cfg = load_recipe(args.recipe, args.overrides, RewardRecipe)
    cfg.check()

    # Heavy imports only once the recipe is known to be good (and the patches they need applied).
    patches.apply(deepspeed=uses_deepspeed(cfg.deepspeed))
    from trl import RewardConfig, RewardTrainer

    from tinyllm.checkpoints import AtomicCheckpoints
    from tinyllm.driver import Stage
    from tinyllm.progress import StepLog
    from tinyllm.train_args import training_arguments

    class AtomicRewardTrainer(AtomicCheckpoints, RewardTrainer):
        pass

    stage = Stage("reward", cfg, MUST_MATCH)
    data = load_preferences(cfg.data)
    train_ds, test_ds = first_pairs(data["train"], cfg.train_pairs), data["test"]
    # Loaded before the training arguments exist: under ZeRO-3 from_pretrained would otherwise partition it
    # at load, and the score head's seeded initialisation would differ from a run without ZeRO.
    model, tok = load_reward_init(cfg.model, cfg.seed)
    # TRL's reward trainer drops pairs longer than max_length without a word: leave them out here, counted.
    census = length_census(tok, train_ds, cfg.max_length, progress=True)
    read_pairs, too_long = len(train_ds), len(census["too_long"])
    if too_long:
        skip = set(census["too_long"])
        if too_long == read_pairs:
            raise TinyLLMError(f"{cfg.data}: all {read_pairs:,} train pairs are longer than max_length "
                               f"{cfg.max_length} (longest {census['longest']:,} tokens); raise max_length")
        train_ds = train_ds.select([i for i in range(read_pairs) if i not in skip])
    training_args = training_arguments(
        cfg, stage.dtype, RewardConfig, max_length=cfg.max_length, center_rewards_coefficient=cfg.center_rewards,
        include_num_input_tokens_seen="non_padding", disable_dropout=True,
        eval_strategy="steps" if cfg.eval_every else "no",
    )
    n_params = model.num_parameters()
    config = model.config
    flops = training_flops_per_token(n_params, config.num_hidden_layers, config.hidden_size, cfg.max_length // 2)
    pairs_per_step = cfg.batch_size * cfg.grad_accum * training_args.world_size
    dropped = (f" ({too_long:,} of {read_pairs:,} longer than max_length {cfg.max_length} left out, longest "
               f"{census['longest']:,} tokens)" if too_long else "")
    header = (f"reward model from {cfg.model}: {n_params / 1e6:.2f}M parameters, {stage.dtype} | data: {len(train_ds):,} "
              f"train{dropped} and {len(test_ds):,} held-out pairs | {cfg.max_steps} steps = "
              f"{pairs_per_step * cfg.max_steps / len(train_ds):.2f} epochs | MFU peak: {stage.peak_source}")
    trainer = stage.start(AtomicRewardTrainer, training_args, header,
                          StepLog(None, flops, stage.peak, perplexity=False, extra={"accuracy": "acc", "margin": "margin"}),
                          run_extra={"train_pairs_read": read_pairs, "train_pairs_too_long": too_long},
                          model=model, train_dataset=train_ds, eval_dataset=test_ds if cfg.eval_every else None,
                          processing_class=tok)
    if not stage.train():
        return 0
    model = stage.trained_model()

    if stage.is_main:
        model.eval()
        # Scored under the training's max_length, as training saw pairs; the line (and, on a terminal,
        # the bar) shows it is working.
        scored = list(test_ds)[:cfg.eval_pairs]
        print(f"scoring {len(scored):,} held-out pairs at max_length {cfg.max_length} ...", flush=True)
        held_out = reward_accuracy(model, tok, scored, batch_size=cfg.batch_size,
                                   progress=True, max_length=cfg.max_length)
        if not held_out["n"]:
            raise TinyLLMError(f"{cfg.data}: every held-out pair is longer than max_length {cfg.max_length}")
        report = {"model": cfg.model, "parameters": n_params, "steps": trainer.state.global_step,
                  "train_pairs": len(train_ds), "train_pairs_read": read_pairs, "train_pairs_too_long": too_long,
                  "max_length": cfg.max_length, "train_seconds": stage.train_seconds, "dtype": stage.dtype,
                  "heldout_pairs": held_out["n"], "heldout_pairs_too_long": held_out["too_long"],
                  "heldout_accuracy": held_out["accuracy"], "heldout_mean_margin": held_out["mean_margin"]}
        stage.finish(model, tok, report)
        print(f"\nheld-out pairwise accuracy {100 * held_out['accuracy']:.1f}% (chance 50%), mean margin "
              f"{held_out['mean_margin']:.3f} over {held_out['n']} pairs"
              + (f" ({held_out['too_long']} longer than max_length {cfg.max_length} left out)" if held_out["too_long"] else ""))
        print(f"reward model: {stage.out_dir / 'final'} | score: python -m stages.reward --score {stage.out_dir / 'final'} "
              f"--data {cfg.data}")
    return 0


if __name__ == "__main__":
    run_cli(main)
