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


def test_only_labelled_rows_reach_the_vocabulary_projection(monkeypatch):
    import tinyllm.loss as loss

    seen = []
    original = loss.ChunkedLinearCrossEntropy.apply
    monkeypatch.setattr(loss.ChunkedLinearCrossEntropy, "apply",
                        lambda hidden, weight, targets, *rest: seen.append(targets.clone()) or original(
                            hidden, weight, targets, *rest))
    torch.manual_seed(2)
    hidden, weight = torch.randn(40, 16, requires_grad=True), torch.randn(30, 16)
    targets = torch.full((40,), -100)
    targets[25:31] = torch.arange(6)  # an answer after a prompt, as in an SFT row
    chunked_cross_entropy(hidden, weight, targets, chunk=8).backward()
    assert [t.tolist() for t in seen] == [list(range(6))]
    expected = torch.zeros_like(hidden)
    rows = hidden.detach()[25:31].clone().requires_grad_()
    torch.nn.functional.cross_entropy(rows @ weight.T, torch.arange(6)).backward()
    expected[25:31] = rows.grad
    torch.testing.assert_close(hidden.grad, expected, rtol=1e-5, atol=1e-7)
    full = torch.randint(0, 30, (40,))
    chunked_cross_entropy(hidden, weight, full, chunk=8)  # pretraining: every row, as it is
    assert torch.equal(seen[-1], full)


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


def sharp():
    """tiny() with larger query / key weights, so that positions (RoPE) visibly change the attention."""
    model, gen = tiny(), torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "q_proj" in name or "k_proj" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return model


def test_chunked_path_passes_the_attention_mask_position_ids_and_other_arguments():
    """With labels: a left-padded row and a packed row (positions restarting) give the plain path's loss."""
    torch.manual_seed(2)
    ids = torch.randint(3, 300, (2, 12))
    mask = torch.ones_like(ids)
    mask[0, :4] = 0  # left padding
    positions = torch.tensor([[0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]])
    labels = ids.masked_fill(mask == 0, -100)
    reference, ours = sharp(), sharp()
    reference.config.use_cache = False  # as the Trainer sets it (args.use_cache): no cache, so packed
    # position_ids give a block-diagonal mask, as the chunked path (use_cache=False) always has
    use_chunked_loss(ours, 5)
    for kwargs in ({"attention_mask": mask}, {"position_ids": positions}, {"attention_mask": mask, "position_ids": positions}):
        want = reference(input_ids=ids, labels=labels, **kwargs).loss
        plain = reference(input_ids=ids, labels=labels).loss
        assert not torch.isclose(want, plain, atol=1e-4)  # the argument matters: the test can fail
        torch.testing.assert_close(ours(input_ids=ids, labels=labels, use_cache=True, **kwargs).loss, want,
                                   rtol=0, atol=1e-5)
    # The Trainer's num_items_in_batch (sum / items across gradient accumulation) and embeddings given directly.
    torch.testing.assert_close(ours(input_ids=ids, labels=labels, num_items_in_batch=torch.tensor(50)).loss,
                               reference(input_ids=ids, labels=labels, num_items_in_batch=torch.tensor(50)).loss,
                               rtol=0, atol=1e-5)
    embeds = reference.model.embed_tokens(ids).detach()
    torch.testing.assert_close(ours(inputs_embeds=embeds, labels=labels, attention_mask=mask).loss,
                               reference(inputs_embeds=embeds, labels=labels, attention_mask=mask).loss, rtol=0, atol=1e-5)


