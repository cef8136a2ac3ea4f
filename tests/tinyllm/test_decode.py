"""tinyllm.decode: the static-cache decode step gives generate()'s greedy tokens, eager and compiled,
one slot or several at different positions."""

import pytest
import torch


@pytest.fixture(scope="module")
def model():
    from tinyllm.model import build_model

    torch.manual_seed(0)
    m = build_model("tiny", 512, 256).eval()
    with torch.no_grad():  # a random model's logits are nearly flat; scale them so argmax is not a coin flip
        m.lm_head.weight.mul_(8)
    return m


def reference(model, prompt, n):
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=n,
                             min_new_tokens=n, pad_token_id=0)
    return out[0, len(prompt):].tolist()


PROMPTS = [[1, 5, 77, 300], [1, 9], [1, 400, 3, 3, 17, 250, 8, 99, 100]]


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
def test_greedy_equals_generate(model, compile):
    from tinyllm.decode import DecodeOptions, StaticDecoder, greedy

    decoder = StaticDecoder(model, DecodeOptions(max_batch=1, max_len=64, compile=compile))
    assert decoder.compiled == compile
    for prompt in PROMPTS:
        assert greedy(decoder, prompt, 24) == reference(model, prompt, 24), prompt


def test_slots_at_different_positions_decode_independently(model):
    """Three prompts of different lengths, started at different steps, in one batched step each time."""
    from tinyllm.decode import DecodeOptions, StaticDecoder

    decoder = StaticDecoder(model, DecodeOptions(max_batch=4, max_len=64, compile=False))
    want = [reference(model, p, 12) for p in PROMPTS]
    got, pos, last = [[] for _ in PROMPTS], [0] * 4, [0] * 4
    for step in range(12 + len(PROMPTS)):
        if step < len(PROMPTS):  # slot `step` joins now, the others are mid-generation
            token = int(decoder.prefill(step, PROMPTS[step]).argmax())
            got[step].append(token)
            pos[step], last[step] = len(PROMPTS[step]), token
        logits = decoder.step(last, pos)
        for s in range(min(step + 1, len(PROMPTS))):
            if len(got[s]) < 12:
                token = int(logits[s].argmax())
                got[s].append(token)
                pos[s] += 1
                last[s] = token
    assert got == want


def test_sampling_is_seeded_and_filters():
    from tinyllm.decode import sample_token

    logits = torch.tensor([0.0, 5.0, 4.9, -3.0])
    assert sample_token(logits) == 1  # greedy
    draws = [sample_token(logits, 1.0, 1.0, 0, torch.Generator().manual_seed(7)) for _ in range(3)]
    assert len(set(draws)) == 1  # one seed, one draw
    # top_p keeps the smallest prefix reaching p: at p=0.7 tokens 1 and 2 (0.39 + 0.38); top_k=1 is greedy
    g = torch.Generator().manual_seed(0)
    assert {sample_token(logits, 5.0, 0.7, 0, g) for _ in range(200)} == {1, 2}
    assert {sample_token(logits, 5.0, 1.0, 1, g) for _ in range(50)} == {1}


@pytest.mark.parametrize("method", ["int8", "nf4"])
def test_quantized_checkpoints_decode_eagerly_with_generates_tokens(model, tmp_path, tokenizer_dir, method):
    """bitsandbytes layers are not compiled; the step calls them as modules and gives generate()'s tokens."""
    from tinyllm.decode import DecodeOptions, StaticDecoder, greedy
    from tinyllm.quant import bnb_config, quantize, save_quantized
    from tinyllm.tokenizer import load_tokenizer

    model.save_pretrained(tmp_path / "plain")
    load_tokenizer(tokenizer_dir).save_pretrained(tmp_path / "plain")
    quantized = quantize(tmp_path / "plain", bnb_config(method)).eval()
    decoder = StaticDecoder(quantized, DecodeOptions(max_batch=2, max_len=64))
    assert not decoder.compiled
    for prompt in PROMPTS:
        assert greedy(decoder, prompt, 16) == reference(quantized, prompt, 16), prompt
