"""What the machine offers a run: the dtype it trains in, whether to compile, the peak FLOP/s for MFU."""

import torch

from tinyllm.errors import TinyLLMError

# bf16 dense peak FLOP/s by device name, for MFU. Override with the recipe key peak_tflops.
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "GH200": 989e12, "A100": 312e12, "L40S": 362e12,
             "A10G": 70e12, "A10": 125e12, "L4": 121e12, "4090": 165e12, "3090": 71e12}


def device_peak_flops(peak_tflops: float | None) -> tuple[float | None, str]:
    """(peak FLOP/s, where it came from) for the MFU denominator; None on CPU unless given."""
    if peak_tflops:
        return peak_tflops * 1e12, f"recipe peak_tflops={peak_tflops}"
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        for key, flops in PEAK_BF16.items():
            if key in name:
                return flops, f"{name} bf16 dense {flops / 1e12:.0f} TFLOP/s"
        return None, f"{name}: peak unknown, set peak_tflops"
    return None, "CPU: no peak, set peak_tflops for MFU"


def compile_enabled(cfg) -> bool:
    """The recipe key `compile`: auto compiles on a GPU, where it pays in minutes; on a CPU the
    compile time (a minute or more per shape) outweighs what it saves on a short run."""
    return torch.cuda.is_available() if cfg.compile == "auto" else bool(cfg.compile)


def resolve_dtype(dtype: str) -> str:
    """auto -> bf16 on a GPU that has it, fp16 on other GPUs, fp32 on CPU."""
    if dtype not in ("auto", "fp32", "bf16", "fp16"):
        raise TinyLLMError(f"dtype must be auto, fp32, bf16 or fp16, not '{dtype}'")
    if dtype == "auto":
        if not torch.cuda.is_available():
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if dtype in ("bf16", "fp16") and not torch.cuda.is_available():
        raise TinyLLMError(f"dtype {dtype} needs a GPU; use fp32 (or auto) on CPU")
    return dtype
