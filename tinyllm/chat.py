"""Prompting with the one chat template: what chat, evaluation and generation share.

Training renders a whole conversation with `tinyllm.sft_data.render`; a reply is asked for
by rendering the conversation so far with `add_generation_prompt=True`. Both go through the
tokenizer's chat template, so the prompt a model sees at chat time is exactly the prefix it
was trained on (tests/stages/test_sft.py checks it token by token). Generation itself is
`tinyllm.generate.generate`.
"""

from tinyllm.generate import SamplingOptions, generate, stop_ids


def prompt_ids(tok, messages: list[dict]) -> list[int]:
    """Token ids of the conversation so far plus the opening of the assistant's turn."""
    out = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    return list(out["input_ids"])


def reply_text(tok, ids) -> str:
    """The reply without its stop token and anything after it."""
    ids = list(ids)
    for stop in stop_ids(tok):
        if stop in ids:
            ids = ids[:ids.index(stop)]
    return tok.decode(ids, skip_special_tokens=True).strip()


def generate_replies(model, tok, conversations: list[list[dict]], opts: SamplingOptions | None = None,
                     batch_size: int = 32, progress: bool = False) -> list[str]:
    """One reply per conversation (each ends with a user turn), batched with left padding
    (default options: greedy, 64 new tokens at most)."""
    outputs = generate(model, tok, [prompt_ids(tok, c) for c in conversations], opts or SamplingOptions(),
                       batch_size=batch_size, progress=progress)
    return [reply_text(tok, ids) for ids in outputs]
