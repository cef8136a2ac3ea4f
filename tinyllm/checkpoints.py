"""Checkpoints that appear only when complete, and the final model a run leaves.

The Trainer writes `checkpoint-N` in place, so a crash mid-save leaves a half-written directory that
resume would pick up. `AtomicCheckpoints` (a mixin for the Trainer or a TRL trainer; `AtomicTrainer`
is the plain Trainer with it) writes each checkpoint under `.staging/`, marks it COMPLETE and renames
it into place. COMPLETE is a manifest (every file's name, size and sha256), written last: resume
takes the newest checkpoint that verifies against it (`resumable_checkpoint`), saying which newer
ones it skipped and why. `save_final` writes OUT_DIR/final the same way (tinyllm.atomic).
"""

import json
import os
import shutil
from pathlib import Path

from transformers import Trainer
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

from tinyllm.atomic import atomic_dir, write_json
from tinyllm.fingerprints import sha256_file

STAGING = ".staging"
COMPLETE = "COMPLETE"  # the manifest, written last into a checkpoint, before it is renamed into place
MANIFEST_FORMAT = "tinyllm-checkpoint-manifest"


def write_manifest(checkpoint) -> None:
    """Write COMPLETE: the checkpoint's files with their sizes and sha256 (call it last)."""
    checkpoint = Path(checkpoint)
    files = {p.relative_to(checkpoint).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
             for p in sorted(checkpoint.rglob("*")) if p.is_file() and p.name != COMPLETE}
    write_json(checkpoint / COMPLETE, {"format": MANIFEST_FORMAT, "version": 1, "files": files})


def verify_checkpoint(checkpoint) -> str | None:
    """None when the checkpoint matches its manifest, else why not (one phrase naming the file)."""
    checkpoint = Path(checkpoint)
    try:
        manifest = json.loads((checkpoint / COMPLETE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"{COMPLETE} is missing or unreadable"
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return f"{COMPLETE} holds no manifest (a checkpoint from an older tinyllm or copied by hand)"
    if not isinstance(manifest.get("files"), dict) or not manifest["files"]:
        return f"{COMPLETE} lists no files (edited or cut off)"  # an empty list would verify anything
    for name, want in manifest["files"].items():
        path = checkpoint / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != want["size"]:
            return f"{name} is {size} bytes, the manifest says {want['size']} (truncated or replaced)"
        if sha256_file(path) != want["sha256"]:
            return f"{name} does not match its checksum (corrupted or replaced)"
    return None


def complete_checkpoints(out_dir) -> list[Path]:
    """`checkpoint-N` directories with their completeness marker, oldest first.

    Only complete checkpoints are ever renamed out of .staging; the marker also keeps out a
    directory copied or restored by hand that lost files on the way.
    """
    out_dir = Path(out_dir)
    found = [p for p in out_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*")
             if p.is_dir() and p.name.split("-")[-1].isdigit() and (p / COMPLETE).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def latest_checkpoint(out_dir) -> Path | None:
    found = complete_checkpoints(out_dir)
    return found[-1] if found else None


def resumable_checkpoint(out_dir, say=print) -> Path | None:
    """The newest checkpoint that verifies against its manifest; each newer one skipped is reported."""
    for checkpoint in reversed(complete_checkpoints(out_dir)):
        problem = verify_checkpoint(checkpoint)
        if problem is None:
            return checkpoint
        say(f"skipping {checkpoint}: {problem}")
    return None


def checkpoint_path(out_dir, step: int) -> Path:
    return Path(out_dir) / f"{PREFIX_CHECKPOINT_DIR}-{step}"


class AtomicCheckpoints:
    """Mixin for a Trainer (or a TRL trainer): checkpoints appear only when complete (see module docstring)."""

    _staging_root = None
    nonfinite = None  # a tinyllm.faults.NonFiniteLoss, set by tinyllm.driver.train()

    def training_step(self, model, inputs, *args, **kwargs):
        loss = super().training_step(model, inputs, *args, **kwargs)
        if self.nonfinite is not None:
            loss = self.nonfinite.check(loss, model, self.state.global_step, self.args.output_dir)
        return loss

    def _get_output_dir(self, trial):
        return self._staging_root or super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial):
        run_dir = Path(super()._get_output_dir(trial))
        self._staging_root = str(run_dir / STAGING)
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging_root = None
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        # Every rank writes into the staging directory (its RNG state; under ZeRO its optimizer and
        # model shards): the checkpoint is complete only when all of them are done.
        self.accelerator.wait_for_everyone()
        if self.args.should_save:
            write_manifest(run_dir / STAGING / name)
            final = run_dir / name
            if final.exists():  # the same step saved again (e.g. the last step): newest wins
                shutil.rmtree(final)
            os.rename(run_dir / STAGING / name, final)
            (run_dir / STAGING).rmdir()
            rotate_checkpoints(output_dir=str(run_dir), save_total_limit=self.args.save_total_limit,
                               best_model_checkpoint=self.state.best_model_checkpoint, use_mtime=False)
        self.accelerator.wait_for_everyone()


class AtomicTrainer(AtomicCheckpoints, Trainer):
    """The transformers Trainer with atomic checkpoints."""


def save_final(model, tok, out_dir, report: dict, lora: bool = False, merge: bool = True) -> str:
    """Write OUT_DIR/final (model, tokenizer, training_report.json) atomically; return what it holds.

    With `lora`, the adapter is written to OUT_DIR/adapter first and, with `merge`, folded into
    the weights so final/ is a plain HF checkpoint again. Only the model and tokenizer are saved:
    the Trainer's save_model would add a pickled training_args.bin.
    """
    out_dir = Path(out_dir)
    what = "final model"
    if lora:
        with atomic_dir(out_dir / "adapter", overwrite=True) as tmp:
            model.save_pretrained(str(tmp))
            tok.save_pretrained(str(tmp))
        what = "LoRA adapter"
        if merge:
            model, what = model.merge_and_unload(), "merged model"
    with atomic_dir(out_dir / "final", overwrite=True) as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
        write_json(tmp / "training_report.json", report)
    write_json(out_dir / "report.json", report)
    return what
