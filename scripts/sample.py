"""Sample continuations from any checkpoint with HF `generate` (KV cache on).

    python -m scripts.sample runs/quickstart/pretrain/final --prompt "Once upon a time" -n 3
    python -m scripts.sample CHECKPOINT --prompt "Lily had a" --temperature 0   # greedy

The prompt starts with <s>, as every pretraining document does.
"""

import argparse
from dataclasses import replace

from tinyllm import patches
from tinyllm.errors import run_cli
from tinyllm.generate import SamplingOptions, add_sampling_args, generate, sampling_options
from tinyllm.model import load_checkpoint

DEFAULTS = SamplingOptions(do_sample=True, temperature=0.8, top_k=50, top_p=0.95, max_new_tokens=100)


def sample(model, tok, prompts: list[str], opts: SamplingOptions = DEFAULTS) -> list[str]:
    """One continuation per prompt (without the prompt), stopping at </s>; one seeded random
    stream runs through the prompts in order."""
    outputs = generate(model, tok, list(prompts), opts, batch_size=1, stop=[tok.eos_token_id])
    return [tok.decode(new, skip_special_tokens=True) for new in outputs]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Sample continuations from a checkpoint.",
                                     epilog=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="checkpoint directory (e.g. runs/quickstart/pretrain/final)")
    parser.add_argument("--prompt", action="append", help="prompt text (repeat for several); default: 'Once upon a time'")
    parser.add_argument("-n", "--num-samples", type=int, default=1, help="continuations per prompt (seeds SEED, SEED+1, ...)")
    parser.add_argument("--allow-pickle-weights", action="store_true",
                        help="load pickled .bin weights (can run code when unpickled; trusted files only)")
    add_sampling_args(parser, DEFAULTS)
    args = parser.parse_args(argv)
    patches.apply()
    opts = sampling_options(args)
    model, tok = load_checkpoint(args.checkpoint, allow_pickle=args.allow_pickle_weights)
    prompts = args.prompt or ["Once upon a time"]
    for prompt in prompts:
        for i in range(args.num_samples):
            text = sample(model, tok, [prompt], replace(opts, seed=opts.seed + i))[0]
            print(f"--- {prompt!r} [{i + 1}/{args.num_samples}]\n{prompt}{text}\n")


if __name__ == "__main__":
    run_cli(main)
