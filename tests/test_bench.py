"""scripts.bench on a CPU at tiny size: every part runs and reports a row beside its baseline.

A smoke test only: speed is measured by running the benchmark, never asserted in tests.
"""

import json


def test_bench_runs_every_part_beside_its_baseline(tmp_path, capsys):
    from scripts.bench import main

    assert main(["--sizes", "tiny", "--vocabs", "512", "--batch", "2", "--seq-len", "64", "--steps", "2",
                 "--warmup", "1", "--ce-chunks", "0", "16", "--gen-tokens", "4", "--gen-batch", "2", "--decode-tokens", "8",
                 "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "bench.json").read_text())
    rows = report["rows"]
    parts = [r["part"] for r in rows]
    assert parts == ["pretrain"] * 3 + ["sft"] * 2 + ["dpo"] * 3 + ["generate"] * 4 + ["decode"] * 2, parts
    for part in ("pretrain", "sft", "dpo"):
        first, *ours = [r for r in rows if r["part"] == part]
        assert first["variant"].startswith("baseline") and all(r["variant"].startswith("ours") for r in ours)
        assert all(r["rate"] > 0 and r["ratio"] > 0 for r in ours)
    # The pretraining rows really trained: the stage's Trainer reports a finite loss, with and without chunking.
    assert all(0 < r["notes"]["final_loss"] < 10 for r in rows[1:3])
    table = (tmp_path / "bench.md").read_text()
    assert "| part | config | variant | rate | MFU | peak mem | vs baseline |" in table
    assert table in capsys.readouterr().out
