"""Sample continuations from any checkpoint with HF `generate` (KV cache on).

    python -m scripts.sample runs/quickstart/pretrain/final --prompt "Once upon a time" -n 3
    python -m scripts.sample CHECKPOINT --prompt "Lily had a" --temperature 0   # greedy

The prompt starts with <s>, as every pretraining document does.
"""

import argparse
import sys
from dataclasses import replace

from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.generate import (SamplingOptions, add_sampling_args, fit_prompt, generate, sampling_options,
                              text_prompt_ids)
from tinyllm.model import load_checkpoint, model_window

DEFAULTS = SamplingOptions(do_sample=True, temperature=0.8, top_k=50, top_p=0.95, max_new_tokens=100)


def sample(model, tok, prompts: list, opts: SamplingOptions = DEFAULTS) -> list[str]:
    """One continuation per prompt (text, or token ids) without the prompt, stopping at </s>; one
    seeded random stream runs through the prompts in order."""
    outputs = generate(model, tok, list(prompts), opts, batch_size=1, stop=[tok.eos_token_id])
    return [tok.decode(new, skip_special_tokens=True) for new in outputs]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Sample continuations from a checkpoint.",
                                     epilog=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="checkpoint directory (e.g. runs/quickstart/pretrain/final)")
    parser.add_argument("--prompt", action="append",
                        help="prompt text (repeat for several); default: 'Once upon a time'. An empty prompt is "
                             "refused; one longer than the model's context (less --max-new-tokens) is cut from the "
                             "left, with a note on stderr")
    parser.add_argument("-n", "--num-samples", type=int, default=1,
                        help="continuations per prompt, at least 1 (seeds SEED, SEED+1, ...)")
    parser.add_argument("--allow-pickle-weights", action="store_true",
                        help="load pickled .bin weights (can run code when unpickled; trusted files only)")
    add_sampling_args(parser, DEFAULTS)
    args = parser.parse_args(argv)
    if args.num_samples < 1:
        raise TinyLLMError(f"-n/--num-samples must be at least 1, got {args.num_samples}")
    prompts = args.prompt or ["Once upon a time"]
    empty = next((i for i, p in enumerate(prompts) if not p.strip()), None)
    if empty is not None:
        raise TinyLLMError(f"--prompt {empty + 1} is empty; give the text to continue")
    patches.apply()
    opts = sampling_options(args)
    model, tok = load_checkpoint(args.checkpoint, allow_pickle=args.allow_pickle_weights)
    for prompt in prompts:
        ids, note = fit_prompt(text_prompt_ids(tok, prompt), model_window(model), opts.max_new_tokens)
        if note:
            print(note, file=sys.stderr)
        for i in range(args.num_samples):
            text = sample(model, tok, [ids], replace(opts, seed=opts.seed + i))[0]
            print(f"--- {prompt!r} [{i + 1}/{args.num_samples}]\n{prompt}{text}\n")


if __name__ == "__main__":
    run_cli(main)
