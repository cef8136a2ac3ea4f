"""Model sizes and the builder: a plain `transformers.LlamaForCausalLM`, no remote code.

    python -m tinyllm.model            # parameter counts of every size at vocab 4096 and 64793

Dims follow the original project's training scripts (dim / layers / heads / kv heads); FFN
width is computed as llama2.c does; input and output embeddings are tied.
"""

import argparse
from dataclasses import dataclass
from pathlib import Path

from tinyllm.checkpoint_check import check_config, check_tokenizer_fits, check_weights, read_config
from tinyllm.errors import TinyLLMError
from tinyllm.patches import portable_4bit
from tinyllm.tokenizer import load_tokenizer


@dataclass(frozen=True)
class Size:
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int


SIZES = {
    "tiny": Size(64, 2, 4, 4),  # for tests and the CPU quickstart
    "9m": Size(120, 6, 6, 6),
    "24m": Size(288, 6, 6, 6),
    "58m": Size(512, 8, 8, 8),
    "134m": Size(768, 12, 12, 12),
    "256m": Size(1024, 16, 16, 16),
}


def ffn_hidden_dim(dim: int, multiple_of: int = 32) -> int:
    """llama2.c: 2/3 of 4*dim, rounded up to a multiple of `multiple_of`."""
    hidden = int(2 * (4 * dim) / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def get_size(name: str) -> Size:
    if name not in SIZES:
        raise TinyLLMError(f"unknown model size '{name}' (choose from {', '.join(SIZES)})")
    return SIZES[name]


def llama_config(size: "str | Size", vocab_size: int, max_seq_len: int, bos_id=1, eos_id=2, pad_id=None,
                 hidden_dim: int | None = None):
    """The suite's LlamaConfig for a named size (or explicit Size; `hidden_dim` for models made elsewhere)."""
    from transformers import LlamaConfig

    s = size if isinstance(size, Size) else get_size(size)
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=s.dim,
        intermediate_size=hidden_dim or ffn_hidden_dim(s.dim),
        num_hidden_layers=s.n_layers,
        num_attention_heads=s.n_heads,
        num_key_value_heads=s.n_kv_heads,
        max_position_embeddings=max_seq_len,
        rms_norm_eps=1e-5,
        tie_word_embeddings=True,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        attn_implementation="sdpa",
    )


def build_model(size: str, vocab_size: int, max_seq_len: int, seed: int = 0, **special_ids):
    """A freshly initialised LlamaForCausalLM of the named size (weights fixed by `seed`)."""
    import torch
    from transformers import LlamaForCausalLM

    config = llama_config(size, vocab_size, max_seq_len, **special_ids)
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def model_window(model) -> int:
    """Positions the model attends over (its context length); 2048 for a config that does not say."""
    return int(getattr(model.config, "max_position_embeddings", 0) or 2048)


def weights_format(path, allow_pickle: bool = False) -> bool:
    """True to load safetensors; pickled `.bin` weights (which can run code when unpickled) only
    with `allow_pickle`, and then through torch.load(weights_only=True) as transformers does."""
    path = Path(path)
    if any(path.glob("*.safetensors")):
        return True
    if any(path.glob("*.bin")) and not allow_pickle:
        raise TinyLLMError(f"{path}: holds pickled .bin weights, not safetensors; loading them needs an explicit "
                           f"opt-in (allow_pickle=True, or --allow-pickle-weights where a command offers it)")
    if not any(path.glob("*.bin")):
        raise TinyLLMError(f"{path}: no model weights (no *.safetensors)")
    return False


def load_checkpoint(checkpoint, train: bool = False, allow_pickle: bool = False):
    """(model, tokenizer) from a checkpoint directory: plain HF, safetensors, no remote code."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    path = Path(checkpoint)
    hf_logging.disable_progress_bar()  # a weight-loading bar for a model this small is noise
    if (path / "adapter_config.json").is_file():
        return _load_adapter(path, train)
    if not (path / "config.json").is_file():
        raise TinyLLMError(f"{path}: not a checkpoint directory (no config.json)")
    # The config first: the tokenizer loader reads config.json too and would blame itself for it.
    config = read_config(path)
    check_config(config, path)
    tok = load_tokenizer(path)
    check_tokenizer_fits(config, tok, path)
    safetensors = weights_format(path, allow_pickle)
    check_weights(config, path)  # before from_pretrained allocates what config.json describes
    model = AutoModelForCausalLM.from_pretrained(str(path), use_safetensors=safetensors)
    if getattr(model, "is_loaded_in_4bit", False):  # a stages.quantize checkpoint: see tinyllm.patches
        portable_4bit(model)
    model.train(train)
    return model, tok


def _load_adapter(path, train: bool):
    """A LoRA adapter directory (stages.sft with merge=false): its base model plus the adapter."""
    import json

    from peft import PeftModel

    base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if not base or not (Path(base) / "config.json").is_file():
        raise TinyLLMError(f"{path}: LoRA adapter whose base model {base!r} is not found (paths are relative to "
                           f"where training ran)")
    model, _ = load_checkpoint(base)
    tok = load_tokenizer(path)
    model = PeftModel.from_pretrained(model, str(path), is_trainable=train)
    model.train(train)
    return model, tok


def training_flops_per_token(n_params: int, n_layers: int, dim: int, seq_len: int, n_trainable: int | None = None) -> int:
    """Model FLOPs per trained token: forward 2N, backward 2N for activations plus 2N for the
    weight gradients of what is trained (6N in full training, 4N + 6·LoRA with adapters),
    plus attention 12·layers·dim·seq_len."""
    trainable = n_params if n_trainable is None else n_trainable
    return 4 * n_params + 2 * trainable + 12 * n_layers * dim * seq_len


def count_params(size: str, vocab_size: int) -> int:
    """Parameters of the model, the tied embedding counted once (computed, not built)."""
    s = get_size(size)
    head_dim = s.dim // s.n_heads
    attn = s.dim * s.dim * 2 + s.dim * (s.n_kv_heads * head_dim) * 2  # wq, wo, wk, wv
    ffn = 3 * s.dim * ffn_hidden_dim(s.dim)
    norms = 2 * s.dim
    return vocab_size * s.dim + s.n_layers * (attn + ffn + norms) + s.dim


def flops_per_token(size: str, vocab_size: int, seq_len: int) -> int:
    """Training FLOPs per token: 6*N (tied embedding once) + 12*layers*dim*seq_len (attention)."""
    s = get_size(size)
    return training_flops_per_token(count_params(size, vocab_size), s.n_layers, s.dim, seq_len)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print the parameter count of every model size.")
    parser.add_argument("--vocab", type=int, nargs="+", default=[4096, 64793], help="vocab sizes")
    args = parser.parse_args(argv)
    header = "| size | dim | layers | heads | kv heads | ffn | " + " | ".join(f"params @ vocab {v}" for v in args.vocab) + " |"
    print(header)
    print("|" + "---|" * (6 + len(args.vocab)))
    for name, s in SIZES.items():
        counts = " | ".join(f"{count_params(name, v) / 1e6:.2f}M" for v in args.vocab)
        print(f"| {name} | {s.dim} | {s.n_layers} | {s.n_heads} | {s.n_kv_heads} | {ffn_hidden_dim(s.dim)} | {counts} |")


if __name__ == "__main__":
    from tinyllm.errors import run_cli

    run_cli(main)
