"""The README's second command, run as a user runs it (8 to 14 minutes on 2 cores, by CPU): pytest -m quickstart"""

import json
import os
import subprocess

import pytest

from conftest import ROOT
from tinyllm.answers import exact_match

pytestmark = pytest.mark.quickstart  # its own CI step (pytest -m quickstart), so the suite stays under 15 minutes


def test_quickstart_pretrains_and_fine_tunes_with_measured_effect(tmp_path):
    out = tmp_path / "qs"
    result = subprocess.run(["bash", str(ROOT / "recipes" / "quickstart.sh")], cwd=tmp_path,
                            env={**os.environ, "OUT": str(out)}, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "pretrain" / "report.json").read_text())
    # "Far below": a tenth of the unigram perplexity (seen: 6.86 vs 486).
    assert report["val_ppl"] < report["unigram_val_ppl"] / 10
    assert f"validation perplexity {report['val_ppl']:.2f} vs unigram baseline" in result.stdout
    assert result.stdout.count("--- 'Once upon a time'") == 1  # samples were printed
    assert (out / "pretrain" / "final" / "model.safetensors").is_file()
    assert (out / "pretrain" / "loss_curve.png").stat().st_size > 10_000

    before, after = (json.loads((out / "eval" / f"dialogue_{stage}.json").read_text())["scores"]["all"]
                     for stage in ("pretrain", "sft"))
    assert before["n"] == after["n"] >= 380
    # Before SFT the model continues the story instead of answering: no answer, no exact reply
    # (seen 0/400 for both). After SFT it answers in turn (seen: exact reply 4.0 %, answer found
    # 11.0 % against 5.6 % for answering in form without reading the story). The bounds: an exact
    # reply in at least 2 % (8 of 400; a model that never learned the turns stays at 0), and the
    # answer found 2.5 points above its chance level (about 1.5 standard errors at n=400 and
    # p=0.11), i.e. the fine-tuned model does read the conversation, if only a little at 0.24M
    # parameters.
    assert before["answer_found"] <= 0.01 and before["exact_match"] <= 0.01
    assert after["exact_match"] >= 0.02
    assert after["answer_found"] >= after["answer_chance"] + 0.025
    assert "held-out dialogues the answer is found" in result.stdout

    # Reward model: held-out pairwise accuracy above chance (seen 62.5 % of 392, training on the first 2,400 pairs). 54.5 % is above
    # the one-sided 95 % bound of a chance-level scorer on 400 pairs (50 % + 1.645 * 2.5 %): the
    # 2-layer model has to tell, at its last token, whether the answer's name or number is the one
    # in a ~350-token story, which it learns only in part.
    # Pairs longer than max_length are left out and counted, not truncated (seen: 392 scored, 8 left out).
    rm = json.loads((out / "rm" / "report.json").read_text())
    assert rm["heldout_pairs"] + rm["heldout_pairs_too_long"] == 400 and rm["heldout_pairs"] >= 380, rm
    assert rm["heldout_accuracy"] >= 0.545, rm
    # DPO: held-out preference accuracy up (seen 66.0 % -> 69.3 % on 394 pairs: 38 pairs turned right, 25
    # turned wrong). The accuracy moves by (won - lost) / n, asserted; the bound is the direction, won > lost:
    # a sign test on 38 vs 25 gives p ~ 0.07 one-sided, so at this size the gain is not significant at 95 %
    # and a tighter bound would be one run's number. The exact-reply rate of the SFT model is kept (seen 4.0 %
    # -> 3.8 % on a 2-core AVX2 EPYC, 4.0 % -> 4.0 % on the earlier machine: the numbers differ between CPUs).
    dpo = json.loads((out / "dpo" / "report.json").read_text())
    won, lost, n = dpo["heldout_pairs_won"], dpo["heldout_pairs_lost"], dpo["heldout_pairs"]
    assert abs(dpo["preference_accuracy"] - dpo["sft_preference_accuracy"] - (won - lost) / n) < 1e-9, dpo
    assert won > lost, dpo
    # DPO keeps the SFT model's exact replies (sft_weight adds the chosen answers' NLL): paired over the
    # same 400 dialogues, the replies exact after SFT and no longer after DPO may outnumber those
    # gained only by what a sign test allows at 95 % one-sided (1.645 standard deviations of
    # lost - gained under "no change"); a DPO that forgot the turns (16 exact -> 0) fails it.
    replies = {stage: json.loads((out / "eval" / f"dialogue_{stage}.json").read_text())["replies"]
               for stage in ("sft", "dpo")}
    exact = {stage: [exact_match(r["reply"], r["reference"]) for r in rows] for stage, rows in replies.items()}
    kept_lost = sum(s and not d for s, d in zip(exact["sft"], exact["dpo"]))
    kept_gained = sum(d and not s for s, d in zip(exact["sft"], exact["dpo"]))
    assert kept_lost - kept_gained <= 1.645 * max(kept_lost + kept_gained, 1) ** 0.5, (kept_lost, kept_gained)
    assert "held-out preference accuracy" in result.stdout

    # The DPO model quantized to int8 and nf4 (40 items per benchmark, the same for every column):
    # smaller, and perplexity within the bounds of the 9m / 24m measurements (seen -0.18 % and +2.69 %).
    quant = json.loads((out / "quant" / "report.json").read_text())
    weights = {label: run["weights_bytes"] for label, run in quant["runs"].items()}
    assert list(weights) == ["original", "int8", "nf4"] and weights["nf4"] < weights["int8"] < weights["original"]
    assert quant["ppl_change"]["int8"] <= 0.02 and quant["ppl_change"]["nf4"] <= 0.10, quant["ppl_change"]
    assert json.loads((out / "quant" / "nf4" / "config.json").read_text())["quantization_config"]["load_in_4bit"]
    assert "| metric | chance | original | int8 | nf4 |" in result.stdout

    # eval.run on every stage, and the side-by-side table printed last.
    evals = {stage: json.loads((out / "eval" / stage / "results.json").read_text()) for stage in ("pretrain", "sft", "dpo")}
    pretrained = evals["pretrain"]
    # The story cloze (400 items, 4 options, chance 25%, one standard error 2.2 points): the pretrained
    # tiny model picks the right option in 38.0% (seen; it recalls names, hero 57.5% and friend 50%,
    # while colour, object and place stay near chance). At least 31% is 2.8 standard errors above
    # chance, so a model that does not use the story fails.
    assert pretrained["n"]["cloze/acc"] == 400
    assert pretrained["metrics"]["cloze/acc"] >= pretrained["chance"]["cloze/acc"] + 0.06
    assert pretrained["metrics"]["ppl/ppl"] < 20  # held-out synthetic stories (seen 6.77)
    lines = result.stdout.rstrip().splitlines()
    header = lines.index("| metric | chance | pretrain | sft | dpo |")
    assert all(line.startswith("|") for line in lines[header:])  # the table is the last thing printed
    assert len(lines) - header - 2 == len(pretrained["metrics"]) == len(evals["sft"]["metrics"])
