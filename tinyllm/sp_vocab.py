"""SentencePiece-style vocabularies (pieces, scores, types) to and from transformers tokenizers.

llama2.c's `tokenizer.bin` and GGUF's `llama` tokenizer carry a vocabulary the SentencePiece
way: one piece per id ('▁' for a space, '<0x0A>' for a raw byte), a score that orders BPE merges
(the pair whose merged piece scores highest merges first) and a type. A transformers tokenizer
carries the same vocabulary as a `tokenizers` BPE model with an explicit merge list. This module
converts between the two: scores from merge ranks on the way out, merges from scores on the way
in (transformers' `generate_merges`, the same rule SentencePiece and llama2.c's run.c apply).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from tinyllm.errors import TinyLLMError

# SentencePiece piece types (sentencepiece_model.proto); GGUF's token types use the same numbers.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


@dataclass
class Vocab:
    pieces: list[str]
    scores: list[float]
    types: list[int]
    unk_id: int
    bos_id: int
    eos_id: int
    pad_id: int | None
    add_dummy_prefix: bool  # a '▁' is put before the text, as SentencePiece's Llama models and run.c do

    def __len__(self) -> int:
        return len(self.pieces)


def is_byte_piece(piece: str) -> bool:
    """'<0x0A>' and the like: SentencePiece's byte-fallback pieces."""
    if len(piece) != 6 or not (piece.startswith("<0x") and piece.endswith(">")):
        return False
    try:
        int(piece[3:5], 16)
    except ValueError:
        return False
    return True


def _tokenizer_json(tok, where) -> dict:
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        raise TinyLLMError(f"{where}: tokenizer {type(tok).__name__} has no `tokenizers` backend to read")
    return json.loads(backend.to_str())


def _uses_metaspace(data: dict) -> tuple[bool, bool]:
    """(spaces become '▁', a dummy '▁' is prepended) as read from the normalizer / pre-tokenizer."""
    spaces, dummy = False, False
    stack = [data.get("normalizer"), data.get("pre_tokenizer")]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "Replace" and node.get("content") == "▁" and node.get("pattern", {}).get("String") == " ":
            spaces = True
        elif kind == "Prepend" and node.get("prepend") == "▁":
            dummy = True
        elif kind == "Metaspace":
            spaces = True
            dummy = dummy or node.get("prepend_scheme", "always") in ("always", "first")
        stack.extend(node.get("normalizers", []) + node.get("pretokenizers", []))
    return spaces, dummy


def vocab_from_tokenizer(tok, where, vocab_size: int | None = None) -> Vocab:
    """The tokenizer's vocabulary with SentencePiece scores and types.

    Scores come from the checkpoint's own `tokenizer.model` when it holds the same pieces (exact);
    otherwise from the BPE merge ranks: the k-th piece that a merge produces scores -k, as
    SentencePiece scores its BPE pieces, so run.c / llama.cpp merge in the tokenizer's order.
    """
    data = _tokenizer_json(tok, where)
    model = data.get("model", {})
    spaces, dummy = _uses_metaspace(data)
    if model.get("type") != "BPE" or not model.get("byte_fallback") or not spaces:
        raise TinyLLMError(f"{where}: not a SentencePiece-style BPE tokenizer (needs BPE with byte fallback and '▁' "
                           f"for spaces; this one is {model.get('type')}, byte_fallback={model.get('byte_fallback')})")
    by_id = {i: p for p, i in tok.get_vocab().items()}
    n = len(by_id)
    if sorted(by_id) != list(range(n)):
        raise TinyLLMError(f"{where}: token ids are not contiguous 0..{n - 1}")
    pieces = [by_id[i] for i in range(n)]
    special = set(tok.all_special_ids)
    added = {t["id"] for t in data.get("added_tokens", [])}
    types = []
    for i, p in enumerate(pieces):
        if i == tok.unk_token_id:
            types.append(UNKNOWN)
        elif i in special:
            types.append(CONTROL)
        elif i in added:
            types.append(USER_DEFINED)
        elif is_byte_piece(p):
            types.append(BYTE)
        else:
            types.append(NORMAL)
    scores = _scores_from_sp_model(where, pieces) or _scores_from_merges(pieces, types, model.get("merges", []))
    vocab = Vocab(pieces, scores, types, tok.unk_token_id, tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, dummy)
    if vocab_size is not None:
        if vocab_size < n:
            raise TinyLLMError(f"{where}: tokenizer has {n} tokens but the model only {vocab_size} embedding rows")
        for i in range(n, vocab_size):  # a model padded beyond its tokenizer: ids nothing encodes to
            vocab.pieces.append(f"[PAD{i}]")
            vocab.scores.append(-1e4)
            vocab.types.append(UNUSED)
    return vocab


def _scores_from_sp_model(where, pieces) -> list[float] | None:
    path = Path(where) / "tokenizer.model"
    if not path.is_file():
        return None
    from sentencepiece import sentencepiece_model_pb2 as sp_pb2

    proto = sp_pb2.ModelProto()
    try:
        proto.ParseFromString(path.read_bytes())
    except Exception:  # a foreign or broken file: fall back to the merges
        return None
    if [p.piece for p in proto.pieces] != pieces:
        return None
    return [p.score for p in proto.pieces]


