"""Export a tinyllm checkpoint (any stage, LoRA adapters merged) as a llama2.c model.bin and tokenizer.bin.

    python -m scripts.export_llama2c runs/sft_24m/final out/model.bin --tokenizer out/tokenizer.bin
    ./run out/model.bin -z out/tokenizer.bin -t 0 -i "Once upon a time"      # llama2.c's run.c
    python -m scripts.export_llama2c CHECKPOINT out/model_q80.bin --version 2  # int8 for runq.c

Version 0 is the format run.c reads; 1 is the same in fp32 with a 256-byte header; 2 is int8
Q8_0 in groups (runq.c). The tokenizer must be SentencePiece-style BPE (every tinyllm tokenizer is).
"""

import argparse

from tinyllm.errors import run_cli
from tinyllm.llama2c import export_llama2c


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="checkpoint directory (HF Llama, e.g. runs/quickstart/pretrain/final)")
    parser.add_argument("out", help="model.bin to write")
    parser.add_argument("--tokenizer", metavar="OUT_TOK.bin", help="also write the tokenizer as llama2.c's tokenizer.bin")
    parser.add_argument("--version", type=int, choices=(0, 1, 2), default=0,
                        help="0: legacy fp32 (run.c), 1: fp32 with header, 2: int8 Q8_0 (runq.c); default 0")
    parser.add_argument("--group-size", type=int, default=64,
                        help="version 2: Q8_0 group size, halved until it divides dim and hidden_dim (default 64)")
    args = parser.parse_args(argv)

    export_llama2c(args.checkpoint, args.out, args.version, args.tokenizer, args.group_size)


if __name__ == "__main__":
    run_cli(main)
