"""Train the suite's SentencePiece BPE tokenizer and save it as a transformers tokenizer directory.

    python -m data_prep.train_tokenizer --source runs/corpus/stories_train.jsonl --out runs/tokenizer --vocab-size 4096

Byte fallback (any text encodes, emoji included), split digits, identity normalisation, no
dummy prefix (so text starting with whitespace or a chat token encodes as SentencePiece does),
the chat tokens <|im_start|> / <|im_end|> as single special tokens, and the one chat template.
Sources are streamed; at most --max-documents are kept, by reservoir sampling, for training.
"""

import argparse
import random
import shutil
import time
from pathlib import Path

from tqdm import tqdm

from data_prep.sources import SourceStats, iter_documents, txt_layout_note
from tinyllm.atomic import atomic_dir
from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.ownership import check_replaceable
from tinyllm.tokenizer import BOS, CHAT_TEMPLATE, CHAT_TOKENS, EOS, PAD, UNK, fingerprint


def sample_documents(docs, max_documents: int, seed: int) -> list[str]:
    """Reservoir sample: a uniform sample of at most `max_documents`, in bounded memory."""
    rng = random.Random(seed)
    reservoir = []
    for i, doc in enumerate(docs):
        if len(reservoir) < max_documents:
            reservoir.append(doc)
        else:
            j = rng.randrange(i + 1)
            if j < max_documents:
                reservoir[j] = doc
    return reservoir


def train_tokenizer(sources, out_dir, vocab_size=4096, max_documents=200_000, field=None,
                    skip_bad=False, seed=0, overwrite=False):
    import sentencepiece as spm
    from transformers import AutoTokenizer

    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise TinyLLMError(f"{out_dir}: already exists (pass --overwrite to replace it)")
    check_replaceable(out_dir, {"sources": list(sources)}, "--out", "--overwrite")
    stats = SourceStats()
    docs = iter_documents(sources, field=field, skip_bad=skip_bad, stats=stats)
    sample = sample_documents(tqdm(docs, desc="reading", unit=" docs", disable=None), max_documents, seed)
    if not sample:
        raise TinyLLMError(f"{', '.join(sources)}: no documents found (empty corpus)")
    # SentencePiece reads sentences: one document per line, its own newlines kept as text.
    lines = [line for doc in sample for line in doc.split("\n") if line.strip()]
    with atomic_dir(out_dir, overwrite=overwrite, owner="tokenizer") as tmp:
        start = time.time()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines),
                model_prefix=str(tmp / "sp"),
                model_type="bpe",
                vocab_size=vocab_size,
                byte_fallback=True,
                split_digits=True,
                normalization_rule_name="identity",
                add_dummy_prefix=False,
                remove_extra_whitespaces=False,
                allow_whitespace_only_pieces=True,
                character_coverage=0.9995,
                required_chars="0123456789",  # rare digits would otherwise fall back to bytes
                max_sentence_length=1 << 16,
                unk_id=0, bos_id=1, eos_id=2, pad_id=3,
                unk_piece=UNK, bos_piece=BOS, eos_piece=EOS, pad_piece=PAD,
                user_defined_symbols=CHAT_TOKENS,
                num_threads=2,
                minloglevel=2,
            )
        except RuntimeError as err:
            raise TinyLLMError(f"sentencepiece could not train: {str(err).splitlines()[-1]}") from None
        # transformers 5 reads a SentencePiece model named tokenizer.model from a directory.
        shutil.move(tmp / "sp.model", tmp / "tokenizer.model")
        (tmp / "sp.vocab").unlink()
        tok = AutoTokenizer.from_pretrained(str(tmp))
        tok.pad_token = PAD
        tok.add_special_tokens({"additional_special_tokens": CHAT_TOKENS})
        tok.chat_template = CHAT_TEMPLATE
        tok.save_pretrained(str(tmp))
        seconds = time.time() - start
    print(f"tokenizer: vocab {len(tok)}, fingerprint {fingerprint(tok)}, trained on {len(sample)} documents "
          f"({stats.documents} read, {stats.skipped} skipped) in {seconds:.1f}s -> {out_dir}")
    note = txt_layout_note([stats])
    if note:
        print(note)
    return tok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", nargs="+", required=True,
                        help="files, globs, synthetic:SPLIT[:N[:SEED]] or hf:NAME (see data_prep/sources.py)")
    parser.add_argument("--out", required=True, help="output tokenizer directory")
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--max-documents", type=int, default=200_000, help="sample at most this many documents")
    parser.add_argument("--field", help="JSON field holding the text (default: text/story/completion/content)")
    parser.add_argument("--skip-bad", action="store_true", help="skip and count bad records instead of stopping")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    args = parser.parse_args(argv)
    patches.apply()  # quiet third-party warnings (TINYLLM_VERBOSE=1 shows them); forked workers inherit it
    if args.vocab_size < 300:
        raise TinyLLMError("--vocab-size must be at least 300 (256 byte-fallback pieces + specials + merges)")
    train_tokenizer(args.source, args.out, args.vocab_size, args.max_documents, args.field,
                    args.skip_bad, args.seed, args.overwrite)


if __name__ == "__main__":
    run_cli(main)
