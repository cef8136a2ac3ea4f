"""Quiet by default: a stage run as a user starts it prints tinyllm's lines and no third-party
start-up chatter (tinyllm/patches.py silences it); TINYLLM_VERBOSE=1 / --verbose shows it all."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

# Messages third-party libraries print at start-up (tinyllm/patches.py names each one's version).
CHATTER = re.compile(r"\[(WARNING|INFO)\]|Warning: |Setting accelerator to CPU|kernels-community|Token indices sequence")


def run_pretrain(data_dir, out, *extra, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DS_ACCELERATOR", "TINYLLM_VERBOSE")}
    env.update({"PYTHONPATH": str(ROOT), **(env_extra or {})})  # no DS_ACCELERATOR: as `python -m` is typed
    return subprocess.run(
        [sys.executable, "-m", "stages.pretrain", "recipes/ptm_tiny.yaml", f"data_dir={data_dir}", f"out_dir={out}",
         "max_steps=2", "eval_every=2", "eval_windows=4", "save_every=0", "log_every=1", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.e2e
def test_a_stage_run_prints_no_third_party_chatter(data_dir, tmp_path):
    import torch

    quiet = run_pretrain(data_dir, tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert quiet.stderr == ""  # progress bars are off when stderr is not a terminal; nothing else belongs here
    assert not [line for line in quiet.stdout.splitlines() if CHATTER.search(line)]
    # Each metric line says what it measured (training windows, not eval.run's per-document perplexity).
    assert "validation perplexity over 4 windows of 256 tokens" in quiet.stdout
    assert "eval.run's ppl is per document" in quiet.stdout

    # The same run with --verbose shows what was silenced (so the check above can see chatter at all).
    loud = run_pretrain(data_dir, tmp_path / "loud", "--verbose")
    assert loud.returncode == 0, loud.stderr[-2000:]
    if not torch.cuda.is_available():
        assert "Setting accelerator to CPU" in loud.stdout + loud.stderr


def test_verbose_is_an_option_anywhere_among_the_overrides():
    from stages.pretrain import PretrainRecipe
    from tinyllm.recipe import recipe_parser

    saved = os.environ.pop("TINYLLM_VERBOSE", None)
    try:
        args = recipe_parser(PretrainRecipe, "x", "y").parse_args(["r.yaml", "a=1", "--verbose", "b=2"])
        assert args.overrides == ["a=1", "b=2"] and os.environ["TINYLLM_VERBOSE"] == "1"
    finally:
        os.environ.pop("TINYLLM_VERBOSE", None)
        if saved is not None:
            os.environ["TINYLLM_VERBOSE"] = saved


# Each message tinyllm/patches.py silences, as the library emits it (version named there), and one it must not.
SILENCED_WARNINGS = [
    ("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning),
    ("`gradient_checkpointing_enable` is deprecated and will be removed in v6.", FutureWarning),
    ("`torch.distributed.reduce_scatter_tensor` is deprecated. Please use ...", FutureWarning),
    ("`torch.distributed.all_gather_into_tensor` is deprecated. Please use ...", FutureWarning),
    ("Detected pickle protocol 4 in the checkpoint, which was not the default", UserWarning),
]
SILENCED_LOGS = [
    ("DeepSpeed", "Setting accelerator to CPU. If you have GPU or other accelerator, we were unable to detect it."),
    ("bitsandbytes.backends.cpu.ops", "Failed to load CPU gemm_4bit_forward from kernels-community: No module named"),
    ("transformers.tokenization_utils_base", "Token indices sequence length is longer than the specified maximum "
                                             "sequence length for this model (900 > 512)."),
]


def emitted(verbose: bool) -> tuple[list[str], list[str]]:
    """The warnings and log records that get through tinyllm's quieting, applied afresh."""
    import logging
    import warnings

    from tinyllm import patches

    class Catch(logging.Handler):
        def emit(self, record):
            caught.append(record.getMessage())

    caught, loggers = [], {}
    saved = os.environ.pop(patches.VERBOSE_ENV, None)
    if verbose:
        os.environ[patches.VERBOSE_ENV] = "1"
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            patches._applied.discard("logs")
            for name, _ in SILENCED_LOGS:
                logger = loggers[name] = logging.getLogger(name)
                saved_state = (logger.level, list(logger.filters))
                # As in a fresh process: no quieting applied earlier in this one (by an entry point's main)
                logger.filters[:] = [f for f in logger.filters if not isinstance(f, patches._DropMessages)]
                logger.setLevel(logging.NOTSET)
                logger.addHandler(handler := Catch())
                loggers[name] = (logger, handler, saved_state)
            patches._quiet_logs()
            for message, category in SILENCED_WARNINGS + [("An unrelated deprecation", FutureWarning)]:
                warnings.warn(message, category)
            for name, message in SILENCED_LOGS + [("DeepSpeed", "An unrelated DeepSpeed warning")]:
                logging.getLogger(name).warning(message)
    finally:
        for logger, handler, (level, filters) in loggers.values():
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.filters[:] = filters
        patches._applied.discard("logs")
        os.environ.pop(patches.VERBOSE_ENV, None)
        if saved is not None:
            os.environ[patches.VERBOSE_ENV] = saved
    return [str(w.message) for w in seen], caught


def test_each_filter_silences_its_message_and_nothing_else():
    warned, logged = emitted(verbose=False)
    assert warned == ["An unrelated deprecation"]
    assert logged == ["An unrelated DeepSpeed warning"]
    warned, logged = emitted(verbose=True)  # TINYLLM_VERBOSE=1: everything gets through
    assert len(warned) == len(SILENCED_WARNINGS) + 1 and len(logged) == len(SILENCED_LOGS) + 1
