"""llama2.c model.bin (v0, v1, v2) and tokenizer.bin: export, import, the RoPE permutation, bad files."""

import struct

import numpy as np
import pytest
import torch

from tinyllm.errors import TinyLLMError, run_cli

TEXTS = ["Once upon a time", "Lily had 3 red balls.\nShe got 2 more!", " a leading space", "two  spaces",
         "emoji 😀, ü and 中文", "<|im_start|>user\nhi<|im_end|>\n", ""]


def save_checkpoint(model, tok, path):
    model.save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


@pytest.fixture(scope="module")
def checkpoints(tokenizer_dir, tmp_path_factory):
    """A tied MHA model with tinyllm's defaults, and an untied GQA one with large weights (RoPE matters)."""
    from transformers import LlamaForCausalLM

    from tinyllm.model import Size, build_model, llama_config
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    root = tmp_path_factory.mktemp("llama2c_ckpt")
    tied = build_model("tiny", len(tok), 64, pad_id=tok.pad_token_id)
    config = llama_config(Size(64, 2, 4, 2), len(tok), 64, pad_id=tok.pad_token_id, hidden_dim=96)
    config.tie_word_embeddings = False
    torch.manual_seed(1)
    untied = LlamaForCausalLM(config)
    with torch.no_grad():
        for p in untied.parameters():
            p.normal_(0.0, 0.2)
    return {"tied": save_checkpoint(tied, tok, root / "tied"), "untied_gqa": save_checkpoint(untied, tok, root / "gqa")}


def logits(checkpoint_or_model, ids):
    from tinyllm.model import load_checkpoint

    model = load_checkpoint(checkpoint_or_model)[0] if not isinstance(checkpoint_or_model, torch.nn.Module) \
        else checkpoint_or_model
    with torch.no_grad():
        return model(torch.tensor(ids)).logits


def sample_ids(vocab, n=2, length=40):
    return torch.randint(0, vocab, (n, length), generator=torch.Generator().manual_seed(0)).tolist()


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("kind", ["tied", "untied_gqa"])
def test_fp32_round_trip_reproduces_logits_and_tokenizer(checkpoints, tmp_path, version, kind):
    from tinyllm.llama2c import export_llama2c, import_llama2c, read_header
    from tinyllm.model import load_checkpoint

    src = checkpoints[kind]
    export_llama2c(src, tmp_path / "model.bin", version, tmp_path / "tok.bin")
    header_version, params, shared, _ = read_header(tmp_path / "model.bin")
    assert (header_version, shared, params.n_kv_heads) == (version, kind == "tied", 4 if kind == "tied" else 2)
    import_llama2c(tmp_path / "model.bin", tmp_path / "tok.bin", tmp_path / "back", add_dummy_prefix=False)

    original, tok = load_checkpoint(src)
    back, tok_back = load_checkpoint(tmp_path / "back")
    assert back.config.tie_word_embeddings == original.config.tie_word_embeddings
    assert back.config.intermediate_size == original.config.intermediate_size
    ids = sample_ids(len(tok))
    assert (logits(original, ids) - logits(back, ids)).abs().max().item() <= 1e-5
    assert tok_back.get_vocab() == tok.get_vocab()
    assert [tok_back.bos_token_id, tok_back.eos_token_id, tok_back.unk_token_id, tok_back.pad_token_id] == \
        [tok.bos_token_id, tok.eos_token_id, tok.unk_token_id, tok.pad_token_id]
    for text in TEXTS:
        assert tok_back.encode(text, add_special_tokens=False) == tok.encode(text, add_special_tokens=False), text
        assert tok_back.decode(tok_back.encode(text, add_special_tokens=False)) == text
    chat = [{"role": "user", "content": "What is 2 plus 3?"}, {"role": "assistant", "content": "5"}]
    assert tok_back.apply_chat_template(chat, tokenize=True, return_dict=True)["input_ids"] == \
        tok.apply_chat_template(chat, tokenize=True, return_dict=True)["input_ids"]


