"""llama2.c's model.bin (versions 0, 1, 2) and tokenizer.bin, to and from tinyllm checkpoints.

Formats as llama2.c's export.py writes them and run.c / runq.c read them (little-endian):
- version 0 (legacy, what run.c reads): seven int32 (dim, hidden_dim, n_layers, n_heads,
  n_kv_heads, vocab_size, max_seq_len; a negative vocab_size means the classifier is not the
  embedding), then fp32 tensors: token embedding, attention norms, wq, wk, wv, wo, ffn norms,
  w1, w2, w3, final norm, two RoPE tables of max_seq_len * head_size / 2 (unused by run.c),
  and the classifier when unshared. Each per-layer tensor is all layers' weights in a row.
- version 1: a 256-byte header (uint32 magic "ak42", int32 version, the seven ints with a
  positive vocab_size, uint8 shared_classifier, zeros), then fp32: attention norms, ffn norms,
  final norm, embedding, wq, wk, wv, wo, w1, w2, w3, [classifier].
- version 2 (runq.c): the version-1 header plus int32 group_size; fp32 norms as in version 1,
  then each matrix (embedding, wq..., wk..., wv..., wo..., w1..., w2..., w3..., [classifier]),
  one layer at a time, as int8 values then fp32 scales: Q8_0, symmetric, per group of
  group_size consecutive values, scale = max|w| / 127.
- tokenizer.bin: uint32 max piece length, then per piece a float32 score, an int32 length and
  the UTF-8 bytes, with ' ' for '▁', '\\n<s>\\n' / '\\n</s>\\n' for BOS / EOS and '<0xXX>' for bytes.

RoPE: llama2.c rotates interleaved pairs (x[2i], x[2i+1]) of each head, HF Llama rotates
(x[i], x[i + head_size/2]); wq and wk rows are permuted on the way in and out.
"""

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinyllm.atomic import atomic_dir, atomic_path, write_bytes
from tinyllm.errors import TinyLLMError
from tinyllm.model import Size, llama_config, load_checkpoint
from tinyllm.ownership import check_replaceable
from tinyllm.sp_vocab import (
    BYTE,
    CONTROL,
    NORMAL,
    UNKNOWN,
    Vocab,
    is_byte_piece,
    sentencepiece_model,
    tokenizer_from_vocab,
    vocab_from_tokenizer,
)
from tinyllm.tokenizer import CHAT_TEMPLATE, CHAT_TOKENS, PAD

MAGIC = 0x616B3432  # "ak42"
HEADER_BYTES = 256
PARAMS = struct.Struct("<7i")
V1_HEADER = struct.Struct("<Ii7iB")
V2_HEADER = struct.Struct("<Ii7iBi")
VERSIONS = (0, 1, 2)
MATRICES = ("wq", "wk", "wv", "wo", "w1", "w2", "w3")  # per-layer matrices, in file order
ROPE_THETA, NORM_EPS = 10000.0, 1e-5                    # what run.c computes with
HF_NAMES = {"wq": "self_attn.q_proj", "wk": "self_attn.k_proj", "wv": "self_attn.v_proj", "wo": "self_attn.o_proj",
            "w1": "mlp.gate_proj", "w2": "mlp.down_proj", "w3": "mlp.up_proj"}


@dataclass
class Params:
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    max_seq_len: int

    @property
    def head_size(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.head_size * self.n_kv_heads

    def shapes(self) -> dict:
        d, h, kv = self.dim, self.hidden_dim, self.kv_dim
        return {"wq": (d, d), "wk": (kv, d), "wv": (kv, d), "wo": (d, d), "w1": (h, d), "w2": (d, h), "w3": (h, d)}

    def check(self, where) -> None:
        bad = [k for k, v in vars(self).items() if v <= 0]
        if bad or self.dim % self.n_heads or self.n_heads % self.n_kv_heads or self.head_size % 2:
            raise TinyLLMError(f"{where}: header {self.describe()} is not a model (check the version / file type)")

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in vars(self).items())


@dataclass
class Llama2cModel:
    """Weights in llama2.c's layout: matrices stacked over layers, q/k rows in interleaved RoPE order."""
    params: Params
    tok_embeddings: np.ndarray           # (vocab, dim)
    rms_att: np.ndarray                  # (layers, dim)
    rms_ffn: np.ndarray                  # (layers, dim)
    rms_final: np.ndarray                # (dim,)
    layers: dict = field(default_factory=dict)   # name in MATRICES -> (layers, out, in)
    classifier: np.ndarray | None = None         # (vocab, dim) when not shared with the embedding


