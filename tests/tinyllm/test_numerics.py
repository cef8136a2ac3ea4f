"""Numeric bugs a GPU run would hit, reproduced on CPU: fp16 chunked loss, a skipped micro-batch under
gradient accumulation, and how DPO's held-out numbers are formed."""

import pytest
import torch

from tinyllm.loss import chunked_cross_entropy

LOSS_SCALE = 65536.0  # fp16 GradScaler's initial scale


def _gradients(hidden, weight, targets, dtype, chunked):
    h, w = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
    with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        if chunked:
            loss = chunked_cross_entropy(h, w, targets, chunk=128)
        else:
            loss = torch.nn.functional.cross_entropy((h @ w.T).float(), targets)
    (loss * LOSS_SCALE).backward()  # what GradScaler does; the optimizer then unscales
    return h.grad / LOSS_SCALE, w.grad / LOSS_SCALE


def test_fp16_chunked_loss_gradients_match_fp32_as_well_as_the_plain_fp16_path():
    """N=512 rows, vocab 4096, small initial-scale weights: softmax entries ~1/4096, divided by 512 rows
    they are below fp16's normal range unless the loss scale is applied first."""
    torch.manual_seed(0)
    hidden, weight = torch.randn(512, 64) * 0.1, torch.randn(4096, 64) * 0.02
    targets = torch.randint(0, 4096, (512,))
    targets[:40] = -100
    reference = _gradients(hidden, weight, targets, None, chunked=False)
    plain = _gradients(hidden, weight, targets, torch.float16, chunked=False)
    chunked = _gradients(hidden, weight, targets, torch.float16, chunked=True)
    for name, ref, p, c in zip(("hidden", "weight"), reference, plain, chunked):
        plain_err = float((p - ref).norm() / ref.norm())
        chunked_err = float((c - ref).norm() / ref.norm())
        assert chunked_err <= 1.5 * plain_err, f"{name}: chunked fp16 {chunked_err:.2e} vs plain fp16 {plain_err:.2e}"
        assert float((c == 0).float().mean()) <= float((ref == 0).float().mean()), f"{name}: entries flushed to zero"
    bf16 = _gradients(hidden, weight, targets, torch.bfloat16, chunked=True)  # bf16 keeps its precision
    plain_bf16 = _gradients(hidden, weight, targets, torch.bfloat16, chunked=False)
    for ref, p, c in zip(reference, plain_bf16, bf16):
        assert float((c - ref).norm() / ref.norm()) <= 1.5 * float((p - ref).norm() / ref.norm())


# --- A non-finite micro-batch under gradient accumulation ---------------------------------------