def runc_forward(m, tokens):
    """llama2.c's forward pass in numpy (float64), written from run.c: interleaved-pair RoPE per head,
    grouped kv heads, rmsnorm eps 1e-5, SwiGLU; an oracle for the layout the export writes."""
    p = m.params
    hs, T, kv_mul = p.head_size, len(tokens), p.n_heads // p.n_kv_heads

    def rmsnorm(x, w):
        return w * x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-5)

    def rope(v, n_heads):
        pairs = v.reshape(T, n_heads, hs // 2, 2)
        angle = np.arange(T)[:, None, None] / 10000.0 ** (np.arange(0, hs, 2) / hs)
        cos, sin = np.cos(angle), np.sin(angle)
        v0, v1 = pairs[..., 0], pairs[..., 1]
        return np.stack([v0 * cos - v1 * sin, v0 * sin + v1 * cos], -1).reshape(T, -1)

    x = m.tok_embeddings[tokens].astype(np.float64)
    causal = np.triu(np.full((T, T), -np.inf), 1)
    for layer in range(p.n_layers):
        w = {k: v[layer] for k, v in m.layers.items()}
        xb = rmsnorm(x, m.rms_att[layer])
        q, k, v = rope(xb @ w["wq"].T, p.n_heads), rope(xb @ w["wk"].T, p.n_kv_heads), xb @ w["wv"].T
        heads = []
        for h in range(p.n_heads):
            kv = slice((h // kv_mul) * hs, (h // kv_mul + 1) * hs)
            att = q[:, h * hs:(h + 1) * hs] @ k[:, kv].T / np.sqrt(hs) + causal
            att = np.exp(att - att.max(-1, keepdims=True))
            heads.append(att / att.sum(-1, keepdims=True) @ v[:, kv])
        x = x + np.concatenate(heads, -1) @ w["wo"].T
        xb = rmsnorm(x, m.rms_ffn[layer])
        gate = xb @ w["w1"].T
        x = x + (gate / (1 + np.exp(-gate)) * (xb @ w["w3"].T)) @ w["w2"].T
    return rmsnorm(x, m.rms_final) @ (m.tok_embeddings if m.classifier is None else m.classifier).T


def test_exported_layout_computes_what_run_c_computes(checkpoints, tmp_path):
    from tinyllm.llama2c import export_llama2c, interleaved_to_hf, read_model

    export_llama2c(checkpoints["untied_gqa"], tmp_path / "model.bin", 0)
    m, _ = read_model(tmp_path / "model.bin")
    tokens = sample_ids(m.params.vocab_size, n=1)[0]
    hf = logits(checkpoints["untied_gqa"], [tokens])[0].double().numpy()
    assert np.abs(runc_forward(m, tokens) - hf).max() <= 1e-5
    # The permutation is what makes it match: HF's rotate-half order read as pairs is far off.
    m.layers["wq"] = np.stack([interleaved_to_hf(w, m.params.n_heads) for w in m.layers["wq"]])
    m.layers["wk"] = np.stack([interleaved_to_hf(w, m.params.n_kv_heads) for w in m.layers["wk"]])
    assert np.abs(runc_forward(m, tokens) - hf).max() > 1e-2


def q80_reference(w, group):
    """Q8_0 as llama2.c's export.py does it, for the expected dequantized weights."""
    g = w.reshape(-1, group)
    scale = np.abs(g).max(1, keepdims=True) / 127.0
    return (np.round(g / scale) * scale).reshape(w.shape)


def test_int8_v2(checkpoints, tmp_path):
    """Version 2 stores Q8_0 weights: import must give exactly the dequantized model (1e-5), which
    differs from the fp32 model by the quantization error: each weight moves by at most
    max|w in its group| / 254, about 0.4% of the group's range, so logits move by ~1% of their scale."""
    from tinyllm.llama2c import HF_NAMES, export_llama2c, import_llama2c, read_header
    from tinyllm.model import load_checkpoint

    src = checkpoints["untied_gqa"]
    export_llama2c(src, tmp_path / "q80.bin", 2, tmp_path / "tok.bin")
    version, _, _, group = read_header(tmp_path / "q80.bin")
    assert (version, group) == (2, 32)  # hidden_dim 96 is not a multiple of 64: halved to 32
    export_llama2c(src, tmp_path / "fp32.bin", 1)
    assert (tmp_path / "q80.bin").stat().st_size < 0.3 * (tmp_path / "fp32.bin").stat().st_size
    import_llama2c(tmp_path / "q80.bin", tmp_path / "tok.bin", tmp_path / "back", add_dummy_prefix=False)

    original = load_checkpoint(src)[0]
    expected = load_checkpoint(src)[0]
    matrices = ["model.embed_tokens.weight", "lm_head.weight"] + \
        [f"model.layers.{i}.{name}.weight" for i in range(2) for name in HF_NAMES.values()]
    with torch.no_grad():
        for name, p in expected.named_parameters():
            if name in matrices:
                p.copy_(torch.from_numpy(q80_reference(p.numpy(), group)))
    ids = sample_ids(original.config.vocab_size)
    back = logits(tmp_path / "back", ids)
    assert (back - logits(expected, ids)).abs().max().item() <= 1e-5
    reference = logits(original, ids)
    drift = (back - reference).abs().max().item() / reference.abs().max().item()
    assert 0 < drift <= 0.02


# ---------------------------------------------------------------------------- a llama2.c tokenizer

def llama2c_tokenizer_bin(sp) -> bytes:
    """tokenizer.bin as llama2.c's tokenizer.py export() writes it."""
    pieces = []
    for i in range(sp.vocab_size()):
        t = sp.id_to_piece(i)
        t = "\n<s>\n" if i == sp.bos_id() else "\n</s>\n" if i == sp.eos_id() else t
        pieces.append((t.replace("▁", " ").encode("utf-8"), sp.get_score(i)))
    out = struct.pack("I", max(len(b) for b, _ in pieces))
    return out + b"".join(struct.pack("fI", s, len(b)) + b for b, s in pieces)


def runc_encode(text, pieces, scores):
    """run.c's bpe_encode transcribed: BOS, a dummy ' ' token, each UTF-8 codepoint looked up (bytes at
    id byte+3 when absent), then merge the adjacent pair whose merged piece scores highest, leftmost first."""
    lookup = {}
    for i, p in enumerate(pieces):
        lookup.setdefault(p, i)
    tokens = [1] + ([lookup[b" "]] if text else [])
    raw = text.encode("utf-8")
    i = 0
    while i < len(raw):
        j = i + 1
        while j < len(raw) and raw[j] & 0xC0 == 0x80 and j - i < 4:
            j += 1
        k = lookup.get(raw[i:j])
        tokens += [k] if k is not None else [b + 3 for b in raw[i:j]]
        i = j
    while True:
        best = None
        for t in range(1, len(tokens) - 1):
            k = lookup.get(pieces[tokens[t]] + pieces[tokens[t + 1]])
            if k is not None and (best is None or scores[k] > scores[best[1]]):
                best = (t, k)
        if best is None:
            return tokens
        tokens[best[0]:best[0] + 2] = [best[1]]


@pytest.fixture(scope="module")
def llama2c_files(corpus_dir, tmp_path_factory):
    """model.bin + tokenizer.bin as llama2.c makes them: a SentencePiece BPE trained like its
    train_vocab (Llama layout: <unk> <s> </s>, bytes at 3..258, dummy prefix, no pad)."""
    import sentencepiece as spm

    from conftest import read_jsonl
    from tinyllm.llama2c import from_hf, write_model
    from tinyllm.model import build_model

    root = tmp_path_factory.mktemp("llama2c_files")
    lines = [line for doc in read_jsonl(corpus_dir / "stories_train.jsonl")[:400] for line in doc.split("\n") if line]
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=str(root / "sp"), model_type="bpe",
                                   vocab_size=400, self_test_sample_size=0, character_coverage=1.0, split_digits=True,
                                   allow_whitespace_only_pieces=True, byte_fallback=True, num_threads=2,
                                   normalization_rule_name="identity", minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(root / "sp.model"))
    (root / "tok.bin").write_bytes(llama2c_tokenizer_bin(sp))
    write_model(root / "model.bin", from_hf(build_model("tiny", sp.vocab_size(), 64), "built"), 0)
    return root


def test_imported_tokenizer_encodes_as_run_c(llama2c_files, tmp_path):
    import sentencepiece as spm

    from tinyllm.llama2c import export_llama2c, import_llama2c, read_tokenizer

    root = llama2c_files
    model, tok = import_llama2c(root / "model.bin", root / "tok.bin", tmp_path / "imported")
    pieces, scores = read_tokenizer(root / "tok.bin", 400)
    pieces = [b" " + p.strip(b"\n") if i in (1, 2) else p for i, p in enumerate(pieces)]  # unreachable by merges
    for text in TEXTS + ["Tom said: \"Hello!\"\t", "x" * 30, "12345"]:
        assert [tok.bos_token_id] + tok.encode(text, add_special_tokens=False) == runc_encode(text, pieces, scores), text
    assert (tok.unk_token_id, tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (0, 1, 2, 0)
    assert tok.convert_ids_to_tokens([3, 258]) == ["<0x00>", "<0xFF>"]
    assert tok.decode(tok.encode("Once upon a time", add_special_tokens=False)) == "Once upon a time"
    assert tok.chat_template and model.config.vocab_size == 400 and model.config.max_position_embeddings == 64

    # The tokenizer.model written beside it is the same tokenizer for sentencepiece users...
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "imported" / "tokenizer.model"))
    for text in TEXTS:
        assert sp.encode(text) == tok.encode(text, add_special_tokens=False), text
    # ...and carries the exact scores, so exporting again gives back the same tokenizer.bin.
    export_llama2c(tmp_path / "imported", tmp_path / "again.bin", 0, tmp_path / "again_tok.bin")
    assert (tmp_path / "again_tok.bin").read_bytes() == (root / "tok.bin").read_bytes()
    assert (tmp_path / "again.bin").read_bytes() == (root / "model.bin").read_bytes()


# ---------------------------------------------------------------------------- bad input

def cli_error(main, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(main, argv)
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(lines) == 1
    return lines[0]


def test_bad_files_are_refused_with_one_line(llama2c_files, tmp_path, capsys):
    from scripts.import_llama2c import main as import_main

    good_model, good_tok = (llama2c_files / "model.bin").read_bytes(), (llama2c_files / "tok.bin").read_bytes()
    out = tmp_path / "out"

    def refuse(model_bytes, tok_bytes=good_tok):
        (tmp_path / "m.bin").write_bytes(model_bytes)
        (tmp_path / "t.bin").write_bytes(tok_bytes)
        return cli_error(import_main, [str(tmp_path / "m.bin"), str(tmp_path / "t.bin"), str(out)], capsys)

    m = str(tmp_path / "m.bin")
    assert refuse(good_model[:-100]).startswith(f"error: {m}: truncated: the version-0 header (dim=64")
    assert refuse(good_model[:20]).startswith(f"error: {m}: truncated: 20 bytes")
    assert "the header does not match the file" in refuse(good_model + b"\0" * 8)
    params = list(struct.unpack_from("<7i", good_model))
    params[2] = 3  # n_layers
    assert "needs" in refuse(struct.pack("<7i", *params) + good_model[28:])  # more layers than the file holds
    assert "is not a model" in refuse(struct.pack("<7i", 64, 192, 2, 5, 5, 400, 64) + good_model[28:])
    assert "version 7 is not supported" in refuse(struct.pack("<Ii", 0x616B3432, 7) + good_model[8:])

    t = str(tmp_path / "t.bin")
    entries = []  # where each piece's entry starts, to cut the last one off cleanly
    pos = 4
    while pos < len(good_tok):
        n = struct.unpack_from("<i", good_tok, pos + 4)[0]
        entries.append(pos)
        pos += 8 + n
    assert refuse(good_model, good_tok[:entries[-1]]) == \
        f"error: {t}: holds 399 pieces but the model's vocab_size is 400 (a tokenizer.bin made for another model?)"
    assert refuse(good_model, good_tok[:-1]).startswith(f"error: {t}: truncated or corrupt: piece 399")
    assert not out.exists()

    out.mkdir()
    assert "already exists (pass --overwrite" in refuse(good_model)


def test_run_c_cannot_compute_other_rope(checkpoints, tmp_path, capsys):
    from scripts.export_llama2c import main as export_main
    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(checkpoints["tied"])
    model.config.rope_parameters = {"rope_type": "default", "rope_theta": 500000.0}
    save_checkpoint(model, tok, tmp_path / "theta")
    err = cli_error(export_main, [str(tmp_path / "theta"), str(tmp_path / "m.bin")], capsys)
    assert "cannot be written for llama2.c: RoPE default with theta 500000.0" in err
    assert not (tmp_path / "m.bin").exists()