def test_matmuls_run_in_the_autocast_dtype_and_low_precision_weight_gradients_sum_in_fp32():
    """Under bf16 autocast the chunk's logits come from a bf16 matmul (as the plain path's would), not fp32;
    a bf16 weight's gradient, summed over 128 chunks, is summed in fp32 (in bf16 it is ~1.2 % off)."""
    torch.manual_seed(0)
    hidden, weight, targets = torch.randn(512, 32), torch.randn(200, 32) * 0.3, torch.randint(0, 200, (512,))
    targets[:8] = 0  # token 0 is a target like any other (the first row too)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = chunked_cross_entropy(hidden, weight, targets, chunk=64)
    as_bf16 = torch.nn.functional.cross_entropy((hidden.bfloat16() @ weight.bfloat16().T).float(), targets)
    as_fp32 = torch.nn.functional.cross_entropy(hidden @ weight.T, targets)
    assert abs(float(as_bf16 - as_fp32)) > 1e-5  # the two precisions are told apart
    assert abs(float(loss - as_bf16)) < 2e-6

    h16, w16 = hidden.bfloat16().requires_grad_(), weight.bfloat16().requires_grad_()
    loss16 = chunked_cross_entropy(h16, w16, targets, chunk=4)
    loss16.backward()
    w32 = w16.detach().float().requires_grad_()
    expected = torch.nn.functional.cross_entropy(h16.detach().float() @ w32.T, targets)
    expected.backward()
    # The sum over 512 rows (~3300) is kept in fp32: in bf16 its last bit alone would be 16.
    assert loss16.dtype == torch.float32 and abs(float(loss16 - expected)) < 1e-4
    assert w16.grad.dtype == torch.bfloat16
    assert float((w16.grad.float() - w32.grad).norm() / w32.grad.norm()) < 0.006


def test_calls_without_labels_get_the_original_forward_with_every_argument():
    torch.manual_seed(3)
    ids = torch.randint(3, 300, (2, 9))
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    reference, ours = sharp(), sharp()
    reference.eval(), ours.eval()
    use_chunked_loss(ours, 4)
    want = reference(input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True)
    got = ours(input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True)
    assert got.logits is not None and got.hidden_states is not None and len(got.hidden_states) == len(want.hidden_states)
    torch.testing.assert_close(got.logits, want.logits, rtol=0, atol=0)
    packed = torch.tensor([[0, 1, 2, 3, 0, 1, 2, 3, 4]] * 2)  # two conversations in each row
    alone = ours(input_ids=ids).logits
    for kwargs in ({"attention_mask": mask}, {"position_ids": packed}):
        logits = ours(input_ids=ids, **kwargs).logits
        assert not torch.allclose(logits, alone, atol=1e-4)  # the argument matters: the test can fail
        torch.testing.assert_close(logits, reference(input_ids=ids, **kwargs).logits, rtol=0, atol=0)


from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402  (sees ops inside autograd.Function)


class CountMatmuls(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func is torch.ops.aten.mm.default
        return func(*args, **(kwargs or {}))


def test_only_the_gradients_needed_are_formed():
    """Forward matmuls per chunk: 1 for the logits, +1 for each gradient that will be asked for. Evaluation
    (no_grad, a Parameter weight) forms none; a frozen weight (LoRA) forms no weight gradient; a frozen
    input still gets its weight gradient."""
    torch.manual_seed(4)
    hidden, weight, targets = torch.randn(40, 16), torch.randn(30, 16), torch.randint(0, 30, (40,))
    expected = torch.nn.functional.cross_entropy(hidden @ weight.T, targets)
    cases = [(True, True, True, 3), (True, False, True, 2), (False, True, True, 2), (True, True, False, 1)]
    for hidden_grad, weight_grad, grad_mode, per_chunk in cases:
        h = hidden.clone().requires_grad_(hidden_grad)
        w = torch.nn.Parameter(weight.clone(), requires_grad=weight_grad)
        with torch.set_grad_enabled(grad_mode), CountMatmuls() as counted:
            loss = chunked_cross_entropy(h, w, targets, chunk=10)
        assert counted.count == 4 * per_chunk, (hidden_grad, weight_grad, grad_mode)
        torch.testing.assert_close(loss, expected, rtol=0, atol=1e-5)
        if grad_mode:
            loss.backward()
            for x, ref in ((h, hidden), (w, weight)):
                if x.requires_grad:
                    h2, w2 = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
                    torch.nn.functional.cross_entropy(h2 @ w2.T, targets).backward()
                    torch.testing.assert_close(x.grad, (h2 if ref is hidden else w2).grad, rtol=1e-4, atol=1e-6)
