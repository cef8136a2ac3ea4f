"""The suite's tokenizer: SentencePiece BPE saved as a transformers tokenizer with one chat template.

Training lives in `data_prep.train_tokenizer`; this module holds what every stage shares: the
special tokens, the chat template, loading with checks, and the fingerprint that ties token
shards to the tokenizer that made them.
"""

import hashlib
import json
from pathlib import Path

from tinyllm.errors import TinyLLMError

UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<pad>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
CHAT_TOKENS = [IM_START, IM_END]
# A directory holding none of these has no tokenizer (the first two are what the suite writes)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt", "spiece.model",
                   "sentencepiece.bpe.model", "tokenizer.tiktoken")

# ChatML, opened by <s> as every pretraining document is. `{% generation %}` marks what the
# assistant says (content plus its <|im_end|>), so `apply_chat_template(..., return_assistant_tokens_mask=True)` gives the SFT loss mask.
# The newline after a turn is written as {{ '\n' }}: a literal newline after a block tag is
# dropped under trim_blocks.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}"
    "{{ '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def load_tokenizer(path):
    """Load a tokenizer directory; refuse clearly when it is missing or lacks bos/eos."""
    from transformers import AutoTokenizer

    path = Path(path)
    if not path.is_dir():
        raise TinyLLMError(f"{path}: tokenizer directory not found")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        # transformers would say to install sentencepiece, which is not what is wrong
        raise TinyLLMError(f"{path}: no tokenizer in this directory (none of {', '.join(TOKENIZER_FILES[:2])}); "
                           f"name the tokenizer directory or copy its files here")
    try:
        tok = AutoTokenizer.from_pretrained(str(path))
    except Exception as err:  # transformers raises many types for a broken directory
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise TinyLLMError(f"{path}: cannot load tokenizer ({type(err).__name__}: {first})") from None
    if tok.bos_token_id is None or tok.eos_token_id is None:
        raise TinyLLMError(f"{path}: tokenizer has no bos/eos token")
    return tok


def fingerprint(tok) -> str:
    """A short hash of the vocabulary and special ids: equal iff the token ids mean the same."""
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    special = [tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id]
    blob = json.dumps([vocab, special], ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def encode_document(tok, text: str) -> list[int]:
    """A pretraining document: <s> text </s> (BOS marks where a document starts, as in llama2.c)."""
    return [tok.bos_token_id, *tok.encode(text, add_special_tokens=False), tok.eos_token_id]
