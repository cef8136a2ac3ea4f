"""Checks a checkpoint directory before any tensor is allocated: a sane config, weight files that
are whole, and weights that cover the config exactly.

    from tinyllm.checkpoint_check import verify_checkpoint
    config = verify_checkpoint("runs/x/final")      # TinyLLMError, one line, naming the file and key

Without these, transformers builds whatever config.json describes (a billion layers grows memory
until the process is killed) and fills tensors the weights lack with random values (a config with
one more layer than the weights loads and generates). Safetensors headers are read directly (a few
KB each), so the checks cost nothing next to loading.
"""

import json
import struct
from pathlib import Path

from tinyllm.errors import TinyLLMError

POSITIVE_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size",
                 "intermediate_size", "max_position_embeddings", "head_dim")
REQUIRED_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")
SPECIAL_KEYS = ("bos_token_id", "eos_token_id", "pad_token_id")
MIN_BYTES_PER_PARAM = 0.5  # 4-bit weights (stages.quantize nf4/fp4) are the densest the suite writes
QUANTIZED_DTYPES = ("I8", "U8")  # bitsandbytes' packed weights: shapes differ from the config's by design
HEADER_LIMIT = 100 << 20  # a safetensors header beyond this is damage, not metadata


def read_config(path) -> dict:
    """config.json of a checkpoint directory as a dict, or one line naming what is wrong."""
    file = Path(path) / "config.json"
    if not file.is_file():
        raise TinyLLMError(f"{path}: not a checkpoint directory (no config.json)")
    try:
        config = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise TinyLLMError(f"{file}: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise TinyLLMError(f"{file}:{err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(config, dict):
        raise TinyLLMError(f"{file}: expected a JSON object, got {type(config).__name__}")
    return config


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_config(config: dict, path) -> None:
    """Positive sizes, heads dividing the width, kv heads dividing the heads, special ids inside the vocab."""
    file = Path(path) / "config.json"
    if config.get("model_type") != "llama" and not all(k in config for k in REQUIRED_KEYS):
        return  # another architecture, with its own key names: transformers checks it
    for key in POSITIVE_KEYS:
        value = config.get(key)
        if value is None and key in ("num_key_value_heads", "head_dim"):
            continue  # optional: default to num_attention_heads / hidden_size // heads
        if key not in config:
            if key in REQUIRED_KEYS:
                raise TinyLLMError(f"{file}: key '{key}' is missing")
            continue
        if not _is_int(value) or value < 1:
            raise TinyLLMError(f"{file}: key '{key}' must be a positive integer, got {value!r}")
    width, heads = config["hidden_size"], config["num_attention_heads"]
    if width % heads:
        raise TinyLLMError(f"{file}: key 'num_attention_heads' ({heads}) must divide 'hidden_size' ({width})")
    kv = config.get("num_key_value_heads") or heads
    if heads % kv:
        raise TinyLLMError(f"{file}: key 'num_key_value_heads' ({kv}) must divide 'num_attention_heads' ({heads})")
    vocab = config["vocab_size"]
    for key in SPECIAL_KEYS:
        value = config.get(key)
        for token in (value if isinstance(value, list) else [value]):
            if token is None:
                continue
            if not _is_int(token) or not 0 <= token < vocab:
                raise TinyLLMError(f"{file}: key '{key}' is {value!r}, outside the vocab of {vocab} (vocab_size)")


def check_tokenizer_fits(config: dict, tok, path) -> None:
    """Every id the tokenizer can produce must have a row in the model's embedding."""
    vocab = config["vocab_size"]
    if len(tok) > vocab:
        raise TinyLLMError(f"{path}: the tokenizer has {len(tok)} tokens but config.json's vocab_size is {vocab}; "
                           f"the tokenizer is not this model's")
    for name in ("bos", "eos", "pad", "unk"):
        token = getattr(tok, f"{name}_token_id")
        if token is not None and not 0 <= token < vocab:
            raise TinyLLMError(f"{path}: the tokenizer's {name} id {token} is outside config.json's vocab_size {vocab}")


def read_safetensors_header(file: Path) -> dict:
    """{name: (dtype, shape)} from one .safetensors file's header; truncated or damaged files refused."""
    size = file.stat().st_size
    with open(file, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise TinyLLMError(f"{file}: truncated safetensors file ({size} bytes, no header)")
        (length,) = struct.unpack("<Q", head)
        if length > min(size - 8, HEADER_LIMIT):
            raise TinyLLMError(f"{file}: truncated or corrupt safetensors file (header of {length} bytes in a file "
                               f"of {size})")
        raw = f.read(length)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TinyLLMError(f"{file}: corrupt safetensors file (its header is not valid JSON)") from None
    if not isinstance(header, dict):
        raise TinyLLMError(f"{file}: corrupt safetensors file (its header is not a JSON object)")
    tensors, end = {}, 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (_, stop) = info["dtype"], [int(n) for n in info["shape"]], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise TinyLLMError(f"{file}: corrupt safetensors file (bad header entry for {name!r})") from None
        tensors[name] = (dtype, shape)
        end = max(end, int(stop))
    if 8 + length + end != size:
        raise TinyLLMError(f"{file}: truncated or corrupt safetensors file (its header describes "
                           f"{8 + length + end} bytes, the file holds {size})")
    return tensors


def min_parameters(config: dict) -> int:
    """A lower bound on the parameters any decoder with this config holds: embedding + 2·width² per layer."""
    width = config["hidden_size"]
    return config["vocab_size"] * width + config["num_hidden_layers"] * 2 * width * width


def expected_llama_tensors(config: dict) -> tuple[dict, set]:
    """({name: shape} a Llama checkpoint of this config holds, names that may be absent (a tied lm_head))."""
    width, heads = config["hidden_size"], config["num_attention_heads"]
    kv = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or width // heads
    ffn, vocab = config.get("intermediate_size"), config["vocab_size"]
    bias = {"attn": bool(config.get("attention_bias")), "mlp": bool(config.get("mlp_bias"))}
    out = {"model.embed_tokens.weight": [vocab, width], "model.norm.weight": [width]}
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        linears = {"self_attn.q_proj": ([heads * head_dim, width], "attn"), "self_attn.k_proj": ([kv * head_dim, width], "attn"),
                   "self_attn.v_proj": ([kv * head_dim, width], "attn"), "self_attn.o_proj": ([width, heads * head_dim], "attn"),
                   "mlp.gate_proj": ([ffn, width], "mlp"), "mlp.up_proj": ([ffn, width], "mlp"),
                   "mlp.down_proj": ([width, ffn], "mlp")}
        for name, (shape, kind) in linears.items():
            out[p + name + ".weight"] = shape
            if bias[kind]:
                out[p + name + ".bias"] = [shape[0]]
        out[p + "input_layernorm.weight"] = [width]
        out[p + "post_attention_layernorm.weight"] = [width]
    optional = set()
    if any(str(a).endswith("ForSequenceClassification") for a in config.get("architectures") or []):
        out["score.weight"] = [len(config.get("id2label") or {0: 0}) or 1, width]
    else:
        out["lm_head.weight"] = [vocab, width]
        if config.get("tie_word_embeddings", True):
            optional.add("lm_head.weight")
    return out, optional


def _names(names) -> str:
    names = sorted(names, key=lambda n: [int(p) if p.isdigit() else p for p in n.split(".")])
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def check_weights(config: dict, path) -> None:
    """Weight files whole, large enough for the config, and (for Llama) covering it tensor for tensor."""
    path = Path(path)
    if not all(k in config for k in REQUIRED_KEYS):
        return  # another architecture (see check_config)
    files = sorted(path.glob("*.safetensors"))
    pickled = sorted(path.glob("*.bin"))
    total = sum(f.stat().st_size for f in files or pickled)
    need = min_parameters(config) * MIN_BYTES_PER_PARAM
    if need > total:
        raise TinyLLMError(f"{path / 'config.json'}: describes a model of at least {min_parameters(config):,} parameters "
                           f"(num_hidden_layers={config['num_hidden_layers']}, hidden_size={config['hidden_size']}, "
                           f"vocab_size={config['vocab_size']}) but the weight files hold {total:,} bytes")
    if not files:
        return  # pickled weights (an explicit opt-in): their contents are only known once unpickled
    actual = {}
    for file in files:
        actual.update(read_safetensors_header(file))
    if config.get("model_type") != "llama":
        return
    expected, optional = expected_llama_tensors(config)
    quantized = bool(config.get("quantization_config"))
    where = files[0] if len(files) == 1 else path
    missing = [n for n in expected if n not in actual and n not in optional]
    if missing:
        raise TinyLLMError(f"{where}: lacks {len(missing)} tensor(s) that config.json needs ({_names(missing)}); "
                           f"the config and the weights are of different models")
    modules = {n.rsplit(".", 1)[0] + "." for n in expected}
    # bitsandbytes keeps its quantization state next to each weight (X.SCB, X.weight.absmax, ...)
    unexpected = [n for n in actual if n not in expected
                  and not (quantized and any(n.startswith(m) for m in modules))]
    if unexpected:
        raise TinyLLMError(f"{where}: holds {len(unexpected)} tensor(s) that config.json does not describe "
                           f"({_names(unexpected)}); the config and the weights are of different models")
    for name, shape in expected.items():
        if name not in actual or (quantized and actual[name][0] in QUANTIZED_DTYPES):
            continue
        if actual[name][1] != shape:
            raise TinyLLMError(f"{where}: tensor {name} has shape {actual[name][1]}, config.json implies {shape}")


def verify_checkpoint(path) -> dict:
    """The checked config of a checkpoint directory (see module docstring); nothing is allocated."""
    config = read_config(path)
    check_config(config, path)
    check_weights(config, path)
    return config
