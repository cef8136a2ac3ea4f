"""Run several stage commands one after another in one distributed job (used by tests/tinyllm/test_deepspeed.py):

    torchrun --nproc_per_node=2 tests/distributed_runs.py RUNS.json

RUNS.json is a list of [stage, [arg, ...]]; each is `stages.<stage>.main(args)`, as `python -m stages.<stage>`
would run it, so the job pays for importing the stack (~10 s a process) once instead of once per run.
Besides what the stage writes, each run that trains to the end under DeepSpeed leaves
OUT_DIR/engine_weights.safetensors: the optimizer's fp32 weights of the trained parameters as DeepSpeed
itself assembles them from its partitions (`safe_get_full_fp32_param`), to compare final/ against.
"""

import gc
import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # torchrun puts this script's folder first, not the project's


def record_engine_weights(trained_model):
    def wrapped(trainer):
        from deepspeed.utils import safe_get_full_fp32_param
        from safetensors.torch import save_file

        from tinyllm.distributed import zero_stage

        if not zero_stage(trainer.args):
            return trained_model(trainer)
        # A collective under ZeRO-3: every rank asks for every parameter, in the same order.
        weights = {name: safe_get_full_fp32_param(param) for name, param in trainer.model.named_parameters()
                   if param.requires_grad}  # the optimizer holds only what is trained (LoRA: the adapters)
        if trainer.is_world_process_zero():
            save_file({name: w.detach().cpu().contiguous() for name, w in weights.items()},
                      str(Path(trainer.args.output_dir) / "engine_weights.safetensors"))
        return trained_model(trainer)
    return wrapped


def main(runs_file):
    import tinyllm.distributed

    tinyllm.distributed.trained_model = record_engine_weights(tinyllm.distributed.trained_model)
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    for stage, args in json.loads(Path(runs_file).read_text()):
        importlib.import_module(f"stages.{stage}").main(args)
        # A process normally runs one stage: forget this run's ZeRO-3 setting (transformers keeps it
        # globally, and from_pretrained in the next run would partition the model it loads).
        unset_hf_deepspeed_config()
        gc.collect()


if __name__ == "__main__":
    main(sys.argv[1])
