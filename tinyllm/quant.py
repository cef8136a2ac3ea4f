"""bitsandbytes quantization of a checkpoint (int8, nf4, fp4) and the measurements of what it costs.

Quantizing is transformers' own path: `from_pretrained(..., quantization_config=BitsAndBytesConfig(...))`
replaces every `nn.Linear` (but the ones kept) by bitsandbytes' `Linear8bitLt` / `Linear4bit`, and
`save_pretrained` writes the packed weights and their scales as safetensors, with the settings in
config.json, so `AutoModelForCausalLM.from_pretrained` loads the result as it is. What is added here,
and why:
- an already-quantized checkpoint is refused: transformers would quietly load and save it again;
- a LoRA adapter directory is merged into its base first (bitsandbytes quantizes plain Linear layers);
- the modules kept in full precision are checked: a misspelt name would silently match nothing, and
  a tied lm_head *is* the input embedding, which bitsandbytes does not quantize (embeddings and
  norms always stay in the checkpoint's dtype);
- `memory_bytes` counts what a quantized model holds: bitsandbytes keeps the int8 row scales and
  the 4-bit block absmax and code tables outside `parameters()`, so parameter sizes alone undercount;
- `portable_4bit` (tinyllm.patches, with bitsandbytes' other workarounds): on CPUs with AVX512-BF16, bitsandbytes 0.50.2's repacked 4-bit kernel fails for
  some widths and is saved wrongly; tinyllm's loaders use the portable path instead; and its C
  dequantize kernel for CPUs is wrong for rows whose width is 32 more than a multiple of 64 (the
  24m model's 288), so 4-bit layers on a CPU dequantize through bitsandbytes' generic torch code;
- `tokens_per_second`: greedy generation speed with the KV cache, as a user would chat.
"""

import json
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tinyllm.atomic import atomic_dir
from tinyllm.checkpoint_check import verify_checkpoint
from tinyllm.errors import TinyLLMError
from tinyllm.generate import SamplingOptions, generate, text_prompt_ids
from tinyllm.model import load_checkpoint, model_window
from tinyllm.ownership import check_replaceable
from tinyllm.patches import portable_4bit
from tinyllm.tokenizer import load_tokenizer

METHODS = ("int8", "nf4", "fp4")
COMPUTE_DTYPES = ("auto", "fp32", "bf16", "fp16")
DEFAULT_KEEP = ("lm_head",)


def describe(quantization: dict) -> str:
    """'bitsandbytes nf4' and the like, from a config.json `quantization_config`."""
    method = quantization.get("quant_method", "unknown method")
    if quantization.get("load_in_8bit") or quantization.get("_load_in_8bit"):
        return f"{method} int8"
    if quantization.get("load_in_4bit") or quantization.get("_load_in_4bit"):
        return f"{method} {quantization.get('bnb_4bit_quant_type', '4-bit')}"
    return str(method)


def quantization_of(checkpoint) -> dict | None:
    """The `quantization_config` of a checkpoint (or of a LoRA adapter's base), None for a plain one."""
    path = Path(checkpoint)
    config = path / "config.json"
    adapter = path / "adapter_config.json"
    if adapter.is_file() and not config.is_file():
        base = json.loads(adapter.read_text()).get("base_model_name_or_path")
        config = Path(base or "") / "config.json"
    if not config.is_file():
        return None  # load_checkpoint says what is wrong with the directory
    try:
        return json.loads(config.read_text()).get("quantization_config")
    except json.JSONDecodeError as err:
        raise TinyLLMError(f"{config}:{err.lineno}: not valid JSON ({err.msg})") from None


def check_not_quantized(checkpoint) -> None:
    quantization = quantization_of(checkpoint)
    if quantization:
        raise TinyLLMError(f"{checkpoint}: already quantized ({describe(quantization)}); quantize the original "
                           f"full-precision checkpoint instead")


def bnb_config(method: str, double_quant: bool = False, keep_modules=DEFAULT_KEEP, int8_threshold: float = 6.0,
               compute_dtype: str = "auto"):
    """transformers' BitsAndBytesConfig for one of METHODS."""
    import torch
    from transformers import BitsAndBytesConfig

    if method not in METHODS:
        raise TinyLLMError(f"unknown quantization method '{method}' (choose from {', '.join(METHODS)})")
    if compute_dtype not in COMPUTE_DTYPES:
        raise TinyLLMError(f"unknown compute dtype '{compute_dtype}' (choose from {', '.join(COMPUTE_DTYPES)})")
    keep = list(keep_modules)
    if method == "int8":
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_threshold=int8_threshold, llm_int8_skip_modules=keep)
    if compute_dtype == "auto":
        compute_dtype = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[compute_dtype]
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=method, bnb_4bit_use_double_quant=double_quant,
                              bnb_4bit_compute_dtype=dtype, llm_int8_skip_modules=keep)


