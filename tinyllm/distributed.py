"""DeepSpeed ZeRO: which config a recipe names, and the trained model gathered back from its shards.

The recipe key `deepspeed` names one of the ZeRO configs shipped as package data in
tinyllm/deepspeed_configs/ (recipes/deepspeed/ links to them), or a JSON file; the configs' "auto"
values are filled from the same training arguments (tinyllm.train_args), so the two cannot disagree.
After training under ZeRO-3, where each rank holds a shard of every weight, `trained_model` gathers
the shards into a plain model that rank 0 can evaluate and save alone.
"""

import json
from importlib import resources
from pathlib import Path

from tinyllm.errors import TinyLLMError

ZERO_CONFIGS = {"1": "zero1.json", "2": "zero2.json", "3": "zero3.json", "3_offload": "zero3_offload.json"}


def uses_deepspeed(choice) -> bool:
    """Whether the recipe key `deepspeed` asks for DeepSpeed at all (None, 0, "none" and "" do not)."""
    return not (choice is None or str(choice).lower() in ("0", "none", ""))


def deepspeed_config_path(choice) -> Path:
    """The file the recipe key `deepspeed` names: a shipped ZeRO config (1, 2, 3, 3_offload) or a path."""
    if str(choice) in ZERO_CONFIGS:
        # A wheel installs the configs as package data beside this module; as_file gives a real path
        # (the Trainer reads the config itself) and is the file itself for an installed package.
        with resources.as_file(resources.files("tinyllm") / "deepspeed_configs" / ZERO_CONFIGS[str(choice)]) as path:
            return Path(path)
    return Path(str(choice))


def load_deepspeed_config(choice) -> dict | None:
    """The DeepSpeed config the recipe key `deepspeed` names, read and checked; None for no DeepSpeed.

    None, 0 or "none": no DeepSpeed; 1, 2, 3 or "3_offload": tinyllm/deepspeed_configs/zero<N>.json;
    anything else is the path of a JSON config.
    """
    if not uses_deepspeed(choice):
        return None
    path = deepspeed_config_path(choice)
    if not path.is_file():
        raise TinyLLMError(f"recipe key 'deepspeed': '{choice}' is neither a ZeRO stage ({', '.join(ZERO_CONFIGS)}) "
                           f"nor a JSON file")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise TinyLLMError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    zero = config.get("zero_optimization", {}) if isinstance(config, dict) else None
    if not isinstance(zero, dict) or zero.get("stage", 0) not in (0, 1, 2, 3):
        raise TinyLLMError(f"{path}: zero_optimization.stage must be 0, 1, 2 or 3")
    if zero.get("stage") == 3 and zero.get("stage3_gather_16bit_weights_on_model_save") is not True:
        # Without it the Trainer writes checkpoints without model weights and final/ cannot be gathered.
        raise TinyLLMError(f'{path}: ZeRO-3 needs "stage3_gather_16bit_weights_on_model_save": true in zero_optimization')
    return config


def zero_stage(training_args) -> int:
    """The ZeRO stage these training arguments train with (0: no DeepSpeed)."""
    plugin = getattr(training_args, "deepspeed_plugin", None)
    return plugin.zero_stage if plugin is not None else 0


def trained_model(trainer):
    """The trained model as a plain module on the main process, None on the others. Call it on every rank.

    Without ZeRO-3 that is `trainer.model` itself. Under ZeRO-3 each rank holds a shard of every weight
    and running the model takes all ranks, so the shards are gathered (a collective) into a fresh,
    unpartitioned copy on the main process, which it can then evaluate, merge and save alone.
    """
    model = trainer.model
    if zero_stage(trainer.args) != 3:
        return model if trainer.is_world_process_zero() else None
    state = trainer.accelerator.get_state_dict(trainer.model_wrapped)  # full weights on rank 0 only
    if not trainer.is_world_process_zero():
        return None
    plain = _unpartitioned_like(model, trainer.args)
    plain.load_state_dict(state, strict=True)
    return plain.to(device=trainer.args.device, dtype=next(iter(state.values())).dtype)


def _unpartitioned_like(model, training_args):
    """A freshly built model of the same class and config (and LoRA adapters), with full-size weights.

    Built with transformers' ZeRO-3 switch off: while it is on, constructors that build their parts
    through from_config (LlamaForSequenceClassification's backbone) partition them under
    deepspeed.zero.Init, a collective the other ranks never join.
    """
    # Heavy third-party imports, needed only under ZeRO-3.
    from transformers.integrations.deepspeed import set_hf_deepspeed_config, unset_hf_deepspeed_config

    try:
        from peft import PeftModel, get_peft_model
    except ImportError:
        PeftModel = None
    unset_hf_deepspeed_config()
    try:
        if PeftModel is not None and isinstance(model, PeftModel):
            base = model.get_base_model()
            return get_peft_model(type(base)(base.config), model.peft_config[model.active_adapter])
        return type(model)(model.config)
    finally:
        set_hf_deepspeed_config(training_args.hf_deepspeed_config)
