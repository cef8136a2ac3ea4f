"""YAML recipes: a dataclass per stage says which keys exist and their types.

`load_recipe(path, overrides, Schema)` reads the YAML, applies `key=value` overrides from the
command line, and refuses unknown keys (suggesting the closest) or values of the wrong type.
"""

import argparse
import dataclasses
import difflib
import os
import types
import typing
from pathlib import Path

import yaml

from tinyllm.errors import TinyLLMError


def _allowed_types(annotation) -> tuple[tuple[type, ...], bool]:
    """(accepted python types, whether None is allowed) for a field annotation."""
    if isinstance(annotation, str):  # postponed annotations are not used in schemas
        raise TypeError(f"string annotation {annotation!r} in a recipe schema")
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        allowed = tuple(a for a in args if a is not type(None))
        return tuple(typing.get_origin(a) or a for a in allowed), type(None) in args
    return (origin or annotation,), False


def _check_type(source: str, key: str, value, annotation):
    allowed, nullable = _allowed_types(annotation)
    if value is None:
        if nullable:
            return None
        raise TinyLLMError(f"{source}: key '{key}' must not be empty (null)")
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if float in allowed and isinstance(value, str):
        # YAML 1.1 reads 3e-4 (no dot) as a string; everyone writes learning rates that way.
        try:
            return float(value)
        except ValueError:
            pass
    # bool is an int in Python: do not let `true` pass as a number.
    ok = (bool in allowed) if isinstance(value, bool) else isinstance(value, allowed)
    if not ok:
        names = " or ".join(t.__name__ for t in allowed)
        raise TinyLLMError(f"{source}: key '{key}' must be {names}, got {type(value).__name__} {value!r}")
    item_types = [a for a in typing.get_args(annotation) if typing.get_origin(a) is list] or [annotation]
    item_type = (typing.get_args(item_types[0]) or [None])[0] if isinstance(value, list) else None
    if item_type is not None and not all(isinstance(v, item_type) for v in value):
        raise TinyLLMError(f"{source}: key '{key}' must be a list of {item_type.__name__}, got {value!r}")
    return value


def _unknown_key(source: str, key: str, known: list[str]) -> TinyLLMError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(sorted(known))})"
    return TinyLLMError(f"{source}: unknown key '{key}'{hint}")


