"""What tinyllm may delete: only a directory it made itself, and never one that holds a command's input.

Every directory tinyllm writes whole (a run's out_dir, data_prep's outputs, quantized checkpoints,
imports) carries MARKER. `check_replaceable(path, inputs)` is called before anything in `path` is
removed under `overwrite`: it refuses, naming both paths, when `path` lacks the marker or is, holds or
sits inside one of `inputs` (data_dir, model, tokenizer, SFT / preference files of the same command).
An empty directory holds nothing to lose and may be replaced.
"""

from pathlib import Path

from tinyllm.errors import TinyLLMError

MARKER = ".tinyllm-owned"  # written into every directory tinyllm makes; its presence is the licence to delete
# Files tinyllm keeps beside a run's contents, never removed by overwrite (the lock is held while it clears)
KEEP = {MARKER, ".tinyllm.lock", ".tinyllm.lock.holder", "logs"}


def mark(directory, what: str) -> None:
    """Record that tinyllm made `directory` (so a later `overwrite` may replace it)."""
    # a plain write: the marker says only who made the directory (tinyllm.atomic imports this module)
    (Path(directory) / MARKER).write_text(f"made by tinyllm: {what}\n", encoding="utf-8")


def is_marked(directory) -> bool:
    return (Path(directory) / MARKER).is_file()


def overlap(path, other) -> bool:
    """True when `path` is `other`, holds it or sits inside it (after resolving links)."""
    a, b = Path(path).resolve(), Path(other).resolve()
    return a == b or a in b.parents or b in a.parents


def existing_inputs(inputs: dict) -> dict[str, Path]:
    """{name: path} for the inputs that are paths on disk (None and hub names are left out)."""
    found = {}
    for name, value in inputs.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for i, v in enumerate(values):
            if isinstance(v, (str, Path)) and str(v) and Path(v).exists():
                found[name if len(values) == 1 else f"{name}[{i}]"] = Path(v)
    return found


def check_not_an_input(out, inputs: dict, out_key: str = "out_dir") -> None:
    """Refuse an output path that is, holds or sits inside one of the command's inputs."""
    for name, path in existing_inputs(inputs).items():
        if overlap(out, path):
            raise TinyLLMError(f"{out}: {out_key} overlaps the input {name}={path} (an output may not be, hold or sit "
                               f"inside an input); choose another {out_key}")


def check_replaceable(path, inputs: dict, out_key: str = "out_dir", flag: str = "overwrite=true") -> None:
    """Refuse to replace `path` unless tinyllm made it and it is no input of this command (module docstring)."""
    path = Path(path)
    check_not_an_input(path, inputs, out_key)
    if not path.exists():
        return
    if not path.is_dir():
        raise TinyLLMError(f"{path}: {out_key} exists and is not a directory; {flag} only replaces a directory tinyllm made")
    held = [p for p in path.iterdir() if p.name not in KEEP]
    if held and not is_marked(path):
        raise TinyLLMError(f"{path}: not made by tinyllm (no {MARKER} marker, holds {held[0].name}); {flag} only "
                           f"replaces tinyllm's own directories: choose another {out_key} or empty it yourself")
