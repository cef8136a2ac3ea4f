"""What the machine offers a run: the dtype it trains in, whether to compile, the peak FLOP/s for MFU."""

import torch

from tinyllm.errors import TinyLLMError

# bf16 dense peak FLOP/s (no sparsity) by the exact name torch.cuda.get_device_name() reports, for MFU.
# Matched whole, never by substring: an L40 is not an L4, an H100 PCIe is not an SXM. Any other device
# gets no peak (MFU n/a, with its name); set the recipe key peak_tflops for it.
PEAK_BF16 = {
    "NVIDIA H100 80GB HBM3": 989e12,   # SXM5
    "NVIDIA H100 SXM5 80GB": 989e12,
    "NVIDIA H100 PCIe": 756e12,
    "NVIDIA H100 NVL": 835e12,
    "NVIDIA H200": 989e12,             # SXM
    "NVIDIA H200 NVL": 835e12,
    "NVIDIA GH200 480GB": 989e12,
    "NVIDIA A100-SXM4-80GB": 312e12,
    "NVIDIA A100-SXM4-40GB": 312e12,
    "NVIDIA A100 80GB PCIe": 312e12,
    "NVIDIA A100-PCIE-40GB": 312e12,
    "NVIDIA L40S": 362e12,
    "NVIDIA L40": 181e12,
    "NVIDIA L4": 121e12,
    "NVIDIA A10G": 70e12,
    "NVIDIA A10": 125e12,
    "NVIDIA GeForce RTX 4090": 165e12,
    "NVIDIA GeForce RTX 3090": 71e12,
}


def peak_for(name: str) -> tuple[float | None, str]:
    """(bf16 dense peak FLOP/s, where it came from) for a device name; None when the name is not in the table."""
    flops = PEAK_BF16.get(name.strip())
    if flops is None:
        return None, f"{name}: peak unknown (MFU n/a), set peak_tflops"
    return flops, f"{name} bf16 dense {flops / 1e12:.0f} TFLOP/s"


def device_peak_flops(peak_tflops: float | None) -> tuple[float | None, str]:
    """(peak FLOP/s, where it came from) for the MFU denominator; None on CPU or an unknown GPU unless given."""
    if peak_tflops:
        return peak_tflops * 1e12, f"recipe peak_tflops={peak_tflops}"
    if torch.cuda.is_available():
        return peak_for(torch.cuda.get_device_name())
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