def _scores_from_merges(pieces, types, merges) -> list[float]:
    ids = {p: i for i, p in enumerate(pieces)}
    scores = [0.0] * len(pieces)
    merged = set()
    for merge in merges:  # [left, right] lists (tokenizers >= 0.20) or "left right" strings
        left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
        i = ids.get(left + right)
        if i is not None and i not in merged:
            scores[i] = -float(len(merged))
            merged.add(i)
    rest = [i for i, t in enumerate(types) if t == NORMAL and i not in merged]  # single characters
    for k, i in enumerate(rest):
        scores[i] = -float(len(merged) + k)
    return scores


def tokenizer_from_vocab(vocab: Vocab, chat_template: str | None = None):
    """A transformers tokenizer (a `tokenizers` BPE with byte fallback) that encodes as the vocabulary's
    scores say: merges from scores, spaces as '▁', a dummy '▁' first when `add_dummy_prefix`."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers
    from tokenizers.models import BPE
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import generate_merges

    ids = {}
    for i, p in enumerate(vocab.pieces):
        if p in ids:
            raise TinyLLMError(f"piece {p!r} appears twice (ids {ids[p]} and {i}); a vocabulary needs unique pieces")
        ids[p] = i
    mergeable = {p: s for p, s, t in zip(vocab.pieces, vocab.scores, vocab.types) if t == NORMAL}
    fixed = {p for p, t in zip(vocab.pieces, vocab.types) if t != NORMAL}
    merges = generate_merges(ids, mergeable, skip_tokens=fixed)
    backend = Tokenizer(BPE(vocab=ids, merges=merges, unk_token=vocab.pieces[vocab.unk_id], fuse_unk=True,
                            byte_fallback=True))
    # A normalizer, not a Metaspace pre-tokenizer: Metaspace skips the dummy prefix when the text
    # already starts with a space, SentencePiece and run.c do not.
    steps = [normalizers.Prepend("▁")] if vocab.add_dummy_prefix else []
    backend.normalizer = normalizers.Sequence(steps + [normalizers.Replace(" ", "▁")])
    decode = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    backend.decoder = decoders.Sequence(decode + ([decoders.Strip(" ", 1, 0)] if vocab.add_dummy_prefix else []))
    control = [p for p, t in zip(vocab.pieces, vocab.types) if t in (CONTROL, UNKNOWN)]
    backend.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in control])
    backend.add_tokens([AddedToken(p, special=False, normalized=False)
                        for p, t in zip(vocab.pieces, vocab.types) if t == USER_DEFINED])
    named = {vocab.unk_id, vocab.bos_id, vocab.eos_id, vocab.pad_id}
    pad = vocab.pieces[vocab.pad_id if vocab.pad_id is not None else vocab.unk_id]  # Llama has no pad: <unk> pads
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token=vocab.pieces[vocab.unk_id],
                                  bos_token=vocab.pieces[vocab.bos_id], eos_token=vocab.pieces[vocab.eos_id],
                                  pad_token=pad)
    extra = [vocab.pieces[i] for i, t in enumerate(vocab.types) if t == CONTROL and i not in named]
    if extra:
        tok.add_special_tokens({"additional_special_tokens": extra})
    if chat_template:
        tok.chat_template = chat_template
    if len(tok) != len(vocab):
        raise TinyLLMError(f"tokenizer built with {len(tok)} tokens from a vocabulary of {len(vocab)}")
    return tok


def sentencepiece_model(vocab: Vocab) -> bytes:
    """The vocabulary as a SentencePiece BPE model (`tokenizer.model`), for sentencepiece users.

    split_by_whitespace is off so that sentencepiece, like run.c and the transformers tokenizer
    above, may merge across spaces; extra whitespace is kept, as Llama's own model does.
    """
    from sentencepiece import sentencepiece_model_pb2 as sp_pb2

    proto = sp_pb2.ModelProto()
    for p, s, t in zip(vocab.pieces, vocab.scores, vocab.types):
        proto.pieces.add(piece=p, score=s, type=t)
    spec = proto.trainer_spec
    spec.model_type = sp_pb2.TrainerSpec.BPE
    spec.vocab_size = len(vocab)
    spec.byte_fallback = True
    spec.split_by_whitespace = False
    spec.unk_id, spec.bos_id, spec.eos_id = vocab.unk_id, vocab.bos_id, vocab.eos_id
    spec.pad_id = -1 if vocab.pad_id is None else vocab.pad_id
    spec.unk_piece, spec.bos_piece, spec.eos_piece = (vocab.pieces[i] for i in (vocab.unk_id, vocab.bos_id, vocab.eos_id))
    if vocab.pad_id is not None:
        spec.pad_piece = vocab.pieces[vocab.pad_id]
    norm = proto.normalizer_spec
    norm.name = "identity"
    norm.add_dummy_prefix = vocab.add_dummy_prefix
    norm.remove_extra_whitespaces = False
    norm.escape_whitespaces = True
    return proto.SerializeToString()
