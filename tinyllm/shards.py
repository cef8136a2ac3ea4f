"""Memmapped token shards: the pretraining data format.

A data directory holds `train_000.bin`, `train_001.bin`, …, `val_000.bin`, … (flat token ids,
uint16 while the vocab fits, uint32 beyond) and `meta.json` naming the dtype, vocab size,
special ids, tokens and documents per shard, the tokenizer's fingerprint and the sources.
Written by `data_prep.pretokenize`; read here, never loading a whole shard into memory.
"""

import json
from pathlib import Path

import numpy as np

from tinyllm.errors import TinyLLMError
from tinyllm.tokenizer import fingerprint

FORMAT = "tinyllm-shards"
VERSION = 1


def dtype_for_vocab(vocab_size: int) -> str:
    return "uint16" if vocab_size <= 1 << 16 else "uint32"


def read_meta(data_dir) -> dict:
    path = Path(data_dir) / "meta.json"
    if not Path(data_dir).is_dir():
        raise TinyLLMError(f"{data_dir}: data directory not found (make it with data_prep.pretokenize; for the default data: bash recipes/prepare_data.sh)")
    if not path.is_file():
        raise TinyLLMError(f"{path}: not found; {data_dir} is not a pretokenized data directory")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise TinyLLMError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    for key in ("format", "dtype", "vocab_size", "tokenizer_fingerprint", "splits"):
        if key not in meta:
            raise TinyLLMError(f"{path}: missing key '{key}'")
    if meta["format"] != FORMAT or meta.get("version") != VERSION:
        raise TinyLLMError(f"{path}: format {meta['format']} v{meta.get('version')}, expected {FORMAT} v{VERSION}")
    if meta["dtype"] not in ("uint16", "uint32"):
        raise TinyLLMError(f"{path}: dtype '{meta['dtype']}' is not uint16 or uint32")
    return meta


def check_tokenizer(meta: dict, data_dir, tokenizer) -> None:
    """Refuse shards made with another tokenizer: ids would mean different text."""

    where = Path(data_dir) / "meta.json"
    if meta["vocab_size"] != len(tokenizer):
        raise TinyLLMError(f"{where}: vocab size {meta['vocab_size']} does not match the tokenizer's {len(tokenizer)}")
    if meta["tokenizer_fingerprint"] != fingerprint(tokenizer):
        raise TinyLLMError(
            f"{where}: tokenizer fingerprint {meta['tokenizer_fingerprint']} does not match the tokenizer in use "
            f"({fingerprint(tokenizer)}); pretokenize again with this tokenizer"
        )


class TokenStream:
    """The shards of one split seen as one flat array of tokens (memmapped, read on demand)."""

    def __init__(self, data_dir, split: str, meta: dict | None = None, check_ids: bool = True):
        self.data_dir = Path(data_dir)
        self.meta = meta or read_meta(data_dir)
        if split not in self.meta["splits"]:
            raise TinyLLMError(f"{self.data_dir / 'meta.json'}: no '{split}' split")
        self.dtype = np.dtype(self.meta["dtype"])
        self.paths, lengths = [], []
        for shard in self.meta["splits"][split]["shards"]:
            path = self.data_dir / shard["file"]
            if not path.is_file():
                raise TinyLLMError(f"{path}: shard listed in meta.json is missing")
            size = path.stat().st_size
            if size % self.dtype.itemsize:
                raise TinyLLMError(f"{path}: size {size} bytes is not a multiple of {self.dtype.itemsize} ({self.dtype})")
            if size // self.dtype.itemsize != shard["tokens"]:
                raise TinyLLMError(f"{path}: holds {size // self.dtype.itemsize} tokens, meta.json says {shard['tokens']}")
            self.paths.append(path)
            lengths.append(shard["tokens"])
        self.offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        self._maps = None
        if check_ids:
            self._check_ids()

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _shards(self):
        if self._maps is None:
            self._maps = [np.memmap(p, dtype=self.dtype, mode="r") for p in self.paths]
        return self._maps

    def __getstate__(self):  # DataLoader workers reopen the memmaps instead of copying them
        state = dict(self.__dict__)
        state["_maps"] = None
        return state

    def _check_ids(self, chunk: int = 1 << 24) -> None:
        vocab = self.meta["vocab_size"]
        for path, shard in zip(self.paths, self._shards()):
            for start in range(0, len(shard), chunk):
                top = int(shard[start:start + chunk].max())
                if top >= vocab:
                    raise TinyLLMError(f"{path}: token id {top} >= vocab size {vocab}")

    def read(self, start: int, length: int) -> np.ndarray:
        """Tokens [start, start+length) as int64, crossing shard boundaries as needed."""
        if start < 0 or start + length > len(self):
            raise IndexError(f"tokens [{start}, {start + length}) outside 0..{len(self)}")
        out = np.empty(length, dtype=np.int64)
        shard = int(np.searchsorted(self.offsets, start, side="right")) - 1
        filled = 0
        maps = self._shards()
        while filled < length:
            local = start + filled - int(self.offsets[shard])
            take = min(length - filled, len(maps[shard]) - local)
            out[filled:filled + take] = maps[shard][local:local + take]
            filled += take
            shard += 1
        return out


class WindowDataset:
    """Non-overlapping windows of seq_len + 1 tokens: inputs are the first seq_len, targets the last.

    Window i covers tokens [i*(seq_len+1), (i+1)*(seq_len+1)) of the split's flat stream, so a
    window may span two shards. The training order is the sampler's (seeded); `indices` picks
    a fixed subset (evenly spaced validation windows).
    """

    def __init__(self, stream: TokenStream, seq_len: int, indices=None, split_name: str = ""):
        self.stream, self.seq_len = stream, seq_len
        n = len(stream) // (seq_len + 1)
        if n == 0:
            raise TinyLLMError(
                f"{stream.data_dir}: the {split_name or 'data'} split has {len(stream)} tokens, "
                f"fewer than one window of seq_len+1 = {seq_len + 1}; lower seq_len or add data"
            )
        self.indices = np.arange(n) if indices is None else np.asarray(indices)
        self.n_windows = n

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        import torch

        start = int(self.indices[i]) * (self.seq_len + 1)
        window = torch.from_numpy(self.stream.read(start, self.seq_len + 1))
        targets = window[1:]
        # `shift_labels` tells transformers' causal-LM loss the targets are already shifted, so
        # all seq_len positions are trained; `labels` holds the same (it must be present, and it
        # is what the Trainer counts to normalise the loss across accumulation steps).
        return {"input_ids": window[:-1], "labels": targets, "shift_labels": targets}


def evenly_spaced(n_total: int, n_pick: int) -> np.ndarray:
    if n_pick >= n_total:
        return np.arange(n_total)
    return np.linspace(0, n_total - 1, n_pick).round().astype(np.int64)
