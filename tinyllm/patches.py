"""Every change tinyllm makes to a dependency's behaviour, in one place, applied explicitly.

    from tinyllm import patches; patches.apply()      # once, at the start of an entry point

Each entry says which version needs it and how to tell when it can go. Every patch is idempotent.
Third-party start-up chatter (warnings a user can do nothing about) is silenced here too, by one
filter per message; `TINYLLM_VERBOSE=1` (or a stage's `--verbose`) keeps all of it.
`apply()` is cheap by default; the DeepSpeed and bitsandbytes patches import those libraries, so they
are asked for by the runs that use them. `portable_4bit` is applied to each 4-bit model that is loaded
(it is a setting of the model's layers) and brings the bitsandbytes kernel patch with it.
"""

import logging
import os
import warnings

_applied: set[str] = set()
VERBOSE_ENV = "TINYLLM_VERBOSE"


def verbose() -> bool:
    """True when the user asked to see every third-party message (TINYLLM_VERBOSE=1)."""
    return os.environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no")


class _DropMessages(logging.Filter):
    """Drops a logger's records whose message starts with one of `starts`; the rest pass."""

    def __init__(self, *starts: str):
        super().__init__()
        self.starts = starts

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.starts)


def apply(deepspeed: bool = False, bitsandbytes: bool = False, trl: bool = False) -> None:
    """Apply the process-wide patches (once each); `deepspeed` / `bitsandbytes` / `trl` for runs that use them."""
    _quiet_logs()
    _no_progress_bars()
    if trl:
        compact_fused_logprobs_on_cpu()
    if deepspeed:
        weights_only_deepspeed_loads()
    if bitsandbytes:
        correct_cpu_dequantize()


def _once(name: str) -> bool:
    """True the first time `name` is asked for (the patch should be applied now)."""
    if name in _applied:
        return False
    _applied.add(name)
    return True


