"""How many steps a run takes when a recipe can say it twice (`epochs` and `max_steps`).

The rule (README "Recipes"): a key given on the command line beats the recipe file; within
one place `epochs` replaces `max_steps`; both on the command line is refused. Whatever wins,
the run prints one line saying so and records it (run.json and report.json: `steps_from`).
"""

import math
from dataclasses import dataclass

from tinyllm.errors import TinyLLMError
from tinyllm.recipe import parse_overrides


@dataclass
class StepBudget:
    max_steps: int
    steps_from: str          # "max_steps", "epochs", or "max_steps (command line, over the recipe's epochs)"
    note: str | None         # the line to print when one key replaced the other


def resolve_steps(recipe_path, overrides: list[str] | None, epochs: float | None, max_steps: int,
                  items: int, items_per_step: int) -> StepBudget:
    """The step count of a run over `items` samples, `items_per_step` per optimizer step."""
    if epochs is None:
        return StepBudget(max_steps, "max_steps", None)
    cli = parse_overrides(overrides or [])
    if "epochs" in cli and "max_steps" in cli:
        raise TinyLLMError("epochs= and max_steps= are both on the command line; give one of them")
    if "max_steps" in cli:
        return StepBudget(max_steps, "max_steps (command line, over the recipe's epochs)",
                          f"max_steps={max_steps} from the command line replaces {recipe_path}'s epochs: {epochs:g} "
                          f"(which would be {_epoch_steps(epochs, items, items_per_step):,} steps)")
    steps = _epoch_steps(epochs, items, items_per_step)
    return StepBudget(steps, "epochs", f"epochs {epochs:g} over {items:,} samples = {steps:,} steps; this replaces "
                                       f"max_steps {max_steps} (set max_steps= on the command line to run that many)")


def _epoch_steps(epochs: float, items: int, items_per_step: int) -> int:
    return max(1, math.ceil(epochs * items / items_per_step))