# ---------------------------------------------------------------------------- reading

class _Cursor:
    """Sequential reads of fp32 / int8 arrays from a memory-mapped file, with the file named in errors."""

    def __init__(self, path: Path, offset: int, expected: int, what: str):
        self.path, self.pos = path, offset
        size = path.stat().st_size
        if size < expected:
            raise TinyLLMError(f"{path}: truncated: {what} needs {expected:,} bytes, the file has {size:,}")
        if size > expected:
            raise TinyLLMError(f"{path}: {size:,} bytes but {what} describes {expected:,}: the header does not "
                               f"match the file (not a llama2.c model.bin of this version?)")
        self.buf = np.memmap(path, dtype=np.uint8, mode="r")

    def take(self, shape, dtype=np.float32) -> np.ndarray:
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        out = np.frombuffer(self.buf[self.pos:self.pos + n], dtype=np.dtype(dtype).newbyteorder("<"))
        self.pos += n
        return out.astype(dtype).reshape(shape)  # a copy in native order: the file can close


def read_header(path) -> tuple[int, Params, bool, int | None]:
    """(version, params, shared_classifier, group_size) from a model.bin's header."""
    path = Path(path)
    if not path.is_file():
        raise TinyLLMError(f"{path}: model file not found")
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    if len(head) < 4:
        raise TinyLLMError(f"{path}: truncated: {len(head)} bytes, shorter than any llama2.c header")
    if struct.unpack_from("<I", head)[0] != MAGIC:  # version 0 has no magic: it starts with dim
        if len(head) < PARAMS.size:
            raise TinyLLMError(f"{path}: truncated: {len(head)} bytes, shorter than the 28-byte version-0 header")
        p = Params(*PARAMS.unpack_from(head))
        shared = p.vocab_size > 0
        p.vocab_size = abs(p.vocab_size)
        p.check(path)
        return 0, p, shared, None
    if len(head) < HEADER_BYTES:
        raise TinyLLMError(f"{path}: truncated: {len(head)} bytes, shorter than the 256-byte header")
    version = struct.unpack_from("<i", head, 4)[0]
    if version == 1:
        _, _, *params, shared = V1_HEADER.unpack_from(head)
        group = None
    elif version == 2:
        _, _, *params, shared, group = V2_HEADER.unpack_from(head)
    else:
        raise TinyLLMError(f"{path}: llama2.c model version {version} is not supported (versions: 0, 1, 2)")
    p = Params(*params)
    p.check(path)
    if version == 2 and (group <= 0 or p.dim % group):
        raise TinyLLMError(f"{path}: group size {group} in the header does not divide dim={p.dim}")
    return version, p, bool(shared), group


