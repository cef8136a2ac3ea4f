"""The chunked linear cross-entropy gives transformers' loss and gradients without the logits."""

import json

import pytest
import torch

from conftest import ROOT
from tinyllm.loss import chunked_cross_entropy, use_chunked_loss
from tinyllm.model import build_model


def tiny(vocab=300):
    model = build_model("tiny", vocab, 64, seed=0)
    model.train()
    return model


def grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("targets", ["shift_labels", "labels"])
@pytest.mark.parametrize("chunk", [7, 64, 10_000])
def test_loss_and_gradients_equal_the_full_logits_path(targets, chunk):
    torch.manual_seed(0)
    ids = torch.randint(0, 300, (3, 40))
    labels = ids.clone()
    labels[0, :10] = -100  # SFT masks: prompt tokens carry no loss
    labels[2] = -100
    labels[2, 30:] = ids[2, 30:]
    batch = {"input_ids": ids, targets: labels} if targets == "labels" else {"input_ids": ids, "labels": labels,
                                                                               "shift_labels": labels}
    reference, ours = tiny(), tiny()
    use_chunked_loss(ours, chunk)
    ref_out, our_out = reference(**batch), ours(**batch)
    assert our_out.logits is None  # no logits were materialised
    torch.testing.assert_close(our_out.loss, ref_out.loss, rtol=0, atol=1e-5)
    ref_out.loss.backward()
    our_out.loss.backward()
    a, b = grads(reference), grads(ours)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=1e-4, atol=1e-6, msg=name)


def test_num_items_normalisation_and_frozen_weight():
    torch.manual_seed(1)
    hidden = torch.randn(50, 16, requires_grad=True)
    weight = torch.randn(30, 16)  # frozen, as under LoRA: no gradient is formed for it
    targets = torch.randint(0, 30, (50,))
    targets[:5] = -100
    loss = chunked_cross_entropy(hidden, weight, targets, chunk=8, num_items=100)
    expected = torch.nn.functional.cross_entropy(hidden @ weight.T, targets, ignore_index=-100, reduction="sum") / 100
    torch.testing.assert_close(loss, expected, rtol=0, atol=1e-5)
    loss.backward()
    hidden2 = hidden.detach().clone().requires_grad_()
    (torch.nn.functional.cross_entropy(hidden2 @ weight.T, targets, reduction="sum") / 100).backward()
    torch.testing.assert_close(hidden.grad, hidden2.grad, rtol=1e-4, atol=1e-6)
    with torch.no_grad():  # evaluation: the loss only
        assert torch.isclose(chunked_cross_entropy(hidden, weight, targets, chunk=8, num_items=100), expected, atol=1e-5)


def test_generation_keeps_the_original_path():
    model = tiny()
    model.eval()
    ids = torch.tensor([[1, 5, 6]])
    before = model.generate(ids, max_new_tokens=5, do_sample=False)
    use_chunked_loss(model, 16)
    assert torch.equal(model.generate(ids, max_new_tokens=5, do_sample=False), before)


def test_chunk_zero_leaves_the_model_as_it_is():
    """ce_chunk=0 (the recipe default): stages call use_chunked_loss unconditionally, so 0 must change nothing."""
    model = tiny()
    use_chunked_loss(model, 0)
    assert "forward" not in vars(model)  # the class's own forward, not an instance override


def test_pretraining_with_ce_chunk_matches_the_plain_loss(data_dir, tmp_path):
    from stages.pretrain import main as pretrain_main

    def run(out, *extra):
        pretrain_main([str(ROOT / "recipes" / "ptm_tiny.yaml"), f"data_dir={data_dir}", f"out_dir={out}", "seq_len=64",
                       "batch_size=8", "max_steps=20", "save_every=20", "eval_every=10", "log_every=5", "eval_windows=16",
                       *extra])
        state = json.loads((out / "checkpoint-20" / "trainer_state.json").read_text())
        return [(h["step"], h.get("loss", h.get("eval_loss"))) for h in state["log_history"] if "loss" in h or "eval_loss" in h]

    plain, chunked = run(tmp_path / "plain"), run(tmp_path / "chunked", "ce_chunk=100")
    assert [s for s, _ in plain] == [s for s, _ in chunked]
    for (step, a), (_, b) in zip(plain, chunked):
        assert abs(a - b) < 1e-4, (step, a, b)