def parse_overrides(overrides: list[str]) -> dict:
    """`["lr=3e-4", "compile=true"]` -> {"lr": 0.0003, "compile": True}; values are read as YAML."""
    parsed = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise TinyLLMError(f"override '{item}' is not of the form key=value")
        try:
            parsed[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            parsed[key.strip()] = raw
    return parsed


def load_recipe(path, overrides: list[str] | None, schema):
    """Build `schema` (a dataclass) from a YAML recipe plus command-line overrides."""
    values = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise TinyLLMError(f"{path}: recipe file not found")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise TinyLLMError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise TinyLLMError(f"{path}: a recipe must be a mapping of key: value")
        values.update((str(k), v) for k, v in loaded.items())
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = typing.get_type_hints(schema)
    sources = {k: str(path) for k in values}
    for key, value in parse_overrides(overrides or []).items():
        values[key] = value
        sources[key] = f"override {key}="
    checked = {}
    for key, value in values.items():
        if key not in fields:
            raise _unknown_key(sources[key], key, list(fields))
        checked[key] = _check_type(sources[key], key, value, hints[key])
    missing = [
        name for name, f in fields.items()
        if name not in checked and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise TinyLLMError(f"{path or 'recipe'}: missing required key(s): {', '.join(missing)}")
    return schema(**checked)


def recipe_dict(config) -> dict:
    return dataclasses.asdict(config)


@dataclasses.dataclass(kw_only=True)
class TrainRecipe:
    """The optimisation, logging and checkpoint keys every training stage shares.

    Stages subclass it with their own data and model keys; `tinyllm.train_args.training_arguments`
    turns it into the Trainer's arguments, so every stage means the same by the same key.
    """

    out_dir: str                       # checkpoints, logs, final model
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
    compile: bool | str = False        # torch.compile the model: true, false or auto (on a GPU only)
    eval_every: int = 200              # validation loss every N steps (0: only at the end)
    save_every: int = 500              # checkpoint every N steps (0: only at the end)
    save_total_limit: int = 2          # keep the newest N checkpoints
    log_every: int = 10
    seed: int = 1337                   # model init and data order
    num_workers: int = 0               # DataLoader worker processes
    stop_at_step: int | None = None    # save and stop at this step, keeping max_steps' schedule (time-boxed runs)
    resume: bool = False               # continue from the newest complete checkpoint in out_dir
    overwrite: bool = False            # replace what out_dir holds
    peak_tflops: float | None = None   # device peak for MFU (auto on known GPUs)
    max_bad_batches: int = 0           # micro-batches with a NaN / inf loss skipped before the run stops
    ce_chunk: int = 0                  # > 0: LM loss over this many tokens at a time, no full logits (tinyllm.loss)
    deepspeed: int | str | None = None  # DeepSpeed ZeRO: 1, 2, 3, 3_offload (tinyllm/deepspeed_configs/) or a JSON path; null: none

    POSITIVE = ("batch_size", "grad_accum", "max_steps", "log_every")
    NON_NEGATIVE = ("eval_every", "save_every", "warmup_steps", "num_workers", "save_total_limit", "max_bad_batches",
                    "ce_chunk")

    def check(self) -> None:
        """Refuse values no run can use, naming the key."""
        for key in self.POSITIVE:
            if getattr(self, key) < 1:
                raise TinyLLMError(f"recipe key '{key}' must be >= 1, got {getattr(self, key)}")
        for key in self.NON_NEGATIVE:
            if getattr(self, key) < 0:
                raise TinyLLMError(f"recipe key '{key}' must be >= 0, got {getattr(self, key)}")
        if self.lr <= 0:
            raise TinyLLMError(f"recipe key 'lr' must be > 0, got {self.lr}")
        if self.compile not in (True, False, "auto"):
            raise TinyLLMError(f"recipe key 'compile' must be true, false or auto, got {self.compile!r}")


LLAMA_LINEARS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclasses.dataclass(kw_only=True)
class LoraRecipe(TrainRecipe):
    """TrainRecipe plus the LoRA keys of the stages that can train adapters (SFT, DPO)."""

    lora: bool = False                 # train LoRA adapters instead of every weight
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_targets: list[str] = dataclasses.field(default_factory=lambda: list(LLAMA_LINEARS))
    merge: bool = True                 # with lora: fold the adapters into final/ (a plain HF checkpoint)

    POSITIVE = TrainRecipe.POSITIVE + ("lora_r", "lora_alpha")

    def check(self) -> None:
        super().check()
        if not 0 <= self.lora_dropout < 1:
            raise TinyLLMError(f"recipe key 'lora_dropout' must be in [0, 1), got {self.lora_dropout}")
        unknown = sorted(set(self.lora_targets) - set(LLAMA_LINEARS))
        if self.lora and (unknown or not self.lora_targets):
            raise TinyLLMError(f"recipe key 'lora_targets': {', '.join(unknown) or 'empty'} (the Llama linears are "
                               f"{', '.join(LLAMA_LINEARS)})")

    def lora_config(self):
        from peft import LoraConfig

        return LoraConfig(r=self.lora_r, lora_alpha=self.lora_alpha, lora_dropout=self.lora_dropout,
                          target_modules=list(self.lora_targets), task_type="CAUSAL_LM")


def recipe_parser(schema, description: str, example: str):
    """The argparse front every stage shares: RECIPE.yaml [key=value ...], keys listed in --help."""
    parser = _RecipeParser(
        description=description,
        epilog="Keys (set in the YAML or as key=value): " + ", ".join(f.name for f in dataclasses.fields(schema)),
    )
    parser.add_argument("recipe", help=f"YAML recipe, e.g. {example}")
    parser.add_argument("overrides", nargs="*", help="key=value overrides of recipe keys")
    parser.add_argument("--verbose", action=_Verbose, nargs=0, default=False,
                        help="show third-party libraries' warnings and start-up messages, which tinyllm "
                        "silences by default (the same as TINYLLM_VERBOSE=1; see tinyllm/patches.py)")
    return parser


class _RecipeParser(argparse.ArgumentParser):
    """Options may sit anywhere among the key=value overrides (`RECIPE a=1 --verbose b=2`)."""

    def parse_args(self, args=None, namespace=None):
        return self.parse_intermixed_args(args, namespace)


class _Verbose(argparse.Action):
    """--verbose: sets TINYLLM_VERBOSE=1 as soon as it is parsed, before tinyllm.patches quiets anything."""

    def __call__(self, parser, namespace, values, option_string=None):
        os.environ["TINYLLM_VERBOSE"] = "1"
        setattr(namespace, self.dest, True)


def recipe_value(path, overrides: list[str], key: str):
    """What `key` is in the YAML at `path` with `overrides` applied (no schema: any stage's recipe)."""
    loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise TinyLLMError(f"{path}: a recipe must be a mapping of key: value")
    return (loaded | parse_overrides(overrides)).get(key)


def main(argv=None):
    """`python -m tinyllm.recipe RECIPE [key=value ...] --get KEY`: print one key (the launcher finds out_dir so)."""
    parser = argparse.ArgumentParser(description="Print the value a recipe (with key=value overrides) gives a key.")
    parser.add_argument("recipe", help="YAML recipe")
    parser.add_argument("overrides", nargs="*", help="key=value overrides")
    parser.add_argument("--get", required=True, metavar="KEY", help="the key to print")
    parser.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)  # a stage's flag, passed through
    args = parser.parse_args(argv)
    value = recipe_value(args.recipe, args.overrides, args.get)
    if value is None:
        raise TinyLLMError(f"{args.recipe}: no key '{args.get}'")
    print(value)
    return 0


if __name__ == "__main__":
    from tinyllm.errors import run_cli

    run_cli(main)
