"""Model sizes: the original project's dims, llama2.c's FFN width, honest parameter counts."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from tinyllm.errors import TinyLLMError
from tinyllm.model import SIZES, build_model, count_params, ffn_hidden_dim, flops_per_token


def test_sizes_follow_the_original_scripts():
    dims = {name: (s.dim, s.n_layers, s.n_heads, s.n_kv_heads) for name, s in SIZES.items()}
    assert dims["9m"] == (120, 6, 6, 6) and dims["24m"] == (288, 6, 6, 6) and dims["58m"] == (512, 8, 8, 8)
    assert dims["134m"] == (768, 12, 12, 12) and dims["256m"] == (1024, 16, 16, 16)
    assert [ffn_hidden_dim(d) for d in (288, 512, 768)] == [768, 1376, 2048]  # as llama2.c computes


@pytest.mark.parametrize("size", ["tiny", "9m", "24m"])
def test_counted_parameters_equal_the_built_model(size):
    model = build_model(size, 4096, 256)
    assert model.get_input_embeddings().weight is model.get_output_embeddings().weight  # tied
    assert sum(p.numel() for p in model.parameters()) == count_params(size, 4096)


def test_names_match_the_counts_at_the_original_vocab():
    millions = {name: count_params(name, 64793) / 1e6 for name in SIZES if name != "tiny"}
    for name, m in millions.items():
        assert abs(m - float(name[:-1])) / float(name[:-1]) < 0.06, (name, m)
    assert flops_per_token("24m", 64793, 256) == 6 * count_params("24m", 64793) + 12 * 6 * 288 * 256


def test_checkpoint_is_plain_hf(tmp_path):
    model = build_model("tiny", 512, 64, seed=3)
    model.save_pretrained(tmp_path)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    ids = torch.randint(0, 512, (2, 16))
    assert torch.equal(model(ids).logits, loaded(ids).logits)
    assert (tmp_path / "model.safetensors").is_file()


def test_unknown_size():
    with pytest.raises(TinyLLMError, match="unknown model size '7b'"):
        build_model("7b", 512, 64)
