"""Rewards for online RL (stages.grpo), composable with weights from the recipe.

    rewards: {exact: 1.0, format: 0.2}          # in a grpo recipe; the reward is the weighted sum
    rewards: {reward_model: 1.0}                # with reward_model: runs/rm_24m/final
    rewards: {exact: 1.0, custom: 0.5}          # with reward_function: mypkg.rewards:brevity

Each reward scores one sampled reply in [0, 1] (the reward model: any real number):
  exact         1 when the prompt's checked answer ("18", "the fair") occurs in the reply as
                whole words, as eval.dialogue's "answer found" judges it (tinyllm.answers); else 0.
  format        0.5 for ending the turn with <|im_end|> within max_completion_length, plus 0.5
                for answering in one sentence (text that ends with . ! or ? and has no other
                sentence end inside).
  reward_model  the score of a stages.reward checkpoint for prompt + reply, computed exactly as
                `python -m stages.reward --score` computes it (tinyllm.preference.reward_scores).
                Its tokenizer must be the policy's.
  custom        your own function, named by `reward_function` as "package.module:function" (or
                "package.module.function"). Only that module is imported (nothing is evaluated from
                the recipe). It is called as TRL calls reward functions:
                    f(prompts, completions, completion_ids, answer, **kwargs) -> list[float]
                with `completions` a list of [{"role": "assistant", "content": text}] and every
                column of the prompt set (answer, reference, kind, id) as a list, one per reply.
"""

import importlib
import re

from tinyllm.answers import contains_answer
from tinyllm.errors import TinyLLMError
from tinyllm.generate import stop_ids
from tinyllm.preference import load_reward_model, reward_scores
from tinyllm.tokenizer import fingerprint, load_tokenizer

REWARDS = ("exact", "format", "reward_model", "custom")


def reply_text(completion) -> str:
    """The reply's text from TRL's completion (a string, or a list of messages)."""
    if isinstance(completion, list):
        return completion[-1]["content"] if completion else ""
    return completion


def exact(prompts, completions, answer=None, **kwargs) -> list[float]:
    """1.0 when the checked answer is in the reply (whole words), else 0.0."""
    answers = answer if answer is not None else [None] * len(completions)
    return [float(a is not None and contains_answer(reply_text(c), a)) for c, a in zip(completions, answers)]


_SENTENCE_INSIDE = re.compile(r"[.!?][\"')]*\s+\S")


def one_sentence(text: str) -> bool:
    text = text.strip()
    return bool(text) and text[-1] in ".!?" and not _SENTENCE_INSIDE.search(text)


class FormatReward:
    """0.5 for stopping with <|im_end|>, 0.5 for a one-sentence reply (see the module docstring)."""

    __name__ = "format"

    def __init__(self, stop_id: int):
        self.stop_id = stop_id

    def __call__(self, prompts, completions, completion_ids=None, **kwargs) -> list[float]:
        ids = completion_ids if completion_ids is not None else [[] for _ in completions]
        return [0.5 * (self.stop_id in list(i)) + 0.5 * one_sentence(reply_text(c)) for c, i in zip(completions, ids)]


class RewardModelReward:
    """The score of a stages.reward checkpoint, as `stages.reward --score` gives it."""

    __name__ = "reward_model"

    def __init__(self, path, policy_tok, policy_path: str = "the policy", device=None):
        from pathlib import Path

        from transformers.utils import logging as hf_logging

        if not Path(path, "config.json").is_file():
            raise TinyLLMError(f"recipe key 'reward_model': {path} is not a checkpoint directory (no config.json)")
        if fingerprint(load_tokenizer(path)) != fingerprint(policy_tok):  # before loading any weights
            raise TinyLLMError(f"recipe key 'reward_model': {path} has another tokenizer than {policy_path} (a reward "
                               f"model reads the policy's token ids; train it from the same SFT model)")
        hf_logging.disable_progress_bar()  # a weight-loading bar for a model this small is noise
        self.model, self.tok = load_reward_model(path)
        if device is not None:
            self.model.to(device)
        self.batch_size = 16

    def __call__(self, prompts, completions, **kwargs) -> list[float]:
        replies = [[{"role": "assistant", "content": reply_text(c)}] for c in completions]
        return reward_scores(self.model, self.tok, [list(p) for p in prompts], replies, self.batch_size)


def load_user_reward(dotted: str):
    """The function `reward_function` names ("pkg.mod:fn" or "pkg.mod.fn"), imported, not evaluated."""
    module_name, sep, attr = dotted.partition(":")
    if not sep:
        module_name, _, attr = dotted.rpartition(".")
    if not module_name or not attr or not all(p.isidentifier() for p in module_name.split(".") + [attr]):
        raise TinyLLMError(f"recipe key 'reward_function': '{dotted}' is not a dotted path like "
                           f"package.module:function")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # any error while importing the user's module is the user's to fix
        raise TinyLLMError(f"recipe key 'reward_function': cannot import {module_name} "
                           f"({type(err).__name__}: {err})") from None
    func = getattr(module, attr, None)
    if not callable(func):
        raise TinyLLMError(f"recipe key 'reward_function': {module_name} has no function '{attr}'")
    return func


def check_weights(weights: dict, reward_model: str | None, reward_function: str | None) -> None:
    """Refuse a `rewards` mapping no run can use, naming the key."""
    if not isinstance(weights, dict) or not weights:
        raise TinyLLMError(f"recipe key 'rewards' must map some of {', '.join(REWARDS)} to weights")
    for name, weight in weights.items():
        if name not in REWARDS:
            raise TinyLLMError(f"recipe key 'rewards': unknown reward '{name}' (known: {', '.join(REWARDS)})")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise TinyLLMError(f"recipe key 'rewards': weight of '{name}' must be a number, got {weight!r}")
    if "reward_model" in weights and not reward_model:
        raise TinyLLMError("recipe key 'rewards' asks for reward_model but the key 'reward_model' (a stages.reward "
                           "checkpoint) is not set")
    if "custom" in weights and not reward_function:
        raise TinyLLMError("recipe key 'rewards' asks for custom but the key 'reward_function' (package.module:function) "
                           "is not set")


def build_rewards(weights: dict, tok, reward_model: str | None = None, reward_function: str | None = None,
                  policy_path: str = "the policy", device=None) -> tuple[list, list[float]]:
    """(reward functions, weights) in the order of the recipe's `rewards` mapping, for TRL."""

    check_weights(weights, reward_model, reward_function)
    make = {"exact": lambda: exact, "format": lambda: FormatReward(stop_ids(tok)[0]),
            "reward_model": lambda: RewardModelReward(reward_model, tok, policy_path, device),
            "custom": lambda: load_user_reward(reward_function)}
    return [make[name]() for name in weights], [float(w) for w in weights.values()]


def total_rewards(funcs, weights, records: list[dict], replies: list[str], reply_ids: list[list[int]]) -> list[float]:
    """The weighted reward of each reply to its record (what the trainer optimises), outside the trainer."""
    prompts = [r["prompt"] for r in records]
    completions = [[{"role": "assistant", "content": t}] for t in replies]
    columns = {key: [r.get(key) for r in records] for key in ("answer", "reference", "kind", "id")}
    totals = [0.0] * len(replies)
    for func, weight in zip(funcs, weights):
        scores = func(prompts=prompts, completions=completions, completion_ids=reply_ids, **columns)
        totals = [t + weight * float(s) for t, s in zip(totals, scores)]
    return totals
