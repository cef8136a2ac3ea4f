"""The run directory: one writer at a time, nothing deleted that tinyllm does not own, resume only onto the same run.

`prepare_out_dir` takes out_dir's lock (tinyllm.runlock) and then, under it:
- refuses an out_dir that is, holds or sits inside an input of the run (tinyllm.ownership);
- an out_dir holding a run (a checkpoint or final/) is refused unless `resume` or `overwrite`;
- `overwrite` removes what out_dir holds only when tinyllm made it (its marker);
- `resume` requires every recipe key outside MAY_CHANGE to equal the one in run.json (refused naming the
  key and both values) and every input's content fingerprint to be the same (tinyllm.fingerprints);
  keys in MAY_CHANGE are applied by the resumed run, so run.json records the new values truthfully;
- then clears .staging (a save cut off) and writes run.json.
A refusal leaves out_dir as it found it (a directory it made is removed again).
"""

import json
import shutil
from pathlib import Path

from tinyllm.atomic import write_json
from tinyllm.checkpoints import STAGING, complete_checkpoints, latest_checkpoint, resumable_checkpoint
from tinyllm.distributed import zero_stage
from tinyllm.errors import TinyLLMError
from tinyllm.fingerprints import INPUT_KEYS, input_fingerprints
from tinyllm.ownership import KEEP, check_not_an_input, check_replaceable, is_marked, mark
from tinyllm.runlock import HOLDER, LOCK, lock_out_dir, unlock_out_dir

RUN_FILE = "run.json"
LOGS = "logs"  # the launcher tees its log here before the run starts: not part of the run itself
# Recorded in run.json by prepare_run: a ZeRO checkpoint holds optimizer shards for one stage and one
# world size, so resuming with another is refused (runs from before these keys count as no ZeRO).
RUN_DEFAULTS = {"zero_stage": 0, "world_size": None}
RESUME_REASONS = {"zero_stage": " (ZeRO checkpoints only load under the stage that wrote them)",
                  "world_size": " (ZeRO optimizer shards are split over the ranks that wrote them)"}
# Keys a resumed run applies as given (so run.json records the new value): how the run is started,
# stopped, logged to and evaluated, none of which the checkpoint's optimizer or schedule holds.
# Every other key (lr, warmup_steps, max_steps, betas, save_every, eval_every, log_every, ...) is
# restored from the checkpoint or shapes the schedule and data order, so it must match.
MAY_CHANGE = ("out_dir", "argv", "resume", "overwrite", "stop_at_step", "num_workers", "max_bad_batches", "peak_tflops",
              "compile", "save_total_limit", "grad_clip", "dtype", "ce_chunk", "eval_windows", "eval_pairs", "deepspeed",
              "world_size", "steps_from", "fingerprints")
FINGERPRINTS = "fingerprints"


def _inputs(run: dict) -> dict:
    return {key: run[key] for key in INPUT_KEYS if run.get(key)}


def _holds_a_run(out_dir: Path) -> bool:
    """A checkpoint or final/ is what a run leaves worth keeping; a run.json alone (a run that failed
    before its first checkpoint) does not block a fresh start in a directory tinyllm made."""
    return bool(complete_checkpoints(out_dir)) or (out_dir / "final").exists() or not is_marked(out_dir)


def check_resume(out_dir: Path, earlier: dict, run: dict, must_match: tuple[str, ...]) -> None:
    """Refuse a resume whose recipe or inputs differ from the run it continues (module docstring)."""
    keys = [*must_match, *sorted(k for k in run if k not in MAY_CHANGE and k not in must_match)]
    for key in keys:
        was = earlier.get(key, RUN_DEFAULTS.get(key))
        if key not in must_match and key not in earlier:
            continue  # a key newer than the run that wrote run.json
        if was != run.get(key):
            raise TinyLLMError(f"{out_dir}: cannot resume, '{key}' was {was!r} and is now {run.get(key)!r}"
                               f"{RESUME_REASONS.get(key, '')}; resume with the same value or start over with "
                               f"overwrite=true")
    before, now = earlier.get(FINGERPRINTS) or {}, run.get(FINGERPRINTS) or {}
    for key in sorted(set(before) & set(now)):
        if before[key] != now[key]:
            raise TinyLLMError(f"{out_dir}: cannot resume, the contents of '{key}' ({run.get(key)}) changed since the "
                               f"run began (fingerprint {before[key]} is now {now[key]}); restore them or start over "
                               f"with overwrite=true")


