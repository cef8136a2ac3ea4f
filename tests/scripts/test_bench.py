"""scripts.bench on a CPU at tiny size: every part runs and reports a row beside its baseline; the
peak-FLOPs table matches device names exactly.

A smoke test only: speed is measured by running the benchmark, never asserted in tests.
"""

import json

import pytest


@pytest.mark.parametrize("name, peak", [
    ("NVIDIA L4", 121e12), ("NVIDIA L40", 181e12), ("NVIDIA L40S", 362e12),
    ("NVIDIA H100 80GB HBM3", 989e12), ("NVIDIA H100 PCIe", 756e12), ("NVIDIA H100 NVL", 835e12),
    ("NVIDIA A10", 125e12), ("NVIDIA A10G", 70e12),
])
def test_peak_flops_by_exact_device_name(monkeypatch, name, peak):
    """No substring match: an L40 must not get the L4's figure, nor an H100 PCIe the SXM's."""
    import torch

    from tinyllm.hardware import device_peak_flops

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: name)
    flops, source = device_peak_flops(None)
    assert flops == peak and source.startswith(name)


@pytest.mark.parametrize("name", ["NVIDIA H100 SXM6 Prototype", "NVIDIA L4X", "Tesla V100-SXM2-16GB", "NVIDIA"])
def test_unknown_device_gets_no_peak_and_is_named(monkeypatch, name):
    import torch

    from tinyllm.hardware import device_peak_flops

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: name)
    flops, source = device_peak_flops(None)
    assert flops is None and name in source and "n/a" in source
    assert device_peak_flops(200.0)[0] == 200e12  # the recipe key still sets it


def test_bench_runs_every_part_beside_its_baseline(tmp_path, capsys):
    from scripts.bench import main

    assert main(["--sizes", "tiny", "--vocabs", "512", "--batch", "2", "--seq-len", "64", "--steps", "2",
                 "--warmup", "1", "--ce-chunks", "0", "16", "--gen-tokens", "4", "--gen-batch", "2", "--decode-tokens", "8",
                 "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "bench.json").read_text())
    rows = report["rows"]
    parts = [r["part"] for r in rows]
    assert parts == ["pretrain"] * 3 + ["sft"] * 3 + ["dpo"] * 5 + ["generate"] * 4 + ["decode"] * 2, parts
    for part in ("pretrain", "sft", "dpo"):
        first, *others = [r for r in rows if r["part"] == part]
        assert first["variant"].startswith("baseline") and all(r["ratio"] > 0 for r in others)
        assert all(r["variant"].startswith(("ours", "reference")) and r["rate"] > 0 for r in others)
    # The pretraining rows really trained: the stage's Trainer reports a finite loss, with and without chunking.
    assert all(0 < r["notes"]["final_loss"] < 10 for r in rows[1:3])
    # SFT: packing alone, then packing with the chunked loss.
    sft = [r["variant"] for r in rows if r["part"] == "sft"]
    assert sft[1].endswith("full logits") and sft[2].endswith("ce_chunk 16"), sft
    # DPO: gradient checkpointing the same on both sides of the baseline's ratios; TRL's default in its own row;
    # the precompute timed in the constructor, apart from the steps, and counted in by the last row.
    dpo = [r for r in rows if r["part"] == "dpo"]
    assert [r["notes"]["gradient_checkpointing"] for r in dpo] == [False, True, False, False, False]
    assert dpo[1]["variant"].startswith("reference: TRL DPOConfig defaults as shipped")
    assert dpo[2]["notes"]["precompute_seconds"] == 0 and dpo[3]["notes"]["precompute_seconds"] > 0
    precompute_per_pair = dpo[3]["notes"]["precompute_seconds"] / (1 * 3)  # --batch 2: DPO batches 1 pair, 3 steps
    assert 1 / dpo[4]["rate"] == pytest.approx(1 / dpo[3]["rate"] + precompute_per_pair)
    table = (tmp_path / "bench.md").read_text()
    assert "| part | config | variant | rate | MFU | peak mem | vs baseline |" in table
    assert table in capsys.readouterr().out
