"""Model sizes and the builder: a plain `transformers.LlamaForCausalLM`, no remote code.

    python -m tinyllm.model            # parameter counts of every size at vocab 4096 and 64793

Dims follow the original project's training scripts (dim / layers / heads / kv heads); FFN
width is computed as llama2.c does; input and output embeddings are tied.
"""

import argparse
from dataclasses import dataclass

from tinyllm.errors import TinyLLMError


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


def llama_config(size: str, vocab_size: int, max_seq_len: int, bos_id=1, eos_id=2, pad_id=None):
    from transformers import LlamaConfig

    s = get_size(size)
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=s.dim,
        intermediate_size=ffn_hidden_dim(s.dim),
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
    return 6 * count_params(size, vocab_size) + 12 * s.n_layers * s.dim * seq_len


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
