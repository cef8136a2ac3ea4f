"""The run directory: refuse to write over a different run unless told to, and record this one in run.json.

An out_dir that holds a run is refused unless `resume` (the keys in the stage's MUST_MATCH, and the ZeRO
stage and world size, equal the ones in its run.json) or `overwrite` (everything but logs/ removed first).
"""

import json
import shutil
from pathlib import Path

from tinyllm.atomic import write_json
from tinyllm.checkpoints import STAGING, complete_checkpoints, latest_checkpoint
from tinyllm.distributed import zero_stage
from tinyllm.errors import TinyLLMError

RUN_FILE = "run.json"
LOGS = "logs"  # the launcher tees its log here before the run starts: not part of the run itself
# Recorded in run.json by prepare_run: a ZeRO checkpoint holds optimizer shards for one stage and one
# world size, so resuming with another is refused (runs from before these keys count as no ZeRO).
RUN_DEFAULTS = {"zero_stage": 0, "world_size": None}
RESUME_REASONS = {"zero_stage": " (ZeRO checkpoints only load under the stage that wrote them)",
                  "world_size": " (ZeRO optimizer shards are split over the ranks that wrote them)"}


def prepare_out_dir(out_dir, run: dict, resume: bool, overwrite: bool, must_match: tuple[str, ...]) -> Path | None:
    """Check `out_dir` against this run; return the checkpoint to resume from, if any.

    An existing run is refused unless `resume` (same values for the keys in `must_match`) or
    `overwrite` (everything in `out_dir` is removed first).
    """
    out_dir = Path(out_dir)
    run_file = out_dir / RUN_FILE
    if out_dir.exists() and not out_dir.is_dir():
        raise TinyLLMError(f"{out_dir}: out_dir exists and is not a directory")
    held = [p for p in out_dir.iterdir() if p.name != LOGS] if out_dir.is_dir() else []
    if held:
        if overwrite:
            for path in held:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        elif not resume:
            raise TinyLLMError(f"{out_dir}: holds an earlier run; pass resume=true to continue it or overwrite=true to replace it")
        elif run_file.is_file():
            earlier = json.loads(run_file.read_text())
            for key in must_match:
                was = earlier.get(key, RUN_DEFAULTS.get(key))
                if was != run.get(key):
                    raise TinyLLMError(f"{out_dir}: cannot resume, '{key}' was {was!r} and is now {run.get(key)!r}"
                                       f"{RESUME_REASONS.get(key, '')}")
        elif not complete_checkpoints(out_dir):
            raise TinyLLMError(f"{out_dir}: not a tinyllm run directory (no {RUN_FILE}); choose another out_dir")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(out_dir / STAGING, ignore_errors=True)  # a save that was cut off
        write_json(run_file, run)
    except OSError as err:
        raise TinyLLMError(f"{out_dir}: cannot write the run there ({err.strerror or err}); choose another out_dir") from None
    return latest_checkpoint(out_dir) if resume else None


def prepare_run(training_args, out_dir, run: dict, cfg, must_match) -> Path | None:
    """Rank 0 checks and prepares out_dir (it may clear it); the others, on every node, wait, then only look."""
    stage = zero_stage(training_args)
    run = run | {"zero_stage": stage, "world_size": training_args.world_size}
    must_match = (*must_match, "zero_stage", *(("world_size",) if stage else ()))
    with training_args.main_process_first(local=False, desc="prepare out_dir"):
        if training_args.process_index == 0:
            return prepare_out_dir(out_dir, run, cfg.resume, cfg.overwrite, must_match)
        return latest_checkpoint(out_dir) if cfg.resume else None
