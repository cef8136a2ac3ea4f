"""Sample continuations from any checkpoint with HF `generate` (KV cache on).

    python -m scripts.sample runs/quickstart/pretrain/final --prompt "Once upon a time" -n 3
    python -m scripts.sample CHECKPOINT --prompt "Lily had a" --temperature 0   # greedy

The prompt starts with <s>, as every pretraining document does.
"""

import argparse

from tinyllm import patches
from tinyllm.errors import run_cli
from tinyllm.model import load_checkpoint as load_model  # noqa: F401 (re-exported for callers)


def sample(model, tok, prompts, max_new_tokens=100, temperature=0.8, top_k=50, top_p=0.95, seed=0):
    """One continuation per prompt (without the prompt), stopping at </s>."""
    import torch

    torch.manual_seed(seed)
    outputs = []
    for prompt in prompts:
        ids = torch.tensor([[tok.bos_token_id, *tok.encode(prompt, add_special_tokens=False)]])
        greedy = temperature <= 0
        with torch.no_grad():
            out = model.generate(
                ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens, do_sample=not greedy,
                temperature=None if greedy else temperature, top_k=None if greedy else top_k,
                top_p=None if greedy else top_p, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
            )
        outputs.append(tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True))
    return outputs


def main(argv=None):
    parser = argparse.ArgumentParser(description="Sample continuations from a checkpoint.",
                                     epilog=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="checkpoint directory (e.g. runs/quickstart/pretrain/final)")
    parser.add_argument("--prompt", action="append", help="prompt text (repeat for several); default: 'Once upon a time'")
    parser.add_argument("-n", "--num-samples", type=int, default=1, help="continuations per prompt")
    parser.add_argument("--max-new-tokens", type=int, default=100)
    parser.add_argument("--temperature", type=float, default=0.8, help="0 for greedy decoding")
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--allow-pickle-weights", action="store_true",
                        help="load pickled .bin weights (can run code when unpickled; trusted files only)")
    args = parser.parse_args(argv)
    patches.apply()
    model, tok = load_model(args.checkpoint, allow_pickle=args.allow_pickle_weights)
    prompts = args.prompt or ["Once upon a time"]
    for prompt in prompts:
        for i in range(args.num_samples):
            text = sample(model, tok, [prompt], args.max_new_tokens, args.temperature, args.top_k, args.top_p,
                          seed=args.seed + i)[0]
            print(f"--- {prompt!r} [{i + 1}/{args.num_samples}]\n{prompt}{text}\n")


if __name__ == "__main__":
    run_cli(main)
