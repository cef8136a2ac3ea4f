"""Every GPU code path of the project, run on CPU and compared with the fp32 eager result.

No GPU has trained these models yet, so the paths a GPU run switches on (torch.compile, bf16 autocast,
fp16 with a gradient scaler, fused AdamW, the static KV cache and compiled generation with left-padded
batches) run here on the CPU, where torch supports each of them, on the smallest models (2 layers,
dim 64, vocab 300). Each test states its tolerance beside the comparison. The batch-1 decode loop of
the server (`tinyllm.decode`, compiled) is compared with generate() in tests/tinyllm/test_decode.py.
"""

import types

import pytest
import torch

from tinyllm import patches

VOCAB, SEQ, BATCH, STEPS, LR = 300, 32, 2, 3, 1e-3


@pytest.fixture(scope="module", autouse=True)
def _patched():
    patches.apply()


class Windows:
    """Fixed random pretraining windows: the same batches in every run."""

    def __init__(self, n=BATCH * STEPS):
        self.ids = torch.randint(3, VOCAB, (n, SEQ), generator=torch.Generator().manual_seed(0))

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def pretrain_recipe(tmp_path, **keys):
    from stages.pretrain import PretrainRecipe

    return PretrainRecipe(out_dir=str(tmp_path), data_dir="", size="tiny", seq_len=SEQ, batch_size=BATCH,
                          max_steps=STEPS, warmup_steps=0, eval_every=0, log_every=1, lr=LR, **keys)


def train(cfg, model, dataset, dtype="fp32", collator=None, **stage_args):
    """What a stage does with its recipe: training_arguments + the stage's Trainer; (per-step losses, trainer)."""
    from tinyllm.checkpoints import AtomicTrainer
    from tinyllm.train_args import training_arguments

    args = training_arguments(cfg, dtype, save_strategy="no", report_to=[], **stage_args)
    trainer = AtomicTrainer(model=model, args=args, train_dataset=dataset, data_collator=collator)
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == STEPS
    return losses, trainer


def pretrain(tmp_path, dtype="fp32", compile=False, **stage_args):
    from stages.pretrain import make_model

    cfg = pretrain_recipe(tmp_path, ce_chunk=16, compile=compile)
    return train(cfg, make_model(cfg, VOCAB), Windows(), dtype, **stage_args)


@pytest.fixture(scope="module")
def eager_pretrain(tmp_path_factory):
    """The reference: the pretraining stage's set-up (chunked loss), fp32, eager, torch AdamW."""
    return pretrain(tmp_path_factory.mktemp("eager"))


def compiled_graphs():
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


def test_compiled_pretrain_step_matches_eager_fp32(tmp_path, eager_pretrain):
    """compile: true, as the recipe turns it on (the Trainer's torch_compile), chunked loss on."""
    reference, _ = eager_pretrain
    before = compiled_graphs()
    losses, trainer = pretrain(tmp_path, compile=True)
    assert trainer.args.torch_compile and compiled_graphs() > before  # the model really went through dynamo
    # fp32 throughout: inductor only reorders float sums, ~1e-7 relative; 1e-4 relative over 3 steps.
    assert losses == pytest.approx(reference, rel=1e-4)


def packed_sft(tmp_path, compile, ce_chunk):
    """The SFT stage's packed batching (position_ids restart per conversation, no attention mask)."""
    from stages.sft import SFTRecipe, build_datasets
    from tinyllm.loss import use_chunked_loss
    from tinyllm.model import build_model

    g = torch.Generator().manual_seed(1)
    samples = []
    for n in torch.randint(6, 20, (24,), generator=g).tolist():
        ids = [1] + torch.randint(3, VOCAB, (n - 1,), generator=g).tolist()
        answer = n // 2  # the second half is the "assistant" part: the labels
        samples.append({"input_ids": ids, "assistant_mask": [0] * answer + [1] * (n - answer)})
    cfg = SFTRecipe(out_dir=str(tmp_path), model="", train_data="", batching="packed", pack_len=SEQ,
                    batch_size=BATCH, max_steps=STEPS, warmup_steps=0, eval_every=0, log_every=1, lr=LR,
                    ce_chunk=ce_chunk, compile=compile)
    train_ds, _, collator = build_datasets(cfg, types.SimpleNamespace(pad_token_id=0), samples, None)
    assert len(train_ds) >= BATCH * STEPS
    model = build_model("tiny", VOCAB, SEQ, seed=0, pad_id=0)
    use_chunked_loss(model, ce_chunk)
    return train(cfg, model, train_ds, collator=collator)[0]


