"""GGUF export, read back with the `gguf` package's reader: every tensor, the vocabulary, the metadata."""

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def checkpoints(tokenizer_dir, tmp_path_factory):
    from transformers import LlamaForCausalLM

    from tinyllm.model import Size, build_model, llama_config
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    root = tmp_path_factory.mktemp("gguf_ckpt")
    config = llama_config(Size(64, 2, 4, 2), len(tok), 64, pad_id=tok.pad_token_id)
    config.tie_word_embeddings = False
    torch.manual_seed(2)
    models = {"tied": build_model("tiny", len(tok), 64, pad_id=tok.pad_token_id), "untied_gqa": LlamaForCausalLM(config)}
    for name, model in models.items():
        model.save_pretrained(str(root / name))
        tok.save_pretrained(str(root / name))
    return {name: root / name for name in models}


def field(reader, key):
    return reader.fields[key].contents()


def interleave_rows(w, n_heads):
    """GGUF / Meta row order written out per head: row 2i <- HF row i, row 2i+1 <- HF row i + head_dim/2."""
    head_dim = w.shape[0] // n_heads
    out = np.empty_like(w)
    for h in range(n_heads):
        hf = w[h * head_dim:(h + 1) * head_dim]
        out[h * head_dim:(h + 1) * head_dim:2] = hf[:head_dim // 2]
        out[h * head_dim + 1:(h + 1) * head_dim:2] = hf[head_dim // 2:]
    return out


@pytest.mark.parametrize("qtype", ["f16", "q8_0"])
@pytest.mark.parametrize("kind", ["tied", "untied_gqa"])
def test_gguf_holds_every_tensor_and_the_vocabulary(checkpoints, tokenizer_dir, tmp_path, qtype, kind):
    import gguf
    import sentencepiece as spm

    from tinyllm.gguf_export import export_gguf
    from tinyllm.model import load_checkpoint

    export_gguf(checkpoints[kind], tmp_path / "m.gguf", qtype)
    reader = gguf.GGUFReader(tmp_path / "m.gguf")
    model, tok = load_checkpoint(checkpoints[kind])
    c = model.config

    assert field(reader, "general.architecture") == "llama"
    meta = {key: field(reader, f"llama.{key}") for key in
            ("context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
             "attention.head_count_kv", "rope.dimension_count", "vocab_size")}
    assert meta == {"context_length": 64, "embedding_length": 64, "block_count": 2,
                    "feed_forward_length": c.intermediate_size, "attention.head_count": 4,
                    "attention.head_count_kv": c.num_key_value_heads, "rope.dimension_count": 16,
                    "vocab_size": len(tok)}
    assert field(reader, "llama.attention.layer_norm_rms_epsilon") == pytest.approx(1e-5)
    assert field(reader, "llama.rope.freq_base") == 10000.0
    assert field(reader, "general.file_type") == (7 if qtype == "q8_0" else 1)

    # Vocabulary: pieces as the tokenizer's, scores as SentencePiece trained them, types and ids.
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer_dir / "tokenizer.model"))
    assert field(reader, "tokenizer.ggml.model") == "llama"
    assert field(reader, "tokenizer.ggml.tokens") == tok.convert_ids_to_tokens(list(range(len(tok))))
    assert field(reader, "tokenizer.ggml.scores") == pytest.approx([sp.get_score(i) for i in range(sp.vocab_size())])
    types = field(reader, "tokenizer.ggml.token_type")
    assert types[:6] == [2, 3, 3, 3, 3, 3] and set(types[6:262]) == {6} and set(types[262:]) == {1}
    assert [field(reader, f"tokenizer.ggml.{k}_token_id") for k in ("bos", "eos", "unknown", "padding")] == \
        [tok.bos_token_id, tok.eos_token_id, tok.unk_token_id, tok.pad_token_id]
    assert field(reader, "tokenizer.ggml.add_bos_token") is True
    assert field(reader, "tokenizer.ggml.add_space_prefix") is False
    template = field(reader, "tokenizer.chat_template")
    assert "{% generation %}" in tok.chat_template and "{% generation %}" not in template
    assert template == tok.chat_template.replace("{% generation %}", "").replace("{% endgeneration %}", "")

    # Tensors: every one there once, in GGML's order of dims, values as written.
    sd = {k: v.float().numpy() for k, v in model.state_dict().items()}
    expected = {"token_embd.weight": sd["model.embed_tokens.weight"], "output_norm.weight": sd["model.norm.weight"]}
    if kind == "untied_gqa":
        expected["output.weight"] = sd["lm_head.weight"]
    names = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_down": "mlp.down_proj",
             "ffn_up": "mlp.up_proj"}
    for i in range(2):
        expected.update({f"blk.{i}.{g}.weight": sd[f"model.layers.{i}.{hf}.weight"] for g, hf in names.items()})
        expected[f"blk.{i}.attn_q.weight"] = interleave_rows(sd[f"model.layers.{i}.self_attn.q_proj.weight"], 4)
        expected[f"blk.{i}.attn_k.weight"] = interleave_rows(sd[f"model.layers.{i}.self_attn.k_proj.weight"],
                                                             c.num_key_value_heads)
    assert sorted(t.name for t in reader.tensors) == sorted(expected)
    for t in reader.tensors:
        want = expected[t.name]
        assert list(t.shape) == list(reversed(want.shape)), t.name
        got = gguf.quants.dequantize(t.data, t.tensor_type).reshape(want.shape)
        if want.ndim == 1:
            assert t.tensor_type == gguf.GGMLQuantizationType.F32 and np.array_equal(got, want), t.name
        elif qtype == "f16":
            assert t.tensor_type == gguf.GGMLQuantizationType.F16, t.name
            assert np.array_equal(got, want.astype(np.float16).astype(np.float32)), t.name
        else:
            # Q8_0: blocks of 32 with the scale max|w|/127 stored in f16: each value is within half a
            # step of rounding plus the scale's f16 rounding (2^-11 relative) times at most 127 steps.
            assert t.tensor_type == gguf.GGMLQuantizationType.Q8_0, t.name
            step = np.abs(want.reshape(-1, 32)).max(1, keepdims=True) / 127
            assert (np.abs(got - want).reshape(-1, 32) <= step * (0.5 + 127 * 2 ** -11) + 1e-7).all(), t.name


def test_refuses_what_is_not_a_sentencepiece_tokenizer(checkpoints, tmp_path, capsys):
    from scripts.export_gguf import main as export_main
    from tinyllm.errors import run_cli
    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(checkpoints["tied"])
    tok.backend_tokenizer.model.byte_fallback = False  # a BPE that cannot encode every byte
    model.save_pretrained(str(tmp_path / "ckpt"))
    tok.save_pretrained(str(tmp_path / "ckpt"))
    with pytest.raises(SystemExit):
        run_cli(export_main, [str(tmp_path / "ckpt"), str(tmp_path / "m.gguf")])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a SentencePiece-style BPE tokenizer" in err[0]
    assert not (tmp_path / "m.gguf").exists()
