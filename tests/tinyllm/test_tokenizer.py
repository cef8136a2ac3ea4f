"""The trained tokenizer: lossless round trips, SentencePiece parity, special tokens, chat template."""

import sentencepiece as spm

from tinyllm.tokenizer import CHAT_TOKENS, IM_END, encode_document, fingerprint, load_tokenizer

SAMPLES = [
    "Once upon a time, Mia had 3 red kites and 12 blue shells.",
    "  Leading spaces, trailing space \n\nand a blank line. ",
    "小明有一个红色的风筝，他很开心。",  # not in the English training corpus: byte fallback
    "Emoji survive too: 🚀🐱 👩‍👩‍👧 ✨",
    "<|im_start|>user\nHi there<|im_end|>\n",
]


def test_round_trip_english_chinese_emoji(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    for text in SAMPLES:
        ids = tok.encode(text, add_special_tokens=False)
        assert tok.decode(ids) == text


def test_unseen_characters_use_byte_fallback(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    ids = tok.encode("🚀", add_special_tokens=False)
    assert tok.unk_token_id not in ids
    assert all(piece.startswith("<0x") for piece in tok.convert_ids_to_tokens(ids))  # 4 UTF-8 bytes
    assert len(ids) == 4


def test_matches_sentencepiece_and_splits_digits(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer_dir / "tokenizer.model"))
    for text in SAMPLES:
        assert tok.encode(text, add_special_tokens=False) == sp.encode(text)
    digits = tok.convert_ids_to_tokens(tok.encode("2024", add_special_tokens=False))
    assert digits == ["2", "0", "2", "4"]


def test_special_tokens_and_documents(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    assert (tok.unk_token_id, tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (0, 1, 2, 3)
    for token in CHAT_TOKENS:
        assert len(tok.encode(token, add_special_tokens=False)) == 1
    ids = encode_document(tok, "Hi.")
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert tok.decode(ids, skip_special_tokens=True) == "Hi."


def test_chat_template_masks_only_assistant_turns(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What colour was the kite?"},
        {"role": "assistant", "content": "It was red."},
    ]
    out = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    assistant = tok.decode([i for i, m in zip(ids, mask) if m])
    assert assistant == "It was red." + IM_END
    prompt = tok.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")


def test_fingerprint_survives_save_and_load(tokenizer_dir, tmp_path):
    tok = load_tokenizer(tokenizer_dir)
    tok.save_pretrained(tmp_path / "copy")
    assert fingerprint(load_tokenizer(tmp_path / "copy")) == fingerprint(tok)
