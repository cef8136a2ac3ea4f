"""Online RL from an SFT (or DPO) model: GRPO or RLOO (TRL's GRPOTrainer / RLOOTrainer) on checkable rewards.

    python -m data_prep.prompts --train runs/corpus/dialogues_train.jsonl \
        --test runs/corpus/dialogues_test.jsonl --out runs/prompts     # once: the prompt set
    python -m stages.grpo recipes/grpo_24m.yaml [key=value ...]
    bash recipes/grpo_24m.sh                      # the same through the launcher
    python -m stages.grpo recipes/grpo_tiny.yaml algorithm=rloo      # RLOO instead of GRPO
    python -m stages.grpo recipes/grpo_tiny.yaml "rewards={exact: 1.0, format: 0.2}"

For each training prompt the policy samples `num_generations` replies (the tokenizer's one chat
template, `temperature`, at most `max_completion_length` tokens, stopping at <|im_end|>); each
reply is scored by the recipe's weighted rewards (tinyllm.rewards: exact answer, format, a
stages.reward model, your own function) and the policy is moved towards the replies that scored
above their group's mean, with PPO-style clipping (`epsilon`) and a KL pull towards the starting
model (`beta`, 0: no reference model). `batch_size` counts sampled replies per device, so a step
sees batch_size * grad_accum * devices / num_generations prompts.
The report holds, on the held-out prompts (greedy replies), exact match (reply equals the
reference reply), answer found (the checked answer occurs in it) and mean reward, for the
starting model and the RL model. final/ is a plain HF checkpoint.
"""

from dataclasses import dataclass, field
from pathlib import Path

from tinyllm import patches
from tinyllm.answers import contains_answer, exact_match
from tinyllm.chat import prompt_ids, reply_text
from tinyllm.distributed import uses_deepspeed
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.generate import SamplingOptions, generate, stop_ids
from tinyllm.model import load_checkpoint
from tinyllm.prompts import load_prompts
from tinyllm.recipe import TrainRecipe, load_recipe, recipe_parser
from tinyllm.rewards import build_rewards, check_weights, total_rewards
from tinyllm.tokenizer import load_tokenizer

ALGORITHMS = ("grpo", "rloo")
# GRPOTrainer's token-level losses that need no further keys (luspo / vespo / sapo need their own).
GRPO_LOSSES = ("grpo", "dapo", "dr_grpo", "bnpo", "cispo")


@dataclass(kw_only=True)
class GRPORecipe(TrainRecipe):
    model: str                         # SFT (or DPO) checkpoint: the policy's start and the KL reference
    prompts: str                       # prompt set from data_prep.prompts (train.jsonl + held-out test.jsonl)
    algorithm: str = "grpo"            # grpo (TRL GRPOTrainer) or rloo (TRL RLOOTrainer)
    loss_type: str = "dapo"            # GRPO's loss aggregation: grpo, dapo, dr_grpo, bnpo, cispo
    rewards: dict = field(default_factory=lambda: {"exact": 1.0})  # reward -> weight (tinyllm.rewards)
    reward_model: str | None = None    # stages.reward checkpoint, for the reward 'reward_model'
    reward_function: str | None = None  # package.module:function, for the reward 'custom'
    num_generations: int = 8           # replies sampled per prompt (the group whose mean is the baseline)
    beta: float = 0.0                  # KL pull towards the starting model (0: no reference model kept)
    epsilon: float = 0.2               # clipping of the probability ratio
    temperature: float = 1.0           # sampling temperature
    top_p: float = 1.0
    max_completion_length: int = 64    # reply tokens sampled (and generated for the held-out score)
    train_prompts: int | None = None   # train on the first N training prompts only (default: all)
    eval_prompts: int | None = None    # held-out prompts scored for the report (default: all)

    POSITIVE = TrainRecipe.POSITIVE + ("num_generations", "max_completion_length")

    def check(self) -> None:
        super().check()
        if self.algorithm not in ALGORITHMS:
            raise TinyLLMError(f"recipe key 'algorithm' must be one of {', '.join(ALGORITHMS)}, not '{self.algorithm}'")
        if self.algorithm == "grpo" and self.loss_type not in GRPO_LOSSES:
            raise TinyLLMError(f"recipe key 'loss_type' must be one of {', '.join(GRPO_LOSSES)}, not '{self.loss_type}'")
        if self.num_generations < 2:
            raise TinyLLMError("recipe key 'num_generations' must be >= 2 (the group's mean is the baseline)")
        if (self.batch_size * self.grad_accum) % self.num_generations:
            raise TinyLLMError(f"recipe keys batch_size * grad_accum ({self.batch_size} * {self.grad_accum}) must be a "
                               f"multiple of num_generations ({self.num_generations}): replies come in whole groups")
        for key in ("beta",):
            if getattr(self, key) < 0:
                raise TinyLLMError(f"recipe key '{key}' must be >= 0, got {getattr(self, key)}")
        for key in ("epsilon", "temperature"):
            if getattr(self, key) <= 0:
                raise TinyLLMError(f"recipe key '{key}' must be > 0, got {getattr(self, key)}")
        if not 0 < self.top_p <= 1:
            raise TinyLLMError(f"recipe key 'top_p' must be in (0, 1], got {self.top_p}")
        check_weights(self.rewards, self.reward_model, self.reward_function)


