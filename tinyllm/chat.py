"""Prompting with the one chat template: what chat, evaluation and generation share.

Training renders a whole conversation with `tinyllm.sft_data.render`; a reply is asked for
by rendering the conversation so far with `add_generation_prompt=True`. Both go through the
tokenizer's chat template, so the prompt a model sees at chat time is exactly the prefix it
was trained on (tests/test_sft.py checks it token by token).
"""

from tinyllm.tokenizer import IM_END


def prompt_ids(tok, messages: list[dict]) -> list[int]:
    """Token ids of the conversation so far plus the opening of the assistant's turn."""
    out = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    return list(out["input_ids"])


def stop_ids(tok) -> list[int]:
    """A reply ends at <|im_end|>; </s> also stops a model that was never fine-tuned."""
    ids = [tok.eos_token_id]
    im_end = tok.convert_tokens_to_ids(IM_END)
    if im_end is not None and im_end != tok.unk_token_id:
        ids.insert(0, im_end)
    return ids


def reply_text(tok, ids) -> str:
    """The reply without its stop token and anything after it."""
    ids = list(ids)
    for stop in stop_ids(tok):
        if stop in ids:
            ids = ids[:ids.index(stop)]
    return tok.decode(ids, skip_special_tokens=True).strip()


def generate_replies(model, tok, conversations: list[list[dict]], max_new_tokens: int = 64, batch_size: int = 32,
                     do_sample: bool = False, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                     seed: int = 0, progress: bool = False) -> list[str]:
    """One reply per conversation (each ends with a user turn), batched with left padding."""
    outputs = generate_batched(model, tok, [prompt_ids(tok, c) for c in conversations], max_new_tokens, batch_size,
                               do_sample, temperature, top_k, top_p, seed, progress)
    return [reply_text(tok, ids) for ids in outputs]


def fast_generation(model) -> dict:
    """generate() arguments that speed decoding up where they pay: on a GPU a static KV cache, which
    transformers then decodes with a torch.compile'd forward (CUDA graphs, no per-token Python or
    allocation). On a CPU, or for a bitsandbytes model (not compilable), the default dynamic cache."""
    on_gpu = next(model.parameters()).device.type == "cuda"
    return {"cache_implementation": "static"} if on_gpu and getattr(model, "hf_quantizer", None) is None else {}


def generate_batched(model, tok, prompts: list[list[int]], max_new_tokens: int = 64, batch_size: int = 32,
                     do_sample: bool = False, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                     seed: int = 0, progress: bool = False) -> list[list[int]]:
    """The new token ids for each prompt (token ids), stopping at `stop_ids(tok)` (the stop token
    kept, padding after it dropped); batched with left padding, longest prompts first."""
    import torch
    from tqdm import tqdm

    torch.manual_seed(seed)
    device = next(model.parameters()).device
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    stops = stop_ids(tok)
    # Longest first keeps padding low; the outputs are put back in the callers' order.
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    outputs = [[] for _ in prompts]
    batches = range(0, len(order), batch_size)
    for start in tqdm(batches, desc="generate", unit="batch", disable=not progress or None):
        idx = order[start:start + batch_size]
        width = max(len(prompts[i]) for i in idx)
        ids = torch.tensor([[pad] * (width - len(prompts[i])) + prompts[i] for i in idx], device=device)
        mask = torch.tensor([[0] * (width - len(prompts[i])) + [1] * len(prompts[i]) for i in idx], device=device)
        sampling = dict(do_sample=True, temperature=temperature, top_k=top_k or None, top_p=top_p) if do_sample else \
            dict(do_sample=False, temperature=None, top_k=None, top_p=None)
        with torch.no_grad():
            out = model.generate(ids, attention_mask=mask, max_new_tokens=max_new_tokens, eos_token_id=stops,
                                 pad_token_id=pad, **sampling, **fast_generation(model))
        for row, i in enumerate(idx):
            new = out[row, width:].tolist()
            end = next((j for j, t in enumerate(new) if t in stops), None)
            outputs[i] = new if end is None else new[:end + 1]
    return outputs
