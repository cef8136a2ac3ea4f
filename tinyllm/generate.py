"""The one way the suite generates text: greedy or sampled, one prompt or a batch, with the KV cache.

    from tinyllm.generate import SamplingOptions, generate
    generate(model, tok, "Once upon a time", SamplingOptions(max_new_tokens=20))          # new token ids
    generate(model, tok, [ids_a, ids_b], SamplingOptions(do_sample=True, temperature=0.8))  # batched

Chat, sampling, evaluation, quantization and the benchmark all call `generate`, so greedy /
sampling options, stop tokens, padding and the cache are translated for `model.generate` in
one place. Commands that sample take their flags from `add_sampling_args`.
"""

import argparse
from dataclasses import dataclass

from tqdm import tqdm

from tinyllm.errors import TinyLLMError
from tinyllm.tokenizer import IM_END

CACHES = ("auto", "static", "dynamic")


@dataclass
class SamplingOptions:
    do_sample: bool = False            # False (or temperature <= 0): greedy decoding
    temperature: float = 1.0
    top_k: int = 0                     # 0: no top-k filter
    top_p: float = 1.0                 # 1.0: no nucleus filter
    repetition_penalty: float = 1.0    # 1.0: none
    max_new_tokens: int = 64
    min_new_tokens: int = 0            # stop tokens suppressed before this many (fixed-length timing)
    seed: int = 0                      # torch.manual_seed before generating
    cache: str = "auto"                # auto: static on a GPU (not for bitsandbytes models), else dynamic

    @property
    def greedy(self) -> bool:
        return not self.do_sample or self.temperature <= 0

    def check(self) -> None:
        if self.max_new_tokens < 1:
            raise TinyLLMError("--max-new-tokens must be at least 1")
        if self.cache not in CACHES:
            raise TinyLLMError(f"cache must be one of {', '.join(CACHES)}, not '{self.cache}'")
        if not self.greedy and not 0 < self.top_p <= 1:
            raise TinyLLMError(f"--top-p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0 or self.repetition_penalty <= 0:
            raise TinyLLMError("--top-k must be >= 0 and --repetition-penalty > 0")

    def generate_kwargs(self) -> dict:
        """model.generate()'s sampling arguments; None turns off what a checkpoint's
        generation_config might otherwise switch on."""
        if self.greedy:
            out = dict(do_sample=False, temperature=None, top_k=None, top_p=None)
        else:
            out = dict(do_sample=True, temperature=self.temperature, top_k=self.top_k or None, top_p=self.top_p)
        if self.repetition_penalty != 1.0:
            out["repetition_penalty"] = self.repetition_penalty
        if self.min_new_tokens:
            out["min_new_tokens"] = self.min_new_tokens
        return out


def add_sampling_args(parser: argparse.ArgumentParser, defaults: SamplingOptions | None = None) -> None:
    """The sampling flags, defined once: --max-new-tokens, --temperature (0: greedy), --top-k,
    --top-p, --repetition-penalty, --seed, --cache; defaults from `defaults`."""
    d = defaults or SamplingOptions(do_sample=True)
    group = parser.add_argument_group("sampling")
    group.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens,
                       help=f"tokens to generate at most (default {d.max_new_tokens})")
    group.add_argument("--temperature", type=float, default=d.temperature,
                       help=f"0 for greedy decoding (default {d.temperature})")
    group.add_argument("--top-k", type=int, default=d.top_k, help=f"0: off (default {d.top_k})")
    group.add_argument("--top-p", type=float, default=d.top_p, help=f"nucleus sampling (default {d.top_p})")
    group.add_argument("--repetition-penalty", type=float, default=d.repetition_penalty,
                       help=f"1.0: none (default {d.repetition_penalty})")
    group.add_argument("--seed", type=int, default=d.seed, help=f"sampling seed (default {d.seed})")
    group.add_argument("--cache", choices=CACHES, default=d.cache,
                       help="KV cache: auto (static on a GPU), static or dynamic (default %(default)s)")


def sampling_options(ns: argparse.Namespace) -> SamplingOptions:
    """SamplingOptions from the flags `add_sampling_args` defined (sampling unless --temperature 0)."""
    opts = SamplingOptions(do_sample=ns.temperature > 0, temperature=ns.temperature, top_k=ns.top_k, top_p=ns.top_p,
                           repetition_penalty=ns.repetition_penalty, max_new_tokens=ns.max_new_tokens, seed=ns.seed,
                           cache=ns.cache)
    opts.check()
    return opts


