"""Checkpoints as GGUF files that llama.cpp loads as `llama` models, written with the `gguf` package.

Tensor names, metadata keys and the q/k row order are those llama.cpp's own
convert_hf_to_gguf.py writes for Llama: q/k rows in interleaved RoPE order (the same permutation
as llama2.c's), norms in F32, matrices in F16 or Q8_0, no `output.weight` when the embedding is
tied (llama.cpp reuses `token_embd`). The tokenizer goes in as a SentencePiece (`llama`)
vocabulary with scores, types, special ids, the dummy-prefix flag and the chat template.
"""

import re
from pathlib import Path

import numpy as np

from tinyllm.atomic import atomic_path
from tinyllm.errors import TinyLLMError
from tinyllm.llama2c import from_hf
from tinyllm.model import load_checkpoint
from tinyllm.sp_vocab import vocab_from_tokenizer

TYPES = ("f16", "q8_0")
# `{% generation %}` only marks assistant tokens for transformers' training masks; llama.cpp's
# template engine does not know the tag, and without it the template renders the same text.
GENERATION_TAG = re.compile(r"{%-?\s*(end)?generation\s*-?%}")


def gguf_tensors(weights) -> list[tuple[str, np.ndarray]]:
    """(GGUF name, fp32 array) for a Llama2cModel (whose q/k rows are already interleaved)."""
    names = {"wq": "attn_q", "wk": "attn_k", "wv": "attn_v", "wo": "attn_output",
             "w1": "ffn_gate", "w2": "ffn_down", "w3": "ffn_up"}
    out = [("token_embd.weight", weights.tok_embeddings), ("output_norm.weight", weights.rms_final)]
    if weights.classifier is not None:
        out.append(("output.weight", weights.classifier))
    for i in range(weights.params.n_layers):
        out.append((f"blk.{i}.attn_norm.weight", weights.rms_att[i]))
        out.append((f"blk.{i}.ffn_norm.weight", weights.rms_ffn[i]))
        out += [(f"blk.{i}.{gguf}.weight", weights.layers[name][i]) for name, gguf in names.items()]
    return out


def export_gguf(checkpoint, out_path, qtype: str = "f16") -> list[str]:
    """Write `checkpoint` as a GGUF file; returns notes (tensors kept in F16 for Q8_0's block size)."""
    import gguf

    if qtype not in TYPES:
        raise TinyLLMError(f"--type {qtype!r}: choose one of {', '.join(TYPES)}")
    model, tok = load_checkpoint(checkpoint)
    if hasattr(model, "merge_and_unload"):  # a LoRA adapter directory: fold the adapters in first
        model = model.merge_and_unload()
    config = model.config
    if getattr(config, "model_type", None) != "llama" or getattr(config, "attention_bias", False) \
            or getattr(config, "mlp_bias", False) or getattr(config, "hidden_act", "silu") != "silu":
        raise TinyLLMError(f"{checkpoint}: only plain Llama models (no biases, SiLU) are written as GGUF")
    rope = getattr(config, "rope_parameters", None) or {}
    if rope.get("rope_type", "default") != "default":
        raise TinyLLMError(f"{checkpoint}: RoPE scaling {rope.get('rope_type')!r} is not written to GGUF here")
    weights = from_hf(model, checkpoint, check=False)
    vocab = vocab_from_tokenizer(tok, checkpoint, config.vocab_size)
    p = weights.params

    notes = []
    quantized = gguf.GGMLQuantizationType.Q8_0 if qtype == "q8_0" else gguf.GGMLQuantizationType.F16
    with atomic_path(out_path) as tmp:
        writer = gguf.GGUFWriter(tmp, "llama")
        writer.add_name(Path(checkpoint).resolve().name)
        writer.add_context_length(p.max_seq_len)
        writer.add_embedding_length(p.dim)
        writer.add_block_count(p.n_layers)
        writer.add_feed_forward_length(p.hidden_dim)
        writer.add_head_count(p.n_heads)
        writer.add_head_count_kv(p.n_kv_heads)
        writer.add_rope_dimension_count(p.head_size)
        writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))))
        writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
        writer.add_vocab_size(p.vocab_size)
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if qtype == "q8_0" else gguf.LlamaFileType.MOSTLY_F16)
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(vocab.pieces)
        writer.add_token_scores(vocab.scores)
        writer.add_token_types(vocab.types)
        writer.add_bos_token_id(vocab.bos_id)
        writer.add_eos_token_id(vocab.eos_id)
        writer.add_unk_token_id(vocab.unk_id)
        if vocab.pad_id is not None:
            writer.add_pad_token_id(vocab.pad_id)
        writer.add_add_bos_token(True)   # every tinyllm prompt starts with <s>
        writer.add_add_eos_token(False)
        writer.add_add_space_prefix(vocab.add_dummy_prefix)
        if tok.chat_template:
            writer.add_chat_template(GENERATION_TAG.sub("", tok.chat_template))

        for name, w in gguf_tensors(weights):
            w = np.ascontiguousarray(w, dtype=np.float32)
            if w.ndim == 1:
                writer.add_tensor(name, w)
            elif quantized == gguf.GGMLQuantizationType.Q8_0 and w.shape[-1] % 32 == 0:
                writer.add_tensor(name, gguf.quants.quantize(w, quantized), raw_dtype=quantized)
            else:
                if quantized == gguf.GGMLQuantizationType.Q8_0:
                    notes.append(f"{name} {w.shape}: rows are not a multiple of Q8_0's block of 32, kept in F16")
                writer.add_tensor(name, w.astype(np.float16))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file(progress=True)
        writer.close()
    print(f"wrote GGUF {out_path} ({qtype}): {p.describe()}, {len(vocab)} tokens, "
          f"{Path(out_path).stat().st_size / 1e6:.2f} MB")
    for note in notes:
        print(f"note: {note}")
    return notes
