"""A lean decode loop on a static KV cache: what the server runs instead of `generate()`.

    python -m tinyllm.decode CHECKPOINT --tokens 256      # batch-1 greedy tokens/s, ours vs generate()

`generate()` spends most of a small model's decode step in Python: cache objects, logits
processors, stopping criteria, per-call dispatch of ~20 modules per layer. Here the step is one
function over fixed-shape tensors: a cache of `max_batch` slots x `max_len` positions allocated
once, each slot at its own position (so requests that arrived at different times decode in one
batch), with the same weights and the same math as `LlamaForCausalLM` (RMSNorm, RoPE from the
model's own rotary table, SDPA, SwiGLU MLP, tied head) and thus the same greedy tokens. The step's
shapes never change, so torch.compile (on a CPU: inductor's C++ code) compiles it once.
Quantized (bitsandbytes) and LoRA models run the same step eagerly through their own modules.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.model import load_checkpoint


@dataclass
class DecodeOptions:
    max_batch: int = 1                 # slots decoded together in one step
    max_len: int | None = None         # positions per slot; default: the model's context
    compile: bool | str = "auto"       # auto: compile the step unless the model is quantized or has adapters


def _base(model):
    """The LlamaForCausalLM under a PEFT wrapper (its LoRA layers stay in place and are called)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def compilable(model) -> bool:
    return getattr(_base(model), "hf_quantizer", None) is None and not hasattr(model, "get_base_model")


class StaticDecoder:
    """Prefill one slot at a time, then step every slot by one token per call."""

    def __init__(self, model, opts: DecodeOptions | None = None):
        import torch

        opts = opts or DecodeOptions()
        self.model = model
        self.lm = _base(model)
        cfg = self.lm.config
        self.max_len = opts.max_len or cfg.max_position_embeddings
        if self.max_len > cfg.max_position_embeddings:
            raise TinyLLMError(f"max_len {self.max_len} exceeds the model's context {cfg.max_position_embeddings}")
        self.max_batch = opts.max_batch
        self.n_heads = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.vocab = cfg.vocab_size
        emb = self.lm.model.embed_tokens.weight
        self.device, self.dtype = emb.device, emb.dtype
        layers = len(self.lm.model.layers)
        shape = (self.max_batch, self.n_kv, self.max_len, self.head_dim)
        self.k = [torch.zeros(shape, device=self.device, dtype=self.dtype) for _ in range(layers)]
        self.v = [torch.zeros(shape, device=self.device, dtype=self.dtype) for _ in range(layers)]
        # The model's own rotary table (its theta and any scaling), computed once for every position.
        positions = torch.arange(self.max_len, device=self.device)[None]
        cos, sin = self.lm.model.rotary_emb(emb[:1][None], positions)
        self.cos, self.sin = cos[0], sin[0]
        self.positions = torch.arange(self.max_len, device=self.device)
        self.rows = torch.arange(self.max_batch, device=self.device)
        want = compilable(model) if opts.compile == "auto" else bool(opts.compile)
        self._step = torch.compile(self._decode, dynamic=False) if want else self._decode
        self.compiled = want

    # -- the math of LlamaForCausalLM on the static cache

    @staticmethod
    def _rope(x, cos, sin):
        import torch

        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def _layers(self, h, cos, sin, write, attend):
        """h [B, L, D] through every decoder layer; `write(i, k, v)` stores this step's keys and values
        and `attend(i, q)` returns attention over the cache."""
        b, n = h.shape[:2]
        for i, layer in enumerate(self.lm.model.layers):
            attn = layer.self_attn
            x = layer.input_layernorm(h)
            q = attn.q_proj(x).view(b, n, self.n_heads, self.head_dim).transpose(1, 2)
            k = attn.k_proj(x).view(b, n, self.n_kv, self.head_dim).transpose(1, 2)
            v = attn.v_proj(x).view(b, n, self.n_kv, self.head_dim).transpose(1, 2)
            q, k = self._rope(q, cos, sin), self._rope(k, cos, sin)
            write(i, k, v)
            out = attend(i, q).transpose(1, 2).reshape(b, n, self.n_heads * self.head_dim)
            h = h + attn.o_proj(out)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        return self.lm.lm_head(self.lm.model.norm(h))

    def _decode(self, tokens, pos, k_cache, v_cache):
        """One token per slot: tokens [B], pos [B] (where each slot's token goes) -> logits [B, V]."""
        import torch.nn.functional as F

        cos, sin = self.cos[pos][:, None, None], self.sin[pos][:, None, None]  # [B, 1, 1, hd]
        mask = (self.positions[None] <= pos[:, None])[:, None, None]          # [B, 1, 1, T]

        def write(i, k, v):
            k_cache[i][self.rows, :, pos] = k[:, :, 0]
            v_cache[i][self.rows, :, pos] = v[:, :, 0]

        def attend(i, q):
            return F.scaled_dot_product_attention(q, k_cache[i], v_cache[i], attn_mask=mask,
                                                  enable_gqa=self.n_kv != self.n_heads)

        h = self.lm.model.embed_tokens(tokens[:, None])
        return self._layers(h, cos, sin, write, attend)[:, 0].float()

    # -- the API

    def prefill(self, slot: int, ids: list[int]):
        """Fill `slot` with a prompt (eagerly: prompts differ in length); logits [V] of its last token."""
        import torch
        import torch.nn.functional as F

        n = len(ids)
        if not 0 < n <= self.max_len:
            raise TinyLLMError(f"prompt of {n} tokens does not fit the cache of {self.max_len} positions")
        cos, sin = self.cos[:n][None, None], self.sin[:n][None, None]
        keys, values = [], []

        def write(i, k, v):
            self.k[i][slot, :, :n] = k[0]
            self.v[i][slot, :, :n] = v[0]
            keys.append(k)
            values.append(v)

        def attend(i, q):
            return F.scaled_dot_product_attention(q, keys[i], values[i], is_causal=True,
                                                  enable_gqa=self.n_kv != self.n_heads)

        with torch.no_grad():
            h = self.lm.model.embed_tokens(torch.tensor([ids], device=self.device))
            return self._layers(h, cos, sin, write, attend)[0, -1].float()

    def step(self, tokens, positions):
        """Logits [max_batch, V] for one token per slot at the given positions (lists or tensors);
        idle slots take any token at any position: their rows are computed and ignored."""
        import torch

        tokens = torch.as_tensor(tokens, device=self.device, dtype=torch.long)
        positions = torch.as_tensor(positions, device=self.device, dtype=torch.long)
        with torch.no_grad():
            return self._step(tokens, positions, self.k, self.v)


