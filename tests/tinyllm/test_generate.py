"""tinyllm.generate: the one generation function and its options, against what it must equal."""

import argparse

import pytest
import torch

from tinyllm.errors import TinyLLMError
from tinyllm.generate import (SamplingOptions, add_sampling_args, cache_arguments, generate, sampling_options, stop_ids,
                              text_prompt_ids)


@pytest.fixture(scope="module")
def model_tok(tokenizer_dir):
    """An untrained tiny model: its next-token distributions are spread out, so sampling varies."""
    from tinyllm.model import build_model
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    model = build_model("tiny", len(tok), 256, seed=0, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                        pad_id=tok.pad_token_id)
    return model.eval(), tok


PROMPTS = ["Once upon a time", "Lily had a red ball and a blue kite.", "Tom"]


def argmax_loop(model, ids, n, stops):
    """Greedy decoding by hand: the full forward each step, the most likely next token."""
    new = []
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([ids + new])).logits[0, -1]
            new.append(int(logits.argmax()))
            if new[-1] in stops:
                break
    return new


def test_greedy_is_the_argmax_loop(model_tok):
    model, tok = model_tok
    for prompt in PROMPTS:
        ids = text_prompt_ids(tok, prompt)
        assert ids[0] == tok.bos_token_id
        expected = argmax_loop(model, ids, 12, stop_ids(tok))
        assert generate(model, tok, prompt, SamplingOptions(max_new_tokens=12)) == expected
        assert generate(model, tok, ids, SamplingOptions(max_new_tokens=12)) == expected  # ids or text alike
        # temperature <= 0 is greedy too, whatever do_sample says
        assert generate(model, tok, ids, SamplingOptions(do_sample=True, temperature=0, max_new_tokens=12)) == expected


def test_batched_equals_one_by_one_in_the_callers_order(model_tok):
    model, tok = model_tok
    opts = SamplingOptions(max_new_tokens=10)
    single = [generate(model, tok, p, opts) for p in PROMPTS]
    assert generate(model, tok, PROMPTS, opts, batch_size=3) == single
    assert generate(model, tok, PROMPTS, opts, batch_size=2) == single
    assert len({tuple(s) for s in single}) > 1  # different prompts, different outputs: the order is checked


def test_output_stops_after_the_first_stop_token(model_tok):
    model, tok = model_tok
    free = generate(model, tok, PROMPTS[0], SamplingOptions(max_new_tokens=8))
    stop = free[3]
    cut = generate(model, tok, PROMPTS[0], SamplingOptions(max_new_tokens=8), stop=[stop])
    assert cut == free[:free.index(stop) + 1]
    # min_new_tokens suppresses stop tokens: exactly max_new_tokens come back
    fixed = generate(model, tok, PROMPTS[0], SamplingOptions(max_new_tokens=8, min_new_tokens=8), stop=[stop])
    assert len(fixed) == 8 and stop not in fixed


def test_sampling_is_reproducible_with_its_seed(model_tok):
    model, tok = model_tok
    opts = SamplingOptions(do_sample=True, temperature=1.0, max_new_tokens=16, seed=3)
    first = generate(model, tok, PROMPTS, opts, batch_size=1)
    torch.manual_seed(12345)  # whatever ran before, the seed decides
    assert generate(model, tok, PROMPTS, opts, batch_size=1) == first
    other = generate(model, tok, PROMPTS, SamplingOptions(**{**vars(opts), "seed": 4}), batch_size=1)
    assert other != first
    assert first != generate(model, tok, PROMPTS, SamplingOptions(max_new_tokens=16), batch_size=1)  # not greedy


def test_options_from_command_line_flags():
    parser = argparse.ArgumentParser()
    add_sampling_args(parser, SamplingOptions(do_sample=True, temperature=0.7, top_k=50, top_p=0.95, max_new_tokens=128))
    opts = sampling_options(parser.parse_args([]))
    assert opts == SamplingOptions(do_sample=True, temperature=0.7, top_k=50, top_p=0.95, max_new_tokens=128)
    opts = sampling_options(parser.parse_args(["--top-k", "5", "--top-p", "0.5", "--temperature", "1.2", "--seed", "7",
                                               "--max-new-tokens", "9", "--repetition-penalty", "1.3",
                                               "--cache", "dynamic"]))
    assert opts == SamplingOptions(do_sample=True, temperature=1.2, top_k=5, top_p=0.5, repetition_penalty=1.3,
                                   max_new_tokens=9, seed=7, cache="dynamic")
    assert opts.generate_kwargs() == dict(do_sample=True, temperature=1.2, top_k=5, top_p=0.5, repetition_penalty=1.3)
    greedy = sampling_options(parser.parse_args(["--temperature", "0"]))
    assert greedy.greedy and greedy.generate_kwargs() == dict(do_sample=False, temperature=None, top_k=None, top_p=None)
    for bad, message in ((["--max-new-tokens", "0"], "at least 1"), (["--top-p", "1.5"], "top-p"),
                         (["--top-k", "-1"], "top-k")):
        with pytest.raises(TinyLLMError, match=message):
            sampling_options(parser.parse_args(bad))
    with pytest.raises(SystemExit):
        parser.parse_args(["--cache", "paged"])


class _Param:
    def __init__(self, device):
        self.device = torch.device(device)


class _FakeModel:
    def __init__(self, device, quantizer=None):
        self.device_, self.hf_quantizer = device, quantizer

    def parameters(self):
        yield _Param(self.device_)


def test_cache_choice():
    assert cache_arguments(_FakeModel("cpu"), "auto") == {}
    assert cache_arguments(_FakeModel("cuda"), "auto") == {"cache_implementation": "static"}
    assert cache_arguments(_FakeModel("cuda", quantizer=object()), "auto") == {}  # bitsandbytes: not compilable
    assert cache_arguments(_FakeModel("cpu"), "static") == {"cache_implementation": "static"}
    assert cache_arguments(_FakeModel("cuda"), "dynamic") == {}