def _quiet_logs() -> None:
    if verbose() or not _once("logs"):
        return
    # transformers 5.23 renamed gradient to activation checkpointing; the Trainer, TRL and PEFT still call
    # the old names (is_gradient_checkpointing, gradient_checkpointing_enable / _disable, the
    # gradient_checkpointing attribute). Nothing for a user to change. Remove when a run shows no such
    # FutureWarning without this filter (a transformers / TRL / PEFT upgrade that stops calling them).
    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing\w*` is deprecated", category=FutureWarning)
    # DeepSpeed 0.19.8's ZeRO calls torch 2.13's all_gather_into_tensor / reduce_scatter_tensor, which
    # warn on every call (880 lines in a 2-process ZeRO-3 test run). Remove when DeepSpeed calls the
    # *_single names (a ZeRO run without this filter prints no such FutureWarning).
    warnings.filterwarnings("ignore", message=r"`torch\.distributed\.(all_gather_into_tensor|reduce_scatter_tensor)` "
                            r"is deprecated", category=FutureWarning)
    # torch 2.13's weights-only unpickler warns "Detected pickle protocol 4 in the checkpoint" on every
    # ZeRO shard DeepSpeed 0.19.8 writes, when a run resumes (weights_only_deepspeed_loads below); the
    # shards load right (tests/tinyllm/test_deepspeed.py). Remove when DeepSpeed saves with torch's default protocol.
    warnings.filterwarnings("ignore", message=r"Detected pickle protocol \d+ in the checkpoint", category=UserWarning)
    # DeepSpeed 0.19.8 logs "Setting accelerator to CPU. If you have GPU ..." (to stdout) when it is
    # imported on a machine without a GPU and DS_ACCELERATOR unset; the stage's header line already
    # says the run is on CPU. A filter, not a level: DeepSpeed sets its logger's level when imported.
    # Remove when `python -c "import deepspeed"` on a CPU machine prints nothing.
    logging.getLogger("DeepSpeed").addFilter(_DropMessages("Setting accelerator to CPU"))
    # bitsandbytes 0.50.2 warns on every import on CPUs with AVX512-BF16 ("Failed to load CPU
    # gemm_4bit_forward from kernels-community: No module named 'kernels'"): an optional hub kernel
    # the suite never downloads; the built-in CPU path is used. Set before bitsandbytes is imported
    # (trl imports it). Remove when `import bitsandbytes` is quiet.
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    # bitsandbytes 0.50.2 warns on every int8 forward that activations are cast to fp16 (that is how
    # LLM.int8() works, and the quantize report says so): it would flood an offline log. Keep while
    # int8 forwards log that warning.
    logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
    # transformers 5.23 tokenizers warn "Token indices sequence length is longer than the specified
    # maximum sequence length for this model" when a whole document is encoded; tinyllm encodes
    # documents whole on purpose and cuts them into windows / drops or counts them itself
    # (data_prep.sft, eval's per-document perplexity). Keep while tinyllm encodes before cutting.
    logging.getLogger("transformers.tokenization_utils_base").addFilter(
        _DropMessages("Token indices sequence length is longer than the specified maximum"))


def _no_progress_bars() -> None:
    if not _once("progress_bars"):
        return
    # transformers 5.23 shows a "Writing model shards" / weight-loading bar per save and load; between the
    # step log's lines they break it. Not a bug: this stays as long as tinyllm prints its own step log.
    from transformers.utils import logging as hf_logging  # heavy third-party import

    hf_logging.disable_progress_bar()


def weights_only_deepspeed_loads() -> None:
    """Make DeepSpeed read its checkpoint shards with torch.load(weights_only=True).

    DeepSpeed 0.19's TorchCheckpointEngine loads them with weights_only=False, so resuming from a
    checkpoint directory someone else wrote could run any code pickled into it. Its ZeRO-1/2/3
    checkpoints need only these three DeepSpeed classes beyond tensors and containers (found with
    torch.serialization.get_unsafe_globals_in_checkpoint); anything else is refused by torch's
    weights-only unpickler. Remove when TorchCheckpointEngine.load passes weights_only=True itself
    (tests/tinyllm/test_deepspeed.py's hostile-shard test then passes without this patch).
    """
    if not _once("deepspeed_loads"):
        return
    # Heavy third-party imports: only runs that use DeepSpeed ask for this patch.
    import torch
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine
    from deepspeed.runtime.fp16.loss_scaler import LossScaler
    from deepspeed.runtime.zero.config import ZeroStageEnum
    from deepspeed.utils.tensor_fragment import fragment_address

    def load(self, path: str, map_location=None):
        with torch.serialization.safe_globals([LossScaler, ZeroStageEnum, fragment_address]):
            return torch.load(path, map_location=map_location, weights_only=True)

    TorchCheckpointEngine.load = load


def compact_fused_logprobs_on_cpu() -> None:
    """Make TRL's fused LM head score only the labelled positions on a CPU, as it does on a GPU.

    TRL 1.16's DPO and GRPO trainers project hidden states to log-probs through the LM head in tiles
    (trl.trainer.utils.add_fused_lm_head). With Triton (CUDA / XPU) it first keeps only the positions
    whose label is not -100; elsewhere it scores every position, to keep tile shapes fixed for
    compilers (Neuron). On a CPU that scores the whole prompt too: in the quickstart's DPO, where a
    ~350-token story precedes a ~10-token answer, it was 37 % of a training step (py-spy). Compacting
    gives the same log-probs and gradients (tests/tinyllm/test_patches.py compares both ways). Only the
    choice to compact changes: the tiles are still folded in torch on a CPU. Remove when TRL compacts
    on every device (the test's "scored positions" check then passes without this patch).
    """
    if not _once("trl_compact_logprobs"):
        return
    # Heavy third-party import: only runs that use TRL's trainers ask for this patch.
    import trl.trainer.utils as trl_utils

    on_triton = trl_utils._use_triton  # read by add_fused_lm_head only, to decide whether to compact

    def compact_here(device) -> bool:
        return device.type == "cpu" or on_triton(device)

    trl_utils._use_triton = compact_here


def correct_cpu_dequantize() -> None:
    """Make bitsandbytes dequantize 4-bit weights on a CPU with its generic torch implementation.

    bitsandbytes 0.50.2's C kernel for CPUs returns wrong values when a row's width is an odd
    multiple of 32 (96, 160, 288, ...): three times NF4's own error on the 24m model's 288-wide
    layers, which cost 30 % perplexity instead of 2 %. The packed weights and scales it writes are
    right; only reading them back is wrong. The generic code (bitsandbytes.backends.default) gives
    the same values as the C kernel where that one is right (checked in tests/stages/test_quantize.py).
    Remove when tests/stages/test_quantize.py's kernel test passes for a width of 288 without this patch.
    """
    if not _once("bnb_cpu_dequantize"):
        return
    # Heavy third-party imports: only runs that load 4-bit models ask for this patch.
    import torch
    from bitsandbytes.backends.default.ops import _dequantize_4bit_compute
    from bitsandbytes.backends.utils import _get_4bit_code

    def dequantize_4bit(A, absmax, blocksize, quant_type, shape, dtype):
        A = A if A.dtype == torch.uint8 else A.view(torch.uint8)
        return _dequantize_4bit_compute(A.reshape(-1), absmax, _get_4bit_code(quant_type, A.device), blocksize,
                                        shape, dtype)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Overriding a previously registered kernel": intended
        torch.library.register_kernel("bitsandbytes::dequantize_4bit", "cpu", dequantize_4bit)


def portable_4bit(model):
    """Run 4-bit layers on bitsandbytes' portable CPU path (dequantize, then a matmul in the compute dtype).

    On CPUs with AVX512-BF16, bitsandbytes 0.50.2 repacks a Linear4bit's weight at its first forward
    for a bf16 kernel. That repacking fails for out_features not a multiple of 32 (the 9m model's 120:
    "N must be divisible by block_n"), computes in bf16 whatever the compute dtype, and is undone
    wrongly on save (the block scales stay transposed: a later reload of a layer with in_features > 64
    gets scrambled scales). With it off, every size loads, runs and saves the same on every CPU; GPUs
    are not affected. Remove when tests/stages/test_quantize.py's 9m-width and reload tests pass on an
    AVX512-BF16 CPU without it. Returns the model.
    """
    import bitsandbytes as bnb  # heavy third-party import; a 4-bit model has loaded it already

    correct_cpu_dequantize()
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False
    return model