def _check_held(out_dir: Path, run: dict, resume: bool, overwrite: bool, must_match) -> Path | None:
    """Under the lock: refuse, clear (overwrite) or check (resume) what out_dir holds; the checkpoint to resume."""
    held = [p for p in out_dir.iterdir() if p.name not in KEEP]
    run_file = out_dir / RUN_FILE
    if held and overwrite:
        check_replaceable(out_dir, _inputs(run))
        for path in held:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        return None
    if held and not is_marked(out_dir) and not run_file.is_file() and not complete_checkpoints(out_dir):
        raise TinyLLMError(f"{out_dir}: not a tinyllm run directory (holds {held[0].name}, no {RUN_FILE}); choose "
                           f"another out_dir")
    if held and not resume and _holds_a_run(out_dir):
        raise TinyLLMError(f"{out_dir}: holds an earlier run; pass resume=true to continue it or overwrite=true to "
                           f"replace it")
    if not (held and resume):
        return None
    if run_file.is_file():
        try:
            earlier = json.loads(run_file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise TinyLLMError(f"{run_file}: not valid JSON; cannot check the resume against it") from None
        check_resume(out_dir, earlier, run, must_match)
    found = resumable_checkpoint(out_dir)
    if found is None and complete_checkpoints(out_dir):
        raise TinyLLMError(f"{out_dir}: no checkpoint verifies against its manifest (see the lines above); "
                           f"start over with overwrite=true")
    return found


def prepare_out_dir(out_dir, run: dict, resume: bool, overwrite: bool, must_match: tuple[str, ...]) -> Path | None:
    """Check `out_dir` against this run (module docstring); return the checkpoint to resume from, if any."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise TinyLLMError(f"{out_dir}: out_dir exists and is not a directory; choose another out_dir")
    check_not_an_input(out_dir, _inputs(run))
    made = not out_dir.exists()
    fresh_lock = made or not (out_dir / LOCK).exists()  # a refusal removes lock files only if this run made them
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock_out_dir(out_dir)
    except OSError as err:
        _undo(out_dir, made)
        raise TinyLLMError(f"{out_dir}: cannot write the run there ({err.strerror or err}); choose another out_dir") from None
    except TinyLLMError:
        _undo(out_dir, made, unlock=False)
        raise
    try:
        resume_from = _check_held(out_dir, run, resume, overwrite, must_match)
        mark(out_dir, f"{run.get('stage', 'training')} run")
        shutil.rmtree(out_dir / STAGING, ignore_errors=True)  # a save that was cut off: only under the lock
        write_json(out_dir / RUN_FILE, run)
    except TinyLLMError:
        _undo(out_dir, made, lock_files=fresh_lock)
        raise
    except OSError as err:
        _undo(out_dir, made, lock_files=fresh_lock)
        raise TinyLLMError(f"{err.filename or out_dir}: cannot write the run there ({err.strerror or err}); "
                           f"choose another out_dir or free space") from None
    return resume_from


def _undo(out_dir: Path, made: bool, unlock: bool = True, lock_files: bool = False) -> None:
    """A refused run leaves nothing behind: the directory it made is removed again, and in a directory
    it did not make, the lock files it added."""
    if unlock:
        unlock_out_dir(out_dir)
    if made:
        shutil.rmtree(out_dir, ignore_errors=True)
    elif unlock and lock_files:
        for name in (LOCK, HOLDER):
            (out_dir / name).unlink(missing_ok=True)


def prepare_run(training_args, out_dir, run: dict, cfg, must_match) -> Path | None:
    """Rank 0 checks and prepares out_dir (it may clear it); the others, on every node, wait, then only look."""
    stage = zero_stage(training_args)
    run = run | {"zero_stage": stage, "world_size": training_args.world_size, FINGERPRINTS: input_fingerprints(cfg)}
    must_match = (*must_match, "zero_stage", *(("world_size",) if stage else ()))
    with training_args.main_process_first(local=False, desc="prepare out_dir"):
        if training_args.process_index == 0:
            return prepare_out_dir(out_dir, run, cfg.resume, cfg.overwrite, must_match)
        return resumable_checkpoint(out_dir, say=lambda line: None) if cfg.resume else None