def test_compiled_packed_sft_step_with_chunked_loss_matches_eager_fp32(tmp_path):
    before = compiled_graphs()
    compiled = packed_sft(tmp_path / "compiled", compile=True, ce_chunk=16)
    assert compiled_graphs() > before
    eager = packed_sft(tmp_path / "eager", compile=False, ce_chunk=16)
    plain = packed_sft(tmp_path / "plain", compile=False, ce_chunk=0)
    # fp32: compiled vs eager, and the chunked loss vs full logits, agree to 1e-4 relative over 3 steps
    # (observed ~1e-7): compile changes nothing the packed batch computes (its per-conversation
    # isolation in eager mode is tests/test_claims.py's).
    assert compiled == pytest.approx(eager, rel=1e-4)
    assert eager == pytest.approx(plain, rel=1e-4)


def test_bf16_autocast_pretrain_matches_fp32(tmp_path, eager_pretrain):
    """dtype bf16 (the GPU default): the Trainer's bf16 autocast, which torch also runs on a CPU."""
    reference, _ = eager_pretrain
    losses, _ = pretrain(tmp_path, dtype="bf16")
    assert losses != reference  # autocast really ran: bf16 rounding shows in the loss
    # bf16 keeps 8 mantissa bits (~4e-3 per rounding), but logits, log-sum-exp and the loss sum stay fp32:
    # 1e-3 relative (observed 3e-5); a log-sum-exp taken in bf16 is ~4e-3 off.
    assert losses == pytest.approx(reference, rel=1e-3)


def test_fused_adamw_matches_torch_adamw(tmp_path, eager_pretrain):
    """optim adamw_torch_fused, what training_arguments picks on a GPU (torch has a fused CPU kernel since 2.4)."""
    reference, eager = eager_pretrain
    losses, trainer = pretrain(tmp_path, optim="adamw_torch_fused")
    optimizer = getattr(trainer.optimizer, "optimizer", trainer.optimizer)
    assert optimizer.defaults.get("fused") is True
    # The same algorithm on the same gradients: only rounding differs; 1e-6 absolute on every weight.
    assert losses == pytest.approx(reference, rel=1e-6)
    for (name, a), b in zip(trainer.model.named_parameters(), eager.model.parameters()):
        assert torch.allclose(a, b, rtol=0, atol=1e-6), name