def greedy(decoder: StaticDecoder, prompt: list[int], max_new_tokens: int, stops=()) -> list[int]:
    """Batch-1 greedy decoding in slot 0: the new token ids (a stop token ends it and is kept)."""
    logits = decoder.prefill(0, prompt)
    out = []
    pos = len(prompt)
    while True:
        token = int(logits.argmax())
        out.append(token)
        if token in stops or len(out) >= max_new_tokens or pos >= decoder.max_len:
            return out
        logits = decoder.step([token] * decoder.max_batch, [pos] * decoder.max_batch)[0]
        pos += 1


def sample_token(logits, temperature: float = 0.0, top_p: float = 1.0, top_k: int = 0, generator=None) -> int:
    """The next token from logits [V]: argmax when temperature <= 0; otherwise temperature, then top-k,
    then top-p (nucleus) filtering, as generate() orders them, and one draw from `generator`."""
    import torch

    if temperature <= 0:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        drop = cumulative - sorted_logits.softmax(-1) >= top_p  # keep the smallest prefix reaching top_p
        logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    return int(torch.multinomial(logits.softmax(-1), 1, generator=generator))


def time_decode(model, prompt: list[int], tokens: int, runs: int = 2, compile: bool | str = "auto") -> tuple[float, float]:
    """(ours, generate()) batch-1 greedy new tokens/s on `model`, the first run of each a warm-up."""
    import torch

    decoder = StaticDecoder(model, DecodeOptions(max_batch=1, max_len=min(len(prompt) + tokens + 1,
                                                                            model.config.max_position_embeddings),
                                                 compile=compile))
    ids = torch.tensor([prompt])

    def rate(fn):
        times = []
        for _ in range(1 + runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return tokens / (sum(times[1:]) / runs)

    ours = rate(lambda: greedy(decoder, prompt, tokens))
    with torch.no_grad():
        base = rate(lambda: model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                           max_new_tokens=tokens, min_new_tokens=tokens, pad_token_id=0))
    return ours, base


def main(argv=None):
    parser = argparse.ArgumentParser(description="Batch-1 greedy decode speed: static-cache step vs generate().")
    parser.add_argument("checkpoint")
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    model, tok = load_checkpoint(args.checkpoint)
    ours, base = time_decode(model, [tok.bos_token_id], args.tokens, compile=False if args.no_compile else "auto")
    print(f"ours {ours:,.0f} tok/s | generate() {base:,.0f} tok/s | {ours / base:.1f}x")
    return 0


if __name__ == "__main__":
    run_cli(main)
