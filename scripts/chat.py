"""Chat with a fine-tuned checkpoint in the terminal, the reply streamed as it is generated.

    python -m scripts.chat runs/quickstart/sft/final
    python -m scripts.chat CHECKPOINT --prompt "What is 3 plus 4?"     # one reply, then exit (for scripts)
    python -m scripts.chat CHECKPOINT --temperature 0                  # greedy

In the chat: /reset starts a new conversation, /system TEXT sets the system message (and
resets), /history shows the conversation, /quit (or Ctrl-D) leaves. The conversation is
rendered with the checkpoint's chat template, exactly as in SFT training.
"""

import argparse
import sys

from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli

HELP = "commands: /reset, /system TEXT, /history, /help, /quit"


def make_streamer(tok, out):
    """A transformers TextStreamer that prints the reply only (no prompt, no stop token)."""
    from transformers import TextStreamer

    from tinyllm.chat import stop_ids

    class ReplyStreamer(TextStreamer):
        def __init__(self):
            super().__init__(tok, skip_prompt=True, skip_special_tokens=True)
            self.stops = set(stop_ids(tok))

        def put(self, value):
            if not self.next_tokens_are_prompt:
                value = value.flatten()
                value = value[[int(t) not in self.stops for t in value]]
            super().put(value)

        def on_finalized_text(self, text, stream_end=False):
            out.write(text + ("\n" if stream_end else ""))
            out.flush()

    return ReplyStreamer()


def reply(model, tok, messages, args, out=None) -> str:
    """Generate (streaming to `out`, default stdout) the assistant's answer to `messages`; return its text."""
    import torch

    from tinyllm.chat import prompt_ids, reply_text, stop_ids

    out = out or sys.stdout
    ids = prompt_ids(tok, messages)
    limit = model.config.max_position_embeddings - args.max_new_tokens
    while len(ids) > limit and len(messages) > 2:
        # Forget the oldest exchange (keeping a system message) rather than overrun the context.
        first = 1 if messages[0]["role"] == "system" else 0
        del messages[first:first + 2]
        out.write("[the oldest turns no longer fit the context and were dropped]\n")
        ids = prompt_ids(tok, messages)
    torch.manual_seed(args.seed)
    greedy = args.temperature <= 0
    input_ids = torch.tensor([ids], device=model.device)
    with torch.no_grad():
        output = model.generate(
            input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=args.max_new_tokens,
            do_sample=not greedy, temperature=None if greedy else args.temperature,
            top_k=None if greedy else args.top_k, top_p=None if greedy else args.top_p,
            eos_token_id=stop_ids(tok), pad_token_id=tok.pad_token_id, streamer=make_streamer(tok, out),
        )
    return reply_text(tok, output[0, len(ids):].tolist())


def interactive(model, tok, args):
    system = [{"role": "system", "content": args.system}] if args.system else []
    messages = list(system)
    print(f"chatting with {args.checkpoint}; {HELP}")
    while True:
        try:
            line = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line == "/help":
            print(HELP)
        elif line == "/reset":
            messages = list(system)
            print("[new conversation]")
        elif line.startswith("/system"):
            text = line[len("/system"):].strip()
            system = [{"role": "system", "content": text}] if text else []
            messages = list(system)
            print(f"[system message {'set' if text else 'cleared'}; new conversation]")
        elif line == "/history":
            for m in messages:
                print(f"{m['role']}: {m['content']}")
        elif line.startswith("/"):
            print(f"unknown command {line.split()[0]}; {HELP}")
        else:
            messages.append({"role": "user", "content": line})
            sys.stdout.write("bot> ")
            messages.append({"role": "assistant", "content": reply(model, tok, messages, args)})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="fine-tuned model directory (or a LoRA adapter directory)")
    parser.add_argument("--prompt", help="answer this one message and exit")
    parser.add_argument("--system", help="system message")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.7, help="0 for greedy decoding")
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--allow-pickle-weights", action="store_true",
                        help="load pickled .bin weights (can run code when unpickled; trusted files only)")
    args = parser.parse_args(argv)
    if args.max_new_tokens < 1:
        raise TinyLLMError("--max-new-tokens must be at least 1")
    patches.apply()

    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(args.checkpoint, allow_pickle=args.allow_pickle_weights)
    if tok.chat_template is None:
        raise TinyLLMError(f"{args.checkpoint}: the tokenizer has no chat template; this is not a chat model")
    if args.prompt is not None:
        messages = [{"role": "system", "content": args.system}] if args.system else []
        reply(model, tok, messages + [{"role": "user", "content": args.prompt}], args)
        return 0
    interactive(model, tok, args)
    return 0


if __name__ == "__main__":
    run_cli(main)