def test_fp16_autocast_with_grad_scaler_gives_fp32_gradients_and_steps(tmp_path):
    """dtype fp16 on a GPU without bf16: autocast(fp16), loss scaled by GradScaler (65536 at first),
    gradients unscaled before clipping, then the step. The Trainer with fp16=True on a CPU trains in
    fp32 (its losses equal fp32's exactly), so the loop is written out as accelerate runs it on a GPU,
    on the pretraining model with the chunked loss."""
    from stages.pretrain import make_model

    if not hasattr(torch.amp, "GradScaler"):
        pytest.skip(f"torch {torch.__version__} has no device-generic torch.amp.GradScaler (a CPU scaler needs >= 2.3)")
    cfg = pretrain_recipe(tmp_path, ce_chunk=16)
    batch = Windows(BATCH).ids

    def one_step(fp16):
        model = make_model(cfg, VOCAB)
        optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
        scaler = torch.amp.GradScaler("cpu", init_scale=65536.0, enabled=fp16)
        with torch.autocast("cpu", dtype=torch.float16, enabled=fp16):
            loss = model(input_ids=batch, labels=batch).loss
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        grads = [p.grad.clone() for p in model.parameters()]
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip))
        before = [p.detach().clone() for p in model.parameters()]
        scaler.step(optimizer)
        scaler.update()
        update = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before)])
        return float(loss.detach()), grads, norm, update, scaler.get_scale() if fp16 else None

    ref_loss, ref_grads, ref_norm, ref_update, _ = one_step(False)
    loss, grads, norm, update, scale = one_step(True)
    assert loss != ref_loss  # fp16 autocast really ran
    assert loss == pytest.approx(ref_loss, rel=1e-3)  # fp16 (11 mantissa bits), loss summed in fp32 (observed 2e-7)
    # Unscaled fp16 gradients (before clipping) within 1e-2 relative (L2, per tensor) of fp32's, and so
    # their norm, which clipping uses (observed 1.2e-3 and 1e-5): a gradient left scaled is 65536x off, one
    # flushed to zero 100 % off.
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert float((g - r).norm() / r.norm()) < 1e-2, f"parameter {i}"
    assert norm == pytest.approx(ref_norm, rel=1e-2)
    assert scale == 65536.0  # no inf/NaN found: the step was taken and the scale kept
    # AdamW's first update is ~lr per weight whatever the gradient's size; it differs from fp32's only
    # where a near-zero gradient flips sign: the mean difference stays under 1 % of lr (observed 0.06 %).
    assert float((update - ref_update).abs().mean()) < 0.01 * LR


@pytest.fixture(scope="module")
def gen_model():
    """A tiny untrained model with large weights: its greedy choices depend on the whole context,
    so attending to a pad token changes them (with the default 0.02 init it repeats the last token)."""
    from tinyllm.model import build_model

    model = build_model("tiny", VOCAB, 64, seed=0, bos_id=1, eos_id=2, pad_id=0).eval()
    with torch.no_grad():
        g = torch.Generator().manual_seed(0)
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    tok = types.SimpleNamespace(pad_token_id=0, eos_token_id=2, bos_token_id=1)
    g = torch.Generator().manual_seed(1)
    prompts = [[1] + torch.randint(3, VOCAB, (n,), generator=g).tolist() for n in (2, 11, 6, 8)]
    return model, tok, prompts


def greedy(model, tok, prompts, cache, batch_size, **extra):
    from tinyllm.generate import SamplingOptions, generate

    # Exactly 10 new tokens each: stop tokens suppressed, so every row decodes every step.
    opts = SamplingOptions(max_new_tokens=10, min_new_tokens=10, cache=cache)
    return generate(model, tok, prompts, opts, batch_size=batch_size, stop=[tok.eos_token_id], **extra)


@pytest.mark.parametrize("compiled", [False, True], ids=["static", "static-compiled"])
def test_static_cache_left_padded_batch_gives_the_dynamic_cache_greedy_tokens(gen_model, compiled, monkeypatch):
    """cache=static (auto's choice on a GPU), batches left-padded to their longest prompt; compiled:
    transformers' compiled decoding step, which it runs on a GPU and here on the CPU by request."""
    from transformers import CompileConfig

    model, tok, prompts = gen_model
    alone = [greedy(model, tok, [p], "dynamic", 1)[0] for p in prompts]  # no padding, dynamic cache
    assert len({tuple(a) for a in alone}) == len(alone)
    extra = {}
    if compiled:
        extra["compile_config"] = CompileConfig(fullgraph=False)
        extra["compile_config"]._compile_all_devices = True  # transformers compiles only on GPUs unless asked
    # Identical greedy tokens (tolerance: none); padding 9, 0, 5 and 3 positions in one batch of 4.
    assert greedy(model, tok, prompts, "dynamic", 4) == alone
    caches = []  # what model.generate was asked for: the static cache must really be used
    original = model.generate
    monkeypatch.setattr(model, "generate", lambda *a, **k: caches.append(k.get("cache_implementation")) or original(*a, **k))
    assert greedy(model, tok, prompts, "static", 4, **extra) == alone
    assert caches == ["static"]
    if compiled:
        assert getattr(model, "_compiled_call", None) is not None  # the compiled forward was built and used
