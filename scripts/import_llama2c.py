"""Import a llama2.c model (model.bin, versions 0 / 1 / 2) and its tokenizer.bin as a tinyllm checkpoint.

    python -m scripts.import_llama2c stories15M.bin tokenizer.bin runs/stories15M
    python -m scripts.import_llama2c stories260K.bin tok512.bin runs/stories260K

The checkpoint is a plain HF LlamaForCausalLM directory (what stages.sft and stages.dpo take as
`model`) whose tokenizer encodes as run.c does: run.c's ids (<unk> 0, <s> 1, </s> 2, bytes at
3..258), a dummy-prefix space before the text, merges in score order. Greedy generation matches
`run MODEL.bin -z TOKENIZER.bin -t 0 -i PROMPT`.
"""

import argparse

from tinyllm.errors import run_cli
from tinyllm.llama2c import import_llama2c


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="llama2.c model.bin (version read from its header)")
    parser.add_argument("tokenizer", help="llama2.c tokenizer.bin with the model's vocab_size pieces")
    parser.add_argument("out_dir", help="checkpoint directory to write")
    parser.add_argument("--no-dummy-prefix", action="store_true",
                        help="do not put a space before the text (for a tokenizer.bin that export_llama2c wrote from a "
                             "tinyllm tokenizer, to get its original behaviour back; run.c always adds one)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT_DIR")
    args = parser.parse_args(argv)

    import_llama2c(args.model, args.tokenizer, args.out_dir, args.overwrite, not args.no_dummy_prefix)


if __name__ == "__main__":
    run_cli(main)
