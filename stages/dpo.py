"""Align an SFT model with preference pairs by DPO (TRL's DPOTrainer).

    python -m stages.dpo recipes/dpo_24m.yaml [key=value ...]
    bash recipes/dpo_24m.sh                       # the same through the launcher
    python -m stages.dpo recipes/dpo_tiny.yaml lora=true          # LoRA: the reference is the base, adapter off
    python -m stages.dpo recipes/dpo_tiny.yaml precompute_ref=true  # reference log-probs once, before training

The policy starts from the SFT checkpoint. The reference is the frozen SFT model: a second copy
in memory, or none at all with `precompute_ref=true` (its log-probs are computed once, before
training, and stored with the data) or with `lora=true` (the base model under a disabled
adapter is the reference). `beta` and `loss_type` (TRL's: sigmoid, ipo, hinge, robust, ...)
come from the recipe. Pairs are rendered with the tokenizer's one chat template, as in SFT.
The report holds, on the held-out pairs, the share where the model gives the chosen answer the
higher log-likelihood (preference accuracy, chance 50 %) for the SFT model and for the DPO model,
and the implicit-reward accuracy (k of n pairs) and margin. final/ is a plain HF checkpoint (LoRA merged).
"""

from dataclasses import dataclass

from tinyllm import patches
from tinyllm.distributed import uses_deepspeed
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.model import load_checkpoint, training_flops_per_token
from tinyllm.preference import (
    first_pairs,
    flipped_pairs,
    implicit_reward_accuracy,
    length_census,
    load_preferences,
    preference_accuracy,
)
from tinyllm.recipe import LoraRecipe, load_recipe, recipe_parser

# TRL 1.16's pairwise losses that need no further keys (exo_pair needs label smoothing, aot sorts the batch).
LOSS_TYPES = ("sigmoid", "hinge", "ipo", "nca_pair", "robust", "bco_pair", "sppo_hard", "apo_zero", "apo_down",
              "discopop", "sigmoid_norm")


@dataclass(kw_only=True)
class DPORecipe(LoraRecipe):
    model: str                         # SFT checkpoint: the policy's start and the reference
    data: str                          # preference dataset from data_prep.preference (train + test)
    beta: float = 0.1                  # strength of the pull towards the reference
    loss_type: str = "sigmoid"         # TRL loss: sigmoid (DPO), ipo, hinge, robust, ...
    sft_weight: float = 0.0            # add this times the chosen answers' NLL (TRL's "sft" loss, as in RPO)
    precompute_ref: bool = False       # reference log-probs computed once before training (no reference copy)
    max_length: int = 1024             # prompt + answer tokens kept (longer ones are cut at the end)
    eval_pairs: int | None = None      # held-out pairs for the report (default: all)
    train_pairs: int | None = None     # train on the first N training pairs only (default: all)

    POSITIVE = LoraRecipe.POSITIVE + ("max_length",)

    def check(self) -> None:
        super().check()
        if self.beta <= 0:
            raise TinyLLMError(f"recipe key 'beta' must be > 0, got {self.beta}")
        if self.sft_weight < 0:
            raise TinyLLMError(f"recipe key 'sft_weight' must be >= 0, got {self.sft_weight}")
        if self.loss_type not in LOSS_TYPES:
            raise TinyLLMError(f"recipe key 'loss_type' must be one of {', '.join(LOSS_TYPES)}, not '{self.loss_type}'")


# A resumed run must see the same model, data, objective and adapters as the run it continues.
MUST_MATCH = ("model", "data", "train_pairs", "beta", "loss_type", "sft_weight", "max_length", "batch_size", "grad_accum", "seed", "lora", "lora_r",
              "lora_alpha", "lora_targets")


def dpo_arguments(cfg: DPORecipe, dtype: str, **overrides):
    """The DPOConfig of a DPO recipe (scripts.bench times this same configuration)."""
    from trl import DPOConfig

    from tinyllm.train_args import training_arguments  # imports transformers: kept out of --help

    return training_arguments(
        cfg, dtype, DPOConfig, beta=cfg.beta, max_length=cfg.max_length,
        # A little NLL on the chosen answers keeps DPO from lowering the likelihood of both answers.
        loss_type=[cfg.loss_type, "sft"] if cfg.sft_weight else [cfg.loss_type],
        loss_weights=[1.0, cfg.sft_weight] if cfg.sft_weight else None,
        precompute_ref_log_probs=cfg.precompute_ref, include_num_input_tokens_seen="non_padding",
        disable_dropout=True, eval_strategy="steps" if cfg.eval_every else "no", **overrides,
    )