def stop_ids(tok) -> list[int]:
    """A reply ends at <|im_end|>; </s> also stops a model that was never fine-tuned."""
    ids = [tok.eos_token_id]
    im_end = tok.convert_tokens_to_ids(IM_END)
    if im_end is not None and im_end != tok.unk_token_id:
        ids.insert(0, im_end)
    return ids


def text_prompt_ids(tok, text: str) -> list[int]:
    """A plain-text prompt opened with <s>, as every pretraining document is."""
    return [tok.bos_token_id, *tok.encode(text, add_special_tokens=False)]


def fit_prompt(ids: list[int], window: int, max_new_tokens: int, where: str = "prompt") -> tuple[list[int], str | None]:
    """(ids that fit the model's context with room for `max_new_tokens`, a note when cut).

    A prompt too long is cut from the left (its opening token, <s>, kept): the end of a prompt is
    what the continuation follows. Refused when the new tokens alone fill the context."""
    room = window - max_new_tokens
    if room < 2:
        raise TinyLLMError(f"--max-new-tokens {max_new_tokens} leaves no room for a {where} in the model's context "
                           f"of {window} tokens; lower it")
    if len(ids) <= room:
        return ids, None
    kept = ids[:1] + ids[len(ids) - room + 1:]
    return kept, (f"note: the {where} is {len(ids)} tokens; its first {len(ids) - len(kept)} were cut to fit the "
                  f"model's context of {window} with {max_new_tokens} new tokens")


def cache_arguments(model, cache: str = "auto") -> dict:
    """generate() arguments for the KV cache. A static cache on a GPU is what pays: transformers then
    decodes with a torch.compile'd forward (CUDA graphs, no per-token Python or allocation). `auto`
    keeps the dynamic cache on a CPU and for bitsandbytes models (not compilable)."""
    if cache == "auto":
        on_gpu = next(model.parameters()).device.type == "cuda"
        cache = "static" if on_gpu and getattr(model, "hf_quantizer", None) is None else "dynamic"
    return {"cache_implementation": "static"} if cache == "static" else {}


def generate(model, tok, prompts, opts: SamplingOptions | None = None, *, batch_size: int = 32,
             stop: list[int] | None = None, progress: bool = False, **extra):
    """New token ids for `prompts`: one prompt (text, opened with <s>, or token ids) gives one list,
    a list of prompts one list each, in the callers' order. Each output stops after the first of
    `stop` (default `stop_ids(tok)`; the stop token kept, padding after it dropped). Batches are
    left-padded, longest prompts first (with batch_size 1, in the given order, so one seeded
    random stream runs through the prompts as in a plain loop). `extra` goes to model.generate
    (e.g. a streamer)."""
    import torch  # heavy: imported when generating, so the option parsing above stays light

    opts = opts or SamplingOptions()
    single = isinstance(prompts, str) or (isinstance(prompts, list) and prompts and isinstance(prompts[0], int))
    batch = [prompts] if single else list(prompts)
    batch = [text_prompt_ids(tok, p) if isinstance(p, str) else list(p) for p in batch]
    torch.manual_seed(opts.seed)
    device = next(model.parameters()).device
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    stops = stop_ids(tok) if stop is None else list(stop)
    settings = dict(max_new_tokens=opts.max_new_tokens, eos_token_id=stops, pad_token_id=pad,
                    **opts.generate_kwargs(), **cache_arguments(model, opts.cache), **extra)
    # Longest first keeps padding low; the outputs are put back in the callers' order.
    order = list(range(len(batch))) if batch_size == 1 else sorted(range(len(batch)), key=lambda i: -len(batch[i]))
    outputs = [[] for _ in batch]
    for start in tqdm(range(0, len(order), batch_size), desc="generate", unit="batch", disable=not progress or None):
        idx = order[start:start + batch_size]
        width = max(len(batch[i]) for i in idx)
        ids = torch.tensor([[pad] * (width - len(batch[i])) + batch[i] for i in idx], device=device)
        mask = torch.tensor([[0] * (width - len(batch[i])) + [1] * len(batch[i]) for i in idx], device=device)
        with torch.no_grad():
            out = model.generate(ids, attention_mask=mask, **settings)
        for row, i in enumerate(idx):
            new = out[row, width:].tolist()
            end = next((j for j, t in enumerate(new) if t in stops), None)
            outputs[i] = new if end is None else new[:end + 1]
    return outputs[0] if single else outputs

