"""Export a tinyllm checkpoint (any stage, LoRA adapters merged) as a GGUF file for llama.cpp.

    python -m scripts.export_gguf runs/sft_24m/final out/sft_24m.gguf --type q8_0
    llama-cli -m out/sft_24m.gguf -p "Once upon a time" -n 64 --temp 0          # llama.cpp

Written with the `gguf` package: a `llama` model with the SentencePiece vocabulary (scores,
types, special ids), the chat template, and F16 or Q8_0 matrices (norms stay F32).
"""

import argparse

from tinyllm.errors import run_cli
from tinyllm.gguf_export import TYPES, export_gguf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="checkpoint directory (HF Llama, e.g. runs/quickstart/pretrain/final)")
    parser.add_argument("out", help="GGUF file to write")
    parser.add_argument("--type", choices=TYPES, default="f16", help="matrix type (default f16)")
    args = parser.parse_args(argv)

    export_gguf(args.checkpoint, args.out, args.type)


if __name__ == "__main__":
    run_cli(main)
