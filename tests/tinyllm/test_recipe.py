"""Recipes: unknown keys and wrong types are refused with the key named."""

from dataclasses import dataclass

import pytest

from tinyllm.errors import TinyLLMError
from tinyllm.recipe import load_recipe


@dataclass
class Schema:
    data_dir: str
    lr: float = 1e-3
    max_steps: int = 10
    compile: bool = False
    peak: float | None = None


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_loads_and_overrides(tmp_path):
    cfg = load_recipe(write(tmp_path, "data_dir: d\nlr: 3\n"), ["max_steps=5", "compile=true", "peak=989", "lr=3e-4"], Schema)
    assert cfg == Schema(data_dir="d", lr=3e-4, max_steps=5, compile=True, peak=989.0)


def test_unknown_key_suggests_closest(tmp_path):
    with pytest.raises(TinyLLMError, match=r"r.yaml: unknown key 'max_step' \(did you mean 'max_steps'\?\)"):
        load_recipe(write(tmp_path, "data_dir: d\nmax_step: 5\n"), [], Schema)
    with pytest.raises(TinyLLMError, match=r"override lrr=: unknown key 'lrr' \(did you mean 'lr'\?\)"):
        load_recipe(write(tmp_path, "data_dir: d\n"), ["lrr=1"], Schema)


@pytest.mark.parametrize("line, message", [
    ("max_steps: ten", "key 'max_steps' must be int, got str 'ten'"),
    ("max_steps: 2.5", "key 'max_steps' must be int, got float"),
    ("compile: 1", "key 'compile' must be bool, got int"),
    ("lr: true", "key 'lr' must be float, got bool"),
    ("data_dir: null", "key 'data_dir' must not be empty"),
])
def test_wrong_type_names_the_key(tmp_path, line, message):
    with pytest.raises(TinyLLMError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_recipe(write(tmp_path, f"data_dir: d\n{line}\n"), [], Schema)


def test_missing_file_bad_yaml_and_missing_key(tmp_path):
    with pytest.raises(TinyLLMError, match="nope.yaml: recipe file not found"):
        load_recipe(tmp_path / "nope.yaml", [], Schema)
    with pytest.raises(TinyLLMError, match=r"r.yaml:2: not valid YAML"):
        load_recipe(write(tmp_path, "data_dir: d\nlr: a: b\n"), [], Schema)
    with pytest.raises(TinyLLMError, match="missing required key.*data_dir"):
        load_recipe(write(tmp_path, "lr: 1\n"), [], Schema)
    with pytest.raises(TinyLLMError, match="not of the form key=value"):
        load_recipe(write(tmp_path, "data_dir: d\n"), ["lr"], Schema)


def test_every_shipped_recipe_loads_and_passes_its_stage_checks():
    from conftest import ROOT
    from stages.dpo import DPORecipe
    from stages.grpo import GRPORecipe
    from stages.pretrain import PretrainRecipe
    from stages.quantize import QuantRecipe
    from stages.reward import RewardRecipe
    from stages.sft import SFTRecipe

    schemas = {"ptm": PretrainRecipe, "sft": SFTRecipe, "rm": RewardRecipe, "dpo": DPORecipe, "quant": QuantRecipe,
               "grpo": GRPORecipe}
    recipes = sorted((ROOT / "recipes").glob("*.yaml"))
    checked = set()
    for path in recipes:
        schema = schemas.get(path.stem.split("_")[0])
        if schema is None:
            continue
        load_recipe(path, [], schema).check()
        checked.add(path.stem)
        launcher = path.with_suffix(".sh")
        assert path.stem.endswith("_tiny") or f"{path.stem}.yaml" in launcher.read_text(), launcher
    for stage in schemas:
        assert {f"{stage}_{size}" for size in ("9m", "24m", "58m", "134m", "256m")} <= checked
