"""The README's second command, run as a user runs it (about 3 minutes on 2 cores)."""

import json
import os
import subprocess

from conftest import ROOT


def test_quickstart_pretrains_far_below_the_unigram_baseline(tmp_path):
    out = tmp_path / "qs"
    result = subprocess.run(["bash", str(ROOT / "recipes" / "quickstart.sh")], cwd=tmp_path,
                            env={**os.environ, "OUT": str(out)}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "pretrain" / "report.json").read_text())
    # "Far below": a tenth of the unigram perplexity (seen: ~14 vs ~486 at 600 steps).
    assert report["val_ppl"] < report["unigram_val_ppl"] / 10
    assert f"validation perplexity {report['val_ppl']:.2f} vs unigram baseline" in result.stdout
    assert result.stdout.count("--- 'Once upon a time'") == 1  # samples were printed
    assert (out / "pretrain" / "final" / "model.safetensors").is_file()
    assert (out / "pretrain" / "loss_curve.png").stat().st_size > 10_000