# A resumed run must see the same model, prompts, objective and sampling as the run it continues.
MUST_MATCH = ("model", "prompts", "train_prompts", "algorithm", "loss_type", "rewards", "reward_model",
              "reward_function", "num_generations", "beta", "epsilon", "temperature", "top_p", "max_completion_length",
              "batch_size", "grad_accum", "seed")


# --- what is particular to RL: prompts, rewards, the trainer's configuration, the held-out score ---

def load_prompt_sets(cfg: GRPORecipe) -> tuple[list[dict], list[dict]]:
    """(training prompts, held-out prompts), refused with file:line when `exact` lacks answers."""

    need = "exact" in cfg.rewards
    train = load_prompts(cfg.prompts, "train", need_answers=need, limit=cfg.train_prompts)
    heldout = load_prompts(cfg.prompts, "test", need_answers=need, limit=cfg.eval_prompts)
    return train, heldout


def load_rewards(cfg: GRPORecipe, tok, device=None):
    """(reward functions, weights) of the recipe; bad paths and foreign tokenizers refused here, before any write."""

    return build_rewards(cfg.rewards, tok, cfg.reward_model, cfg.reward_function, cfg.model, device)


def rl_arguments(cfg: GRPORecipe, dtype: str, reward_weights: list[float], **overrides):
    """The GRPOConfig (or RLOOConfig) of a recipe."""
    from tinyllm.train_args import training_arguments

    if cfg.algorithm == "grpo":
        from trl import GRPOConfig as Config
        specific = {"loss_type": cfg.loss_type}
    else:
        from trl import RLOOConfig as Config
        specific = {}
    return training_arguments(
        cfg, dtype, Config, num_generations=cfg.num_generations, max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature, top_p=cfg.top_p, beta=cfg.beta, epsilon=cfg.epsilon,
        reward_weights=reward_weights, disable_dropout=True, eval_strategy="no", shuffle_dataset=True,
        **specific, **overrides,
    )