def main(argv=None):
    args = recipe_parser(DPORecipe, "Align an SFT model with preference pairs by DPO (TRL DPOTrainer).",
                         "recipes/dpo_24m.yaml").parse_args(argv)
    cfg = load_recipe(args.recipe, args.overrides, DPORecipe)
    cfg.check()

    # Heavy imports only once the recipe is known to be good (and the patches they need applied).
    patches.apply(deepspeed=uses_deepspeed(cfg.deepspeed), trl=True)
    from trl import DPOTrainer

    from tinyllm.checkpoints import AtomicCheckpoints
    from tinyllm.driver import Stage
    from tinyllm.progress import StepLog

    class AtomicDPOTrainer(AtomicCheckpoints, DPOTrainer):
        pass

    stage = Stage("dpo", cfg, MUST_MATCH)
    data = load_preferences(cfg.data)
    train_ds, test_ds = first_pairs(data["train"], cfg.train_pairs), data["test"]
    heldout_ds = test_ds.select(range(min(cfg.eval_pairs or len(test_ds), len(test_ds))))
    heldout = list(heldout_ds)
    # Both models are loaded before the training arguments exist: under ZeRO-3 from_pretrained would otherwise
    # partition them at load, and the SFT model's accuracy below needs whole weights. DeepSpeed partitions
    # them when training starts (TRL gives the reference its own engine: sharded under ZeRO-3, whole below).
    model, tok = load_checkpoint(cfg.model, train=True)
    if tok.chat_template is None:
        raise TinyLLMError(f"{cfg.model}: the tokenizer has no chat template (train it with data_prep.train_tokenizer)")
    model.config.max_position_embeddings = max(model.config.max_position_embeddings, cfg.max_length)
    # TRL cuts pairs longer than max_length at the end and drops those whose prompt fills it, without a word.
    census = length_census(tok, train_ds, cfg.max_length, progress=True)
    cut, dropped = len(set(census["too_long"]) - set(census["prompt_too_long"])), len(census["prompt_too_long"])
    if dropped == len(train_ds):
        raise TinyLLMError(f"{cfg.data}: every train prompt fills max_length {cfg.max_length}; raise max_length")
    # The reference: none with LoRA (base under a disabled adapter) or precomputed log-probs; else a frozen copy.
    ref_model = None if cfg.lora or cfg.precompute_ref else load_checkpoint(cfg.model)[0]
    training_args = dpo_arguments(cfg, stage.dtype)
    # Scored where training runs: the Trainer moves the model there only later, so on a GPU machine this
    # pass would otherwise run on the CPU. Its log-probs are the reference's (the SFT model's).
    model.to(training_args.device)
    model.eval()
    before = preference_accuracy(model, tok, heldout, batch_size=cfg.batch_size, max_length=cfg.max_length)
    model.train()
    n_params = model.num_parameters()
    config = model.config
    # Policy forward + backward (6N) plus the reference forward (2N) per token, unless precomputed.
    flops = training_flops_per_token(n_params, config.num_hidden_layers, config.hidden_size, cfg.max_length // 2)
    flops += 0 if cfg.precompute_ref else 2 * n_params
    pairs_per_step = cfg.batch_size * cfg.grad_accum * training_args.world_size
    reference = ("base model, adapter disabled" if cfg.lora else "precomputed log-probs" if cfg.precompute_ref
                 else "frozen copy of the SFT model")
    header = (f"DPO from {cfg.model}: {n_params / 1e6:.2f}M parameters{f', LoRA r={cfg.lora_r}' if cfg.lora else ''}, "
              f"{stage.dtype}, beta {cfg.beta}, loss {cfg.loss_type}, reference: {reference} | data: {len(train_ds):,} "
              f"train and {len(test_ds):,} held-out pairs | {cfg.max_steps} steps = "
              f"{pairs_per_step * cfg.max_steps / len(train_ds):.2f} epochs | MFU peak: {stage.peak_source}\n" +
              (f"max_length {cfg.max_length}: {cut:,} of {len(train_ds):,} train pairs cut at the end, {dropped:,} "
               f"dropped (prompt alone fills it); longest pair {census['longest']:,} tokens; held-out: "
               f"{before['truncated']} cut, {before['dropped']} left out\n" if cut or dropped else "") +
              f"SFT model: held-out preference accuracy {100 * before['preference_accuracy']:.1f}% over {before['n']} pairs")
    trainer = stage.start(AtomicDPOTrainer, training_args, header,
                          StepLog(None, flops, stage.peak, perplexity=False,
                                  extra={"rewards/accuracies": "reward acc", "rewards/margins": "margin"}),
                          run_extra={"train_pairs_truncated": cut, "train_pairs_dropped": dropped},
                          model=model, ref_model=ref_model, train_dataset=train_ds, eval_dataset=heldout_ds,
                          processing_class=tok, peft_config=cfg.lora_config() if cfg.lora else None)
    if not stage.train():
        return 0
    policy = stage.trained_model()  # on every rank: under ZeRO-3 it gathers the shards

    if stage.is_main:
        policy.eval()
        after = preference_accuracy(policy, tok, heldout, batch_size=cfg.batch_size, max_length=cfg.max_length)
        implicit = implicit_reward_accuracy(before, after, cfg.beta)  # k of n pairs, pair by pair
        won, lost = flipped_pairs(before, after)  # pairs DPO turned right, and turned wrong
        report = {
            "model": cfg.model, "parameters": n_params, "lora": cfg.lora, "beta": cfg.beta, "loss_type": cfg.loss_type,
            "steps": trainer.state.global_step, "train_pairs": len(train_ds), "train_seconds": stage.train_seconds,
            "dtype": stage.dtype, "heldout_pairs": after["n"], "max_length": cfg.max_length,
            "train_pairs_truncated": cut, "train_pairs_dropped": dropped,
            "heldout_pairs_truncated": after["truncated"], "heldout_pairs_dropped": after["dropped"],
            "sft_preference_accuracy": before["preference_accuracy"], "preference_accuracy": after["preference_accuracy"],
            "sft_mean_logp_margin": before["mean_logp_margin"], "mean_logp_margin": after["mean_logp_margin"],
            "heldout_reward_accuracy": implicit["accuracy"], "heldout_reward_correct": implicit["correct"],
            "heldout_reward_margin": implicit["mean_margin"],
            "heldout_pairs_won": won, "heldout_pairs_lost": lost,
        }
        what = stage.finish(policy, tok, report, cfg.lora, cfg.merge)
        print(f"\nheld-out preference accuracy {100 * before['preference_accuracy']:.1f}% (SFT) -> "
              f"{100 * after['preference_accuracy']:.1f}% (DPO), chance 50%; implicit reward accuracy "
              f"{implicit['correct']}/{implicit['n']}, margin {implicit['mean_margin']:.3f}")
        print(f"{what}: {stage.out_dir / 'final'} | chat: python -m scripts.chat {stage.out_dir / 'final'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