def read_model(path) -> tuple[Llama2cModel, int]:
    """(weights, version) from a llama2.c model.bin of any supported version."""
    path = Path(path)
    version, p, shared, group = read_header(path)
    L, d, V = p.n_layers, p.dim, p.vocab_size
    shapes = p.shapes()
    matrices = [("tok_embeddings", (V, d))] + [(n, (L, *shapes[n])) for n in MATRICES]
    if not shared:
        matrices.append(("classifier", (V, d)))
    n_matrix = sum(int(np.prod(s)) for _, s in matrices)
    n_norm = 2 * L * d + d
    what = f"the version-{version} header ({p.describe()}, {'shared' if shared else 'separate'} classifier)"
    if version == 0:
        rope = p.max_seq_len * p.head_size  # the two RoPE tables, each max_seq_len * head_size / 2
        cur = _Cursor(path, PARAMS.size, PARAMS.size + 4 * (n_matrix + n_norm + rope), what)
        w = {"tok_embeddings": cur.take((V, d)), "rms_att": cur.take((L, d))}
        for name in ("wq", "wk", "wv", "wo"):
            w[name] = cur.take((L, *shapes[name]))
        w["rms_ffn"] = cur.take((L, d))
        for name in ("w1", "w2", "w3"):
            w[name] = cur.take((L, *shapes[name]))
        w["rms_final"] = cur.take((d,))
        cur.take((rope,))
        if not shared:
            w["classifier"] = cur.take((V, d))
    elif version == 1:
        cur = _Cursor(path, HEADER_BYTES, HEADER_BYTES + 4 * (n_matrix + n_norm), what)
        w = {"rms_att": cur.take((L, d)), "rms_ffn": cur.take((L, d)), "rms_final": cur.take((d,))}
        for name, shape in matrices:
            w[name] = cur.take(shape)
    else:
        for name, shape in matrices:
            if int(np.prod(shape[-2:])) % group:
                raise TinyLLMError(f"{path}: {name} of shape {shape[-2:]} does not split into groups of {group}")
        n_scales = n_matrix // group
        cur = _Cursor(path, HEADER_BYTES, HEADER_BYTES + 4 * n_norm + n_matrix + 4 * n_scales,
                      f"{what[:-1]}, group size {group})")
        w = {"rms_att": cur.take((L, d)), "rms_ffn": cur.take((L, d)), "rms_final": cur.take((d,))}
        for name, shape in matrices:
            per_layer = shape if name in ("tok_embeddings", "classifier") else shape[1:]
            layers = [_dequantize(cur.take(per_layer, np.int8), cur.take((int(np.prod(per_layer)) // group,)), group)
                      for _ in range(1 if len(shape) == 2 else shape[0])]
            w[name] = layers[0] if len(shape) == 2 else np.stack(layers)
    model = Llama2cModel(p, w.pop("tok_embeddings"), w.pop("rms_att"), w.pop("rms_ffn"), w.pop("rms_final"),
                         classifier=w.pop("classifier", None))
    model.layers = w
    return model, version


def read_tokenizer(path, vocab_size: int) -> tuple[list[bytes], list[float]]:
    """(piece bytes, scores) of a llama2.c tokenizer.bin that must hold exactly `vocab_size` pieces."""
    path = Path(path)
    if not path.is_file():
        raise TinyLLMError(f"{path}: tokenizer file not found")
    data = path.read_bytes()
    if len(data) < 4:
        raise TinyLLMError(f"{path}: truncated: {len(data)} bytes, no max-token-length field")
    max_len = struct.unpack_from("<I", data)[0]
    pieces, scores, pos = [], [], 4
    while pos < len(data):
        if pos + 8 > len(data):
            raise TinyLLMError(f"{path}: truncated inside the entry of piece {len(pieces)} (byte {pos:,})")
        score, n = struct.unpack_from("<fi", data, pos)
        if n < 0 or pos + 8 + n > len(data):
            raise TinyLLMError(f"{path}: truncated or corrupt: piece {len(pieces)} claims {n} bytes at byte {pos:,}")
        if n > max_len:
            raise TinyLLMError(f"{path}: piece {len(pieces)} is {n} bytes, longer than the file's max length {max_len}")
        pieces.append(data[pos + 8:pos + 8 + n])
        scores.append(score)
        pos += 8 + n
    if len(pieces) != vocab_size:
        raise TinyLLMError(f"{path}: holds {len(pieces)} pieces but the model's vocab_size is {vocab_size} "
                           f"(a tokenizer.bin made for another model?)")
    return pieces, scores


def vocab_from_tokenizer_bin(pieces: list[bytes], scores: list[float], path, add_dummy_prefix: bool = True):
    """A Vocab in SentencePiece form from tokenizer.bin pieces (run.c's ids: <unk> 0, <s> 1, </s> 2)."""

    if len(pieces) < 3:
        raise TinyLLMError(f"{path}: {len(pieces)} pieces; run.c needs at least <unk>, <s>, </s> at ids 0-2")
    texts, types = [], []
    for i, raw in enumerate(pieces):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TinyLLMError(f"{path}: piece {i} is not UTF-8 ({raw!r})") from None
        if i in (1, 2):
            text = text.strip("\n")  # '\n<s>\n' and '\n</s>\n' are run.c's printable BOS / EOS
            types.append(CONTROL)
        elif i == 0:
            types.append(UNKNOWN)
        elif is_byte_piece(text):
            types.append(BYTE)
        elif text in (PAD, *CHAT_TOKENS):  # written by export_llama2c from a tinyllm tokenizer
            types.append(CONTROL)
        else:
            types.append(NORMAL)
        texts.append(text.replace(" ", "▁"))
    pad = texts.index(PAD) if PAD in texts else None
    return Vocab(texts, list(scores), types, 0, 1, 2, pad, add_dummy_prefix)


def _dequantize(q: np.ndarray, scales: np.ndarray, group: int) -> np.ndarray:
    return (q.reshape(-1, group).astype(np.float32) * scales[:, None]).reshape(q.shape)


# ---------------------------------------------------------------------------- writing

def quantize_q80(w: np.ndarray, group: int) -> tuple[np.ndarray, np.ndarray]:
    """Q8_0 as llama2.c's export.py: int8 in [-127, 127] and one fp32 scale per `group` values."""
    g = w.astype(np.float32).reshape(-1, group)
    scale = np.abs(g).max(axis=1) / 127.0
    safe = np.where(scale > 0, scale, 1.0)  # an all-zero group: zeros, scale 0 (export.py would divide by 0)
    q = np.round(g / safe[:, None]).astype(np.int8)
    return q.reshape(w.shape), scale.astype(np.float32)


def group_size_for(p: Params, wanted: int = 64) -> int:
    """The largest group <= `wanted` (halving, as export.py backs off) that divides every row length:
    runq.c quantizes activations in groups too, so dim and hidden_dim must both be multiples."""
    group = wanted
    while group > 1 and (p.dim % group or p.hidden_dim % group):
        group //= 2
    return group


def write_model(path, model: Llama2cModel, version: int, group_size: int = 64) -> int | None:
    """Write `model` as a llama2.c model.bin of `version`, atomically; returns the group size for version 2."""
    from tqdm import tqdm

    if version not in VERSIONS:
        raise TinyLLMError(f"llama2.c version {version} is not one of {', '.join(map(str, VERSIONS))}")
    if version == 2 and group_size < 1:
        raise TinyLLMError(f"group size must be a positive integer, got {group_size}")
    p, shared = model.params, model.classifier is None
    L = p.n_layers
    group = group_size_for(p, group_size) if version == 2 else None
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        def fp32(a):
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())

        if version == 0:
            vocab = p.vocab_size if shared else -p.vocab_size
            f.write(PARAMS.pack(p.dim, p.hidden_dim, L, p.n_heads, p.n_kv_heads, vocab, p.max_seq_len))
            fp32(model.tok_embeddings)
            fp32(model.rms_att)
            for name in ("wq", "wk", "wv", "wo"):
                fp32(model.layers[name])
            fp32(model.rms_ffn)
            for name in ("w1", "w2", "w3"):
                fp32(model.layers[name])
            fp32(model.rms_final)
            cos, sin = rope_tables(p)
            fp32(cos)
            fp32(sin)
            if not shared:
                fp32(model.classifier)
            return None
        params = (p.dim, p.hidden_dim, L, p.n_heads, p.n_kv_heads, p.vocab_size, p.max_seq_len)
        head = V1_HEADER.pack(MAGIC, 1, *params, shared) if version == 1 else \
            V2_HEADER.pack(MAGIC, 2, *params, shared, group)
        f.write(head + b"\0" * (HEADER_BYTES - len(head)))
        fp32(model.rms_att)
        fp32(model.rms_ffn)
        fp32(model.rms_final)
        matrices = [model.tok_embeddings] + [model.layers[n][i] for n in MATRICES for i in range(L)]
        if not shared:
            matrices.append(model.classifier)
        for w in tqdm(matrices, desc=f"writing v{version}", unit="tensor", disable=None, leave=False):
            if version == 1:
                fp32(w)
            else:
                q, scale = quantize_q80(w, group)
                f.write(q.tobytes())
                fp32(scale)
    return group


def rope_tables(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """cos / sin of position * theta^(-2i/head_size): the tables version 0 carries (old run.c read them)."""
    freqs = 1.0 / ROPE_THETA ** (np.arange(0, p.head_size, 2, dtype=np.float32)[: p.head_size // 2] / p.head_size)
    angles = np.outer(np.arange(p.max_seq_len, dtype=np.float32), freqs)
    return np.cos(angles), np.sin(angles)


def tokenizer_bin(vocab) -> bytes:
    """A Vocab as llama2.c's tokenizer.bin bytes (its tokenizer.py export conventions)."""
    raw = []
    for i, piece in enumerate(vocab.pieces):
        text = f"\n{piece}\n" if i in (vocab.bos_id, vocab.eos_id) else piece.replace("▁", " ")
        raw.append(text.encode("utf-8"))
    out = [struct.pack("<I", max(len(r) for r in raw))]
    for r, score in zip(raw, vocab.scores):
        out.append(struct.pack("<fi", score, len(r)) + r)
    return b"".join(out)


# ---------------------------------------------------------------------------- HF <-> llama2.c

def hf_to_interleaved(w, n_heads: int):
    """HF rotate-half row order -> llama2.c / Meta interleaved pairs, per head (q or k rows)."""
    out, cols = w.shape
    return w.reshape(n_heads, 2, out // n_heads // 2, cols).swapaxes(1, 2).reshape(out, cols)


def interleaved_to_hf(w, n_heads: int):
    """The inverse of `hf_to_interleaved` (as transformers' convert_llama_weights_to_hf permutes)."""
    out, cols = w.shape
    return w.reshape(n_heads, out // n_heads // 2, 2, cols).swapaxes(1, 2).reshape(out, cols)


def check_hf_config(config, where) -> None:
    """Refuse what llama2.c's forward pass cannot express; warn where it would differ slightly."""
    problems = []
    if getattr(config, "model_type", None) != "llama":
        problems.append(f"model_type {getattr(config, 'model_type', None)!r} (needs 'llama')")
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        problems.append("attention / MLP biases")
    if getattr(config, "hidden_act", "silu") != "silu":
        problems.append(f"activation {config.hidden_act}")
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    if head_dim * config.num_attention_heads != config.hidden_size:
        problems.append(f"head_dim {head_dim} * {config.num_attention_heads} heads != hidden size {config.hidden_size}")
    rope = getattr(config, "rope_parameters", None) or {}
    theta = rope.get("rope_theta", getattr(config, "rope_theta", ROPE_THETA))
    if rope.get("rope_type", "default") != "default" or theta != ROPE_THETA:
        problems.append(f"RoPE {rope.get('rope_type', 'default')} with theta {theta} (run.c computes theta 10000, no scaling)")
    if problems:
        raise TinyLLMError(f"{where}: cannot be written for llama2.c: " + "; ".join(problems))
    if abs(config.rms_norm_eps - NORM_EPS) > 1e-12:
        print(f"warning: {where}: rms_norm_eps is {config.rms_norm_eps}; run.c uses 1e-5, so its logits will differ slightly")


def from_hf(model, where, check: bool = True) -> Llama2cModel:
    """llama2.c weights from a transformers LlamaForCausalLM (q/k rows permuted to interleaved RoPE);
    `check` refuses what run.c cannot compute (GGUF, whose readers can, passes False)."""
    import torch

    config = model.config
    if check:
        check_hf_config(config, where)
    sd = {k: v.detach().to(torch.float32).cpu().numpy() for k, v in model.state_dict().items()}
    L = config.num_hidden_layers
    p = Params(config.hidden_size, config.intermediate_size, L, config.num_attention_heads,
               config.num_key_value_heads, config.vocab_size, config.max_position_embeddings)
    layer = lambda i, name: sd[f"model.layers.{i}.{name}.weight"]  # noqa: E731
    layers = {name: np.stack([layer(i, hf) for i in range(L)]) for name, hf in HF_NAMES.items()}
    layers["wq"] = np.stack([hf_to_interleaved(w, p.n_heads) for w in layers["wq"]])
    layers["wk"] = np.stack([hf_to_interleaved(w, p.n_kv_heads) for w in layers["wk"]])
    emb = sd["model.embed_tokens.weight"]
    tied = getattr(config, "tie_word_embeddings", False) or "lm_head.weight" not in sd
    head = None if tied or np.array_equal(sd["lm_head.weight"], emb) else sd["lm_head.weight"]
    return Llama2cModel(p, emb, np.stack([layer(i, "input_layernorm") for i in range(L)]),
                        np.stack([layer(i, "post_attention_layernorm") for i in range(L)]), sd["model.norm.weight"],
                        layers, head)


def to_hf(m: Llama2cModel, pad_id=None):
    """A transformers LlamaForCausalLM (tinyllm's config) holding `m`'s weights."""
    import torch
    from transformers import LlamaForCausalLM

    p = m.params
    config = llama_config(Size(p.dim, p.n_layers, p.n_heads, p.n_kv_heads), p.vocab_size, p.max_seq_len,
                          pad_id=pad_id, hidden_dim=p.hidden_dim)
    config.tie_word_embeddings = m.classifier is None
    model = LlamaForCausalLM(config)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    sd = {"model.embed_tokens.weight": t(m.tok_embeddings), "model.norm.weight": t(m.rms_final),
          "lm_head.weight": t(m.tok_embeddings if m.classifier is None else m.classifier)}
    for i in range(p.n_layers):
        pre = f"model.layers.{i}."
        sd[pre + "input_layernorm.weight"] = t(m.rms_att[i])
        sd[pre + "post_attention_layernorm.weight"] = t(m.rms_ffn[i])
        for name, hf in HF_NAMES.items():
            w = m.layers[name][i]
            if name in ("wq", "wk"):
                w = interleaved_to_hf(w, p.n_heads if name == "wq" else p.n_kv_heads)
            sd[pre + hf + ".weight"] = t(w)
    with torch.no_grad():
        model.load_state_dict(sd, strict=True)
    return model.eval()


# ---------------------------------------------------------------------------- the two conversions

def import_llama2c(model_bin, tokenizer_bin, out_dir, overwrite: bool = False, add_dummy_prefix: bool = True):
    """A tinyllm checkpoint directory from a llama2.c model.bin and its tokenizer.bin; returns (model, tokenizer)."""

    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise TinyLLMError(f"{out_dir}: already exists (pass --overwrite to replace it)")

    check_replaceable(out_dir, {"model": model_bin, "tokenizer": tokenizer_bin}, "out_dir", "--overwrite")
    weights, version = read_model(model_bin)
    pieces, scores = read_tokenizer(tokenizer_bin, weights.params.vocab_size)
    vocab = vocab_from_tokenizer_bin(pieces, scores, tokenizer_bin, add_dummy_prefix)
    tok = tokenizer_from_vocab(vocab, CHAT_TEMPLATE)
    model = to_hf(weights, pad_id=tok.pad_token_id)
    with atomic_dir(out_dir, overwrite=overwrite, owner="llama2.c import") as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
        (tmp / "tokenizer.model").write_bytes(sentencepiece_model(vocab))  # exact scores, for sentencepiece users
    p = weights.params
    print(f"imported llama2.c v{version} {model_bin}: {p.describe()}, "
          f"{'shared' if weights.classifier is None else 'separate'} classifier, "
          f"{model.num_parameters() / 1e6:.2f}M parameters -> {out_dir}")
    return model, tok


def export_llama2c(checkpoint, out_bin, version: int = 0, tokenizer_out=None, group_size: int = 64):
    """Write a checkpoint as a llama2.c model.bin (and tokenizer.bin); returns the Llama2cModel written."""

    model, tok = load_checkpoint(checkpoint)
    if hasattr(model, "merge_and_unload"):  # a LoRA adapter directory: fold the adapters in first
        model = model.merge_and_unload()
    weights = from_hf(model, checkpoint)
    vocab = vocab_from_tokenizer(tok, checkpoint, weights.params.vocab_size) if tokenizer_out else None
    group = write_model(out_bin, weights, version, group_size)
    print(f"wrote llama2.c v{version} {out_bin}: {weights.params.describe()}, "
          f"{'shared' if weights.classifier is None else 'separate'} classifier"
          f"{f', Q8_0 groups of {group}' if group else ''}")
    if vocab is not None:
        write_bytes(tokenizer_out, tokenizer_bin(vocab))
        print(f"wrote tokenizer {tokenizer_out}: {len(vocab)} pieces")
        for note in runc_notes(vocab):
            print(f"note: {note}")
    return weights


def runc_notes(vocab) -> list[str]:
    """Where run.c's hard-coded tokenizer assumptions differ from this vocabulary."""
    notes = []
    if (vocab.unk_id, vocab.bos_id, vocab.eos_id) != (0, 1, 2):
        notes.append(f"run.c assumes <unk> <s> </s> at ids 0, 1, 2 (it starts from id 1 and stops at it); this "
                     f"vocabulary has them at {vocab.unk_id}, {vocab.bos_id}, {vocab.eos_id}")
    if not vocab.add_dummy_prefix:
        notes.append("run.c puts a space before every prompt (SentencePiece's dummy prefix); this tokenizer does "
                     "not, so run.c's `-i 'TEXT'` is our prompt ' TEXT'")
    byte0 = vocab.pieces.index("<0x00>") if "<0x00>" in vocab.pieces else None
    if byte0 != 3:
        notes.append(f"run.c encodes characters missing from the vocabulary as ids byte+3 (Llama's layout); this "
                     f"vocabulary's byte pieces start at id {byte0}, so run.c mis-encodes such prompt characters "
                     f"(its output decoding is unaffected)")
    if "▁" not in vocab.pieces:
        notes.append("the vocabulary has no '▁' piece, which run.c needs for its dummy prefix")
    return notes