def heldout_scores(model, tok, records: list[dict], funcs, weights, max_new_tokens: int, batch_size: int) -> dict:
    """Greedy replies to the held-out prompts: exact match, answer found and mean reward."""

    ids = generate(model, tok, [prompt_ids(tok, r["prompt"]) for r in records],
                   SamplingOptions(max_new_tokens=max_new_tokens), batch_size=batch_size)
    replies = [reply_text(tok, i) for i in ids]
    with_ref = [(t, r) for t, r in zip(replies, records) if r["reference"] is not None]
    with_answer = [(t, r) for t, r in zip(replies, records) if r["answer"] is not None]
    rewards = total_rewards(funcs, weights, records, replies, ids)
    return {"n": len(records),
            "exact_match": sum(exact_match(t, r["reference"]) for t, r in with_ref) / len(with_ref) if with_ref else None,
            "answer_found": (sum(contains_answer(t, r["answer"]) for t, r in with_answer) / len(with_answer)
                             if with_answer else None),
            "mean_reward": sum(rewards) / len(rewards), "replies": replies}


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def main(argv=None):
    args = recipe_parser(GRPORecipe, "Online RL (GRPO / RLOO, TRL) from an SFT model on checkable rewards.",
                         "recipes/grpo_24m.yaml").parse_args(argv)
    cfg = load_recipe(args.recipe, args.overrides, GRPORecipe)
    cfg.check()
    # Everything a bad input can break is checked before anything is loaded heavily or written.

    train_records, heldout = load_prompt_sets(cfg)
    if not Path(cfg.model, "config.json").is_file():
        raise TinyLLMError(f"{cfg.model}: not a checkpoint directory (no config.json)")
    tok = load_tokenizer(cfg.model)
    funcs, weights = load_rewards(cfg, tok)

    # Heavy imports only once the recipe and the prompts are known to be good.
    patches.apply(deepspeed=uses_deepspeed(cfg.deepspeed), trl=True)
    from datasets import Dataset

    from tinyllm.checkpoints import AtomicCheckpoints
    from tinyllm.driver import Stage
    from tinyllm.progress import StepLog

    if cfg.algorithm == "grpo":
        from trl import GRPOTrainer as Trainer
    else:
        from trl import RLOOTrainer as Trainer

    class AtomicRLTrainer(AtomicCheckpoints, Trainer):
        pass

    stage = Stage("grpo", cfg, MUST_MATCH)
    model, tok = load_checkpoint(cfg.model, train=True)
    if tok.chat_template is None:
        raise TinyLLMError(f"{cfg.model}: the tokenizer has no chat template (train it with data_prep.train_tokenizer)")
    # Sampling stops at <|im_end|> (TRL stops at the generation config's eos ids plus the tokenizer's </s>).
    model.generation_config.eos_token_id = stop_ids(tok)
    model.generation_config.pad_token_id = tok.pad_token_id
    training_args = rl_arguments(cfg, stage.dtype, weights)
    for func in funcs:  # the reward model scores on the policy's device
        if hasattr(func, "model"):
            func.model.to(training_args.device)
    n_params = model.num_parameters()
    # Policy update (6N) plus sampling (2N) per token, plus the reference's forward (2N) when beta > 0.
    flops = 8 * n_params + (2 * n_params if cfg.beta else 0)

    model.eval()
    before = heldout_scores(model, tok, heldout, funcs, weights, cfg.max_completion_length, cfg.batch_size)
    model.train()
    prompts_per_step = cfg.batch_size * cfg.grad_accum * training_args.world_size // cfg.num_generations
    header = (f"{cfg.algorithm.upper()} from {cfg.model}: {n_params / 1e6:.2f}M parameters, {stage.dtype}, "
              f"{cfg.num_generations} replies per prompt, beta {cfg.beta}, rewards "
              f"{', '.join(f'{k} x{v}' for k, v in cfg.rewards.items())} | {len(train_records):,} training and "
              f"{len(heldout):,} held-out prompts | {cfg.max_steps} steps = "
              f"{prompts_per_step * cfg.max_steps / len(train_records):.2f} epochs | MFU peak: {stage.peak_source}\n"
              f"start model, held out: exact match {_pct(before['exact_match'])}, answer found "
              f"{_pct(before['answer_found'])}, mean reward {before['mean_reward']:.3f} over {before['n']} prompts")
    columns = ("id", "kind", "prompt", "answer", "reference")
    train_ds = Dataset.from_list([{k: r[k] for k in columns} for r in train_records])
    trainer = stage.start(AtomicRLTrainer, training_args, header,
                          StepLog(None, flops, stage.peak, perplexity=False,
                                  extra={"reward": "reward", "reward_std": "reward std", "kl": "kl",
                                         "completions/mean_length": "reply len"}),
                          model=model, reward_funcs=funcs, train_dataset=train_ds, processing_class=tok)
    if not stage.train():
        return 0
    policy = stage.trained_model()  # on every rank: under ZeRO-3 it gathers the shards

    if stage.is_main:
        policy.eval()
        after = heldout_scores(policy, tok, heldout, funcs, weights, cfg.max_completion_length, cfg.batch_size)
        report = {
            "model": cfg.model, "parameters": n_params, "algorithm": cfg.algorithm, "rewards": cfg.rewards,
            "beta": cfg.beta, "num_generations": cfg.num_generations, "steps": trainer.state.global_step,
            "train_prompts": len(train_records), "train_seconds": stage.train_seconds, "dtype": stage.dtype,
            "heldout_prompts": after["n"],
            "sft_exact_match": before["exact_match"], "exact_match": after["exact_match"],
            "sft_answer_found": before["answer_found"], "answer_found": after["answer_found"],
            "sft_mean_reward": before["mean_reward"], "mean_reward": after["mean_reward"],
            "heldout_replies": [{"id": r["id"], "sft": b, "rl": a}
                                for r, b, a in zip(heldout, before["replies"], after["replies"])],
        }
        stage.finish(policy, tok, report)
        print(f"\nheld out over {after['n']} prompts: exact match {_pct(before['exact_match'])} -> "
              f"{_pct(after['exact_match'])}, answer found {_pct(before['answer_found'])} -> "
              f"{_pct(after['answer_found'])}, mean reward {before['mean_reward']:.3f} -> {after['mean_reward']:.3f}")
        print(f"final model: {stage.out_dir / 'final'} | chat: python -m scripts.chat {stage.out_dir / 'final'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
