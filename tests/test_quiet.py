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
