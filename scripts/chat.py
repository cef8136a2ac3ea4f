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
from dataclasses import dataclass, field

from tinyllm.chat import prompt_ids, reply_text
from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.generate import SamplingOptions, add_sampling_args, fit_prompt, generate, sampling_options, stop_ids
from tinyllm.model import load_checkpoint, model_window

HELP = "commands: /reset, /system TEXT, /history, /help, /quit"
DEFAULTS = SamplingOptions(do_sample=True, temperature=0.7, top_k=50, top_p=0.95, max_new_tokens=128)


@dataclass
class ChatOptions:
    checkpoint: str
    prompt: str | None = None          # answer this one message and exit
    system: str | None = None          # system message
    sampling: SamplingOptions = field(default_factory=lambda: SamplingOptions(**vars(DEFAULTS)))
    allow_pickle_weights: bool = False


def make_streamer(tok, out):
    """A transformers TextStreamer that prints the reply only (no prompt, no stop token)."""
    from transformers import TextStreamer  # heavy: imported when a chat starts

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


def reply(model, tok, messages, opts: SamplingOptions, out=None) -> str:
    """Generate (streaming to `out`, default stdout) the assistant's answer to `messages`; return its text."""
    out = out or sys.stdout
    ids = prompt_ids(tok, messages)
    limit = model_window(model) - opts.max_new_tokens
    while len(ids) > limit and len(messages) > 2:
        # Forget the oldest exchange (keeping a system message) rather than overrun the context.
        first = 1 if messages[0]["role"] == "system" else 0
        del messages[first:first + 2]
        out.write("[the oldest turns no longer fit the context and were dropped]\n")
        ids = prompt_ids(tok, messages)
    ids, note = fit_prompt(ids, model_window(model), opts.max_new_tokens, "conversation")
    if note:
        out.write(f"[{note[len('note: '):]}]\n")
    new = generate(model, tok, ids, opts, streamer=make_streamer(tok, out))
    return reply_text(tok, new)


def interactive(model, tok, opts: ChatOptions):
    system = [{"role": "system", "content": opts.system}] if opts.system else []
    messages = list(system)
    print(f"chatting with {opts.checkpoint}; {HELP}")
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
            messages.append({"role": "assistant", "content": reply(model, tok, messages, opts.sampling)})


def parse_args(argv=None) -> ChatOptions:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="fine-tuned model directory (or a LoRA adapter directory)")
    parser.add_argument("--prompt", help="answer this one message and exit (an empty one is refused; a conversation "
                                         "longer than the model's context, less --max-new-tokens, is cut from the "
                                         "left with a note)")
    parser.add_argument("--system", help="system message")
    parser.add_argument("--allow-pickle-weights", action="store_true",
                        help="load pickled .bin weights (can run code when unpickled; trusted files only)")
    add_sampling_args(parser, DEFAULTS)
    args = parser.parse_args(argv)
    patches.apply()
    return ChatOptions(checkpoint=args.checkpoint, prompt=args.prompt, system=args.system,
                       sampling=sampling_options(args), allow_pickle_weights=args.allow_pickle_weights)


def run(opts: ChatOptions) -> int:
    opts.sampling.check()
    if opts.prompt is not None and not opts.prompt.strip():
        raise TinyLLMError("--prompt is empty; give the message to answer")
    model, tok = load_checkpoint(opts.checkpoint, allow_pickle=opts.allow_pickle_weights)
    if tok.chat_template is None:
        raise TinyLLMError(f"{opts.checkpoint}: the tokenizer has no chat template; this is not a chat model")
    if opts.prompt is not None:
        messages = [{"role": "system", "content": opts.system}] if opts.system else []
        reply(model, tok, messages + [{"role": "user", "content": opts.prompt}], opts.sampling)
        return 0
    interactive(model, tok, opts)
    return 0


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    run_cli(main)
