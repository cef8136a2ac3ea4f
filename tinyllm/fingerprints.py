"""Content fingerprints of what a run depends on, so resume checks contents and not only paths.

`input_fingerprints(cfg)` hashes every input key a stage recipe has (INPUT_KEYS): a file by its bytes,
a shard directory by its meta.json (which names the tokenizer's fingerprint and every shard's size;
its timing fields left out), any other directory (a tokenizer, a checkpoint, a preference dataset) by
the names and bytes of its files. run.json keeps them; a resumed run must find the same.
"""

import hashlib
import json
from pathlib import Path

# Recipe keys that name inputs, across the stages (a key a stage lacks is skipped).
INPUT_KEYS = ("data_dir", "tokenizer", "model", "train_data", "val_data", "data", "prompts", "reward_model")
META_TIMING = ("seconds", "tokens_per_second")  # differ between two identical pretokenize runs


def sha256_file(path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _files(directory: Path) -> list[Path]:
    """Regular files under `directory`, hidden ones (markers, locks) left out, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(directory).parts))


def fingerprint_path(path) -> str:
    """A short content hash of a file or a directory (module docstring)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(sha256_file(path).encode())
    elif (path / "meta.json").is_file() and list(path.glob("*.bin")):
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        for key in META_TIMING:
            meta.pop(key, None) if isinstance(meta, dict) else None
        digest.update(json.dumps(meta, sort_keys=True).encode())
    else:
        for file in _files(path):
            digest.update(f"{file.relative_to(path).as_posix()}\0{sha256_file(file)}\0".encode())
    return digest.hexdigest()[:16]


def input_fingerprints(cfg) -> dict[str, str]:
    """{recipe key: fingerprint} for the recipe's inputs that are paths on disk."""
    found = {}
    for key in INPUT_KEYS:
        value = getattr(cfg, key, None)
        if isinstance(value, str) and value and Path(value).exists():
            found[key] = fingerprint_path(value)
    return found