def _accumulate(batches, nonfinite=None):
    """Gradients of a tiny model after the micro-batches of one optimizer step (step 7), the way the
    Trainer's training_step runs them: backward, then the non-finite check."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    for x in batches:
        loss = model(x).pow(2).mean()
        loss.backward()
        if nonfinite is not None:
            nonfinite.check(loss.detach(), model, step=7, out_dir=".")
    return [p.grad for p in model.parameters()]


def _micro_batches():
    g = torch.Generator().manual_seed(1)
    good = [torch.randn(4, 8, generator=g) for _ in range(3)]
    bad = torch.randn(4, 8, generator=g)
    bad[0, 0] = float("nan")
    return good, bad


@pytest.mark.parametrize("where", ["middle", "first", "last", "twice"])
def test_a_skipped_micro_batch_leaves_the_step_as_if_it_never_came(where, capsys):
    from tinyllm.faults import NonFiniteLoss

    good, bad = _micro_batches()
    order = {"middle": [good[0], bad, good[1], good[2]], "first": [bad, *good], "last": [*good, bad],
             "twice": [good[0], bad, bad, good[1], good[2]]}[where]
    expected = _accumulate(good)
    got = _accumulate(order, NonFiniteLoss(max_bad_batches=2))
    for e, g in zip(expected, got):
        assert torch.equal(e, g)  # bit-identical: the earlier micro-batches' gradients are kept, not zeroed
    assert "batch skipped" in capsys.readouterr().out


def test_the_step_before_does_not_leak_into_a_bad_first_micro_batch():
    from tinyllm.faults import NonFiniteLoss

    good, bad = _micro_batches()
    nonfinite = NonFiniteLoss(max_bad_batches=1)
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    model(good[0]).sum().backward()
    nonfinite.check(torch.tensor(1.0), model, step=3, out_dir=".")
    model.zero_grad(set_to_none=True)  # the optimizer step between steps 3 and 4
    model(bad).sum().backward()
    nonfinite.check(torch.tensor(float("nan")), model, step=4, out_dir=".")
    assert all(p.grad is None for p in model.parameters())


# --- DPO's held-out numbers ----------------------------------------------------------------------

def test_implicit_reward_accuracy_is_k_of_n_pairs():
    from tinyllm.preference import implicit_reward_accuracy

    n = 18  # one batch of 16 and one of 2: a mean of the two batch means is not a multiple of 1/18
    reference = {"n": n, "chosen_logps": [-10.0] * n, "rejected_logps": [-10.0] * n}
    gains = [1.0] * 11 + [-1.0] * 5 + [1.0, -1.0]  # 12 of 18 pairs move towards the chosen answer
    policy = {"n": n, "chosen_logps": [-10.0 + g for g in gains], "rejected_logps": [-10.0] * n}
    result = implicit_reward_accuracy(reference, policy, beta=0.1)
    assert result["correct"] == 12 and result["accuracy"] == 12 / 18
    assert result["mean_margin"] == pytest.approx(0.1 * 6 / 18)
    # The reference matters: a pair the policy already preferred before training is no win by itself.
    same = implicit_reward_accuracy(policy, policy, beta=0.1)
    assert same["correct"] == 0 and same["mean_margin"] == 0


def test_flipped_pairs_count_each_way_and_account_for_the_change_in_accuracy():
    from tinyllm.preference import flipped_pairs

    # verdicts before / after per pair: right-right, wrong-right (won), right-wrong (lost), wrong-wrong, wrong-right (won)
    before = {"chosen_logps": [0.0, -1.0, 0.0, -1.0, -2.0], "rejected_logps": [-1.0, 0.0, -1.0, 0.0, 0.0]}
    after = {"chosen_logps": [0.0, 0.0, -1.0, -1.0, 1.0], "rejected_logps": [-1.0, -1.0, 0.0, 0.0, 0.0]}
    won, lost = flipped_pairs(before, after)
    assert (won, lost) == (2, 1)
    right = lambda r: sum(c > j for c, j in zip(r["chosen_logps"], r["rejected_logps"]))  # noqa: E731
    assert right(after) - right(before) == won - lost
    assert flipped_pairs(after, before) == (1, 2) and flipped_pairs({}, {}) == (0, 0)
    # a tie is no win, as in preference_accuracy: tie -> right is won, right -> tie is lost
    tie, right_ = {"chosen_logps": [-1.0], "rejected_logps": [-1.0]}, {"chosen_logps": [0.0], "rejected_logps": [-1.0]}
    assert flipped_pairs(tie, right_) == (1, 0) and flipped_pairs(right_, tie) == (0, 1)


def test_dpo_scores_the_sft_model_where_training_runs(tokenizer_dir, corpus_dir, tmp_path, monkeypatch):
    """The SFT model's held-out pass must run on training_args.device (the GPU), not where it was loaded.
    On CPU the two are the same, so the arguments claim a 'meta' device and the scoring is intercepted."""
    from conftest import ROOT
    from data_prep.preference import build_preferences
    import stages.dpo
    from test_claims import make_checkpoint

    pretrained = make_checkpoint(tokenizer_dir, tmp_path / "init")  # freshly initialised: only the device matters
    data = tmp_path / "pref"
    build_preferences([str(corpus_dir / "preferences_train.jsonl")], data,
                      heldout=[str(corpus_dir / "preferences_val.jsonl")])
    made = stages.dpo.dpo_arguments

    def on_meta(*args, **kwargs):
        training_args = made(*args, **kwargs)
        monkeypatch.setattr(type(training_args), "device", property(lambda self: torch.device("meta")))
        return training_args

    seen = []

    class Scored(Exception):
        pass

    def spy(model, *args, **kwargs):
        seen.append(next(model.parameters()).device)
        raise Scored  # nothing after the scoring is under test here

    monkeypatch.setattr(stages.dpo, "dpo_arguments", on_meta)
    monkeypatch.setattr(stages.dpo, "preference_accuracy", spy)  # the name the stage calls
    with pytest.raises(Scored):
        stages.dpo.main([str(ROOT / "recipes" / "dpo_tiny.yaml"), f"model={pretrained}", f"data={data}",
                         f"out_dir={tmp_path / 'dpo'}", "eval_pairs=4", "precompute_ref=true"])
    assert seen == [torch.device("meta")]