def check_keep_modules(checkpoint, keep_modules) -> None:
    """Every kept pattern must name a module; a tied lm_head must be kept (it is the embedding)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.quantizers.quantizers_utils import should_convert_module

    verify_checkpoint(checkpoint)  # a config of a billion layers would be built here, even on meta
    config = AutoConfig.from_pretrained(str(checkpoint))
    with torch.device("meta"):  # module names only: no weights are allocated or read
        model = AutoModelForCausalLM.from_config(config)
    names = [name for name, _ in model.named_modules() if name]
    for pattern in keep_modules:
        if all(should_convert_module(name, [pattern]) for name in names):
            raise TinyLLMError(f"recipe key 'keep_modules': '{pattern}' matches no module of {checkpoint} "
                               f"(e.g. lm_head, down_proj, model.layers.0)")
    if getattr(config, "tie_word_embeddings", False) and should_convert_module("lm_head", list(keep_modules)):
        raise TinyLLMError(f"recipe key 'keep_modules' must keep lm_head: in {checkpoint} it is tied to the input "
                           f"embedding, which bitsandbytes does not quantize")


@contextmanager
def plain_checkpoint(checkpoint):
    """Yield (directory of a plain HF checkpoint, merged): the checkpoint itself, or for a LoRA adapter
    directory its base with the adapter merged, written to a temporary directory removed afterwards."""
    path = Path(checkpoint)
    if not (path / "adapter_config.json").is_file():
        yield path, False
        return
    model, tok = load_checkpoint(path)
    merged = model.merge_and_unload()
    tmp = Path(tempfile.mkdtemp(prefix="tinyllm-merged-"))
    try:
        merged.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
        del model, merged
        yield tmp, True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def quantize(checkpoint, config, device: str = "cpu"):
    """The plain checkpoint loaded through bitsandbytes with `config` (quantized as it loads)."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModelForCausalLM.from_pretrained(str(checkpoint), quantization_config=config,
                                                 device_map={"": device}, use_safetensors=True)
    model.eval()
    return portable_4bit(model)


def load_quantized(checkpoint, device: str = "cpu"):
    """(model, tokenizer) of a checkpoint on `device`: bitsandbytes settings come from its config.json."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    verify_checkpoint(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(str(checkpoint), device_map={"": device}, use_safetensors=True)
    model.eval()
    return portable_4bit(model), load_tokenizer(checkpoint)


def save_quantized(model, tok, out_dir, overwrite: bool = False, inputs: dict | None = None) -> None:
    """model + tokenizer to `out_dir`, atomically (safetensors; bitsandbytes settings in config.json)."""

    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise TinyLLMError(f"{out_dir}: already exists; pass overwrite=true to replace it")
    check_replaceable(out_dir, inputs or {})
    with atomic_dir(out_dir, overwrite=overwrite, owner="quantized checkpoint") as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))


def disk_bytes(checkpoint) -> dict:
    """Bytes on disk of a checkpoint directory: all its files, and the weight files alone."""
    files = [p for p in Path(checkpoint).iterdir() if p.is_file()]
    return {"disk_bytes": sum(p.stat().st_size for p in files),
            "weights_bytes": sum(p.stat().st_size for p in files if p.suffix == ".safetensors")}


def memory_bytes(model) -> int:
    """Bytes of every tensor the model holds, each storage once (tied weights share one): parameters,
    buffers, and bitsandbytes' quantization state (int8: per-row scales; 4-bit: per-block absmax and
    the code table, and with double quant the second level's), which is not among `parameters()`."""
    import torch

    storages = {}

    def add(t):
        if isinstance(t, torch.Tensor) and t.numel():
            storages[(t.device, t.untyped_storage().data_ptr())] = t.untyped_storage().nbytes()

    for p in model.parameters():
        add(p)
        add(getattr(p, "SCB", None))  # Int8Params: row scales
        state = getattr(p, "quant_state", None)  # Params4bit
        while state is not None:
            for t in (state.absmax, state.code, getattr(state, "offset", None)):
                add(t)
            state = getattr(state, "state2", None)
    for b in model.buffers():
        add(b)
    return sum(storages.values())


def tokens_per_second(model, tok, new_tokens: int = 128, runs: int = 3, prompt: str = "Once upon a time") -> dict:
    """Greedy generation speed at batch 1 with the (dynamic, as for every model compared) KV cache:
    `runs` timed generations of exactly `new_tokens` tokens (fewer if the window is shorter) after
    a short warm-up."""
    import torch

    ids = text_prompt_ids(tok, prompt)
    n = max(1, min(new_tokens, model_window(model) - len(ids)))
    device = next(model.parameters()).device

    def generated(k):
        # min_new_tokens = max_new_tokens: no stop token can end a timed run early.
        return len(generate(model, tok, ids, SamplingOptions(max_new_tokens=k, min_new_tokens=k, cache="dynamic")))

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    generated(min(8, n))  # warm-up: first calls allocate and pick kernels
    sync()
    start = time.perf_counter()
    total = sum(generated(n) for _ in range(runs))
    sync()
    seconds = time.perf_counter() - start
    return {"tokens_per_s": total / seconds, "new_tokens": total, "seconds": seconds,
            "runs": runs, "prompt": prompt, "device": device_name(device)}


def device_name(device) -> str:
    import platform

    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device != "cpu" and not device.startswith("cuda"):
        raise TinyLLMError(f"device must be auto, cpu or cuda[:N], not '{device}'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TinyLLMError(f"device '{device}' asked for, but no GPU is visible; use cpu (or auto)")
    return "cuda:0" if device == "cuda" else device  # an explicit index for accelerate's device_map
