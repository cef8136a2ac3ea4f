"""Scoring text by the model's log-likelihood: multiple choice (the lm-eval-harness way) and perplexity.

Multiple choice: each option is a continuation of the item's context; the model's pick is the
option with the highest summed log-probability (`acc`), or the highest per character of option
text (`acc_norm`, lm-eval's length normalisation). Context and option are encoded separately and
joined, so every option follows the same context tokens; `<s>` opens the context as it opens
every pretraining document. A sequence longer than the model's window loses context tokens on the
left (as in lm-eval: the window's positions all predict).

Perplexity and bits per byte: every token of each document after its `<s>` is predicted from
the document's start (sliding windows with half-window overlap for long ones), never seeing
another document. bits/byte = total NLL / (ln 2 x UTF-8 bytes of the documents), so models
with different tokenizers can be compared on the same text.

Windowed loss (what llama2.c and nanoGPT report as validation loss): the documents back to back
as one token stream, each opened by `<s>` (llama2.c's pretokenized layout), cut into
non-overlapping windows of the context length; every window predicts its tokens from its own
start only, across document boundaries, and a last partial window is dropped as llama2.c drops
it (kept only when the stream is shorter than one window). It differs from per-document
perplexity both ways: it also predicts each document's `<s>` (where the previous one ends) and
cuts documents at window starts, while later windows read across boundaries; it is the number to
put beside their tables.
"""

import math

from tinyllm.model import model_window


def last_logprobs(model, seqs: list[list[int]], keep: int):
    """Log-probabilities (float, [batch, keep, vocab]) at the last `keep` positions of token sequences
    batched with left padding. Left padding lines every continuation up at the end, so only the last
    `keep` positions need logits (the vocabulary projection is most of a small model's cost)."""
    import torch

    device = next(model.parameters()).device
    width = max(len(seq) for seq in seqs)
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    for r, seq in enumerate(seqs):
        ids[r, width - len(seq):] = torch.tensor(seq)
        mask[r, width - len(seq):] = 1
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    with torch.no_grad():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                       logits_to_keep=keep).logits.float()
    return torch.log_softmax(logits, dim=-1)


def _encode(tok, text: str) -> list[int]:
    return tok.encode(text, add_special_tokens=False)


def continuation_logprobs(model, tok, pairs: list[tuple[str, str]], batch_size: int = 64,
                          progress: bool = False) -> list[float]:
    """Summed log-probability of each continuation given its context (nats)."""
    sequences = []
    for context, continuation in pairs:
        cont = _encode(tok, continuation)
        if not cont:
            raise ValueError(f"empty continuation after context {context[-40:]!r}")
        sequences.append(([tok.bos_token_id, *_encode(tok, context)], cont))
    return score_token_sequences(model, sequences, batch_size, progress)


def score_token_sequences(model, sequences: list[tuple[list[int], list[int]]], batch_size: int = 64,
                          progress: bool = False) -> list[float]:
    """Summed log p(continuation ids | context ids) for (context_ids, continuation_ids) pairs."""
    import torch
    from tqdm import tqdm

    window = model_window(model)
    device = next(model.parameters()).device
    rows = []
    for context, cont in sequences:
        # The last window+1 tokens: the model reads all but the last, so `window` positions
        # predict; the continuation is kept whole, the context loses tokens on the left.
        ids = (context + cont)[-(window + 1):]
        rows.append((ids[:-1], ids[len(ids) - len(cont):] if len(cont) < len(ids) else ids[1:]))
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i][0]))  # similar lengths together
    scores = [0.0] * len(rows)
    for start in tqdm(range(0, len(order), batch_size), desc="score", unit="batch", disable=not progress or None):
        idx = order[start:start + batch_size]
        keep = max(len(rows[i][1]) for i in idx)
        logp = last_logprobs(model, [rows[i][0] for i in idx], keep)
        for r, i in enumerate(idx):
            targets = torch.tensor(rows[i][1], device=device)
            scores[i] = float(logp[r, keep - len(targets):].gather(-1, targets.unsqueeze(-1)).sum())
    return scores


def multiple_choice(model, tok, items: list[dict], batch_size: int = 64, progress: bool = False) -> list[dict]:
    """Per item: the option log-probabilities and the picks by `acc` and `acc_norm`.

    An item is {"context": str, "options": [str, ...], "label": index of the right option}.
    """
    pairs = [(item["context"], option) for item in items for option in item["options"]]
    flat = continuation_logprobs(model, tok, pairs, batch_size, progress)
    results, at = [], 0
    for item in items:
        k = len(item["options"])
        lps = flat[at:at + k]
        at += k
        per_char = [lp / max(1, len(o)) for lp, o in zip(lps, item["options"])]
        pick = max(range(k), key=lambda j: lps[j])
        pick_norm = max(range(k), key=lambda j: per_char[j])
        results.append({"logprobs": lps, "pick": pick, "pick_norm": pick_norm,
                        "correct": pick == item["label"], "correct_norm": pick_norm == item["label"]})
    return results


def _windows(n_tokens: int, window: int):
    """(start, end, first_target) spans covering targets 1..n-1; each span predicts
    [first_target, end) with at least half a window of context once the document is longer."""
    if n_tokens <= window:
        yield 0, n_tokens, 1
        return
    stride = max(1, window // 2)
    end = window
    yield 0, end, 1
    while end < n_tokens:
        new_end = min(end + stride, n_tokens)
        yield new_end - window, new_end, end
        end = new_end


def document_nll(model, documents_ids: list[list[int]], batch_size: int = 32, progress: bool = False) -> tuple[float, int]:
    """(total NLL in nats, tokens predicted) over documents given as token ids starting with <s>."""
    import torch
    from tqdm import tqdm

    window = model_window(model)
    device = next(model.parameters()).device
    spans = [(doc[s:e], t - s) for doc in documents_ids for s, e, t in _windows(len(doc), window) if e - t > 0]
    spans.sort(key=lambda sp: -len(sp[0]))
    total, count = 0.0, 0
    for start in tqdm(range(0, len(spans), batch_size), desc="perplexity", unit="batch", disable=not progress or None):
        batch = spans[start:start + batch_size]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.zeros(len(batch), width, dtype=torch.long)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        keep = torch.zeros(len(batch), width - 1, dtype=torch.bool)  # which targets count
        for r, (seq, first) in enumerate(batch):
            ids[r, :len(seq)] = torch.tensor(seq)
            mask[r, :len(seq)] = 1
            keep[r, first - 1:len(seq) - 1] = True
        with torch.no_grad():
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
        nll = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), ids[:, 1:].to(device), reduction="none")
        total += float(nll[keep.to(device)].sum())
        count += int(keep.sum())
    return total, count


def perplexity(model, tok, texts: list[str], batch_size: int = 32, progress: bool = False, token_ids=None) -> dict:
    """Token perplexity and bits per byte of `texts`, each scored as its own document
    (`token_ids`: their tokens when already known, e.g. read from shards, without <s>)."""
    if token_ids is not None:
        docs = [[tok.bos_token_id, *ids] for ids, t in zip(token_ids, texts) if t]
    else:
        docs = [[tok.bos_token_id, *_encode(tok, t)] for t in texts if t]
    nll, n_tokens = document_nll(model, docs, batch_size, progress)
    n_bytes = sum(len(t.encode("utf-8")) for t in texts if t)
    return {"ppl": math.exp(nll / n_tokens), "bits_per_byte": nll / (math.log(2) * n_bytes),
            "nll_per_token": nll / n_tokens, "documents": len(docs), "tokens": n_tokens, "bytes": n_bytes}


def windowed_loss(model, documents_ids: list[list[int]], batch_size: int = 32, window: int | None = None,
                  progress: bool = False) -> dict:
    """Mean NLL per token (nats) over non-overlapping windows of a stream of documents
    (token ids, each starting with <s>), as llama2.c / nanoGPT measure validation loss."""
    import torch
    from tqdm import tqdm

    window = window or model_window(model)
    stream = [t for doc in documents_ids for t in doc]
    # Window i reads stream[i*w : i*w + w] and predicts stream[i*w + 1 : i*w + w + 1].
    starts = list(range(0, len(stream) - window, window)) or [0]
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for b in tqdm(range(0, len(starts), batch_size), desc="windows", unit="batch", disable=not progress or None):
        chunk = [stream[s:s + window + 1] for s in starts[b:b + batch_size]]
        ids = torch.tensor([c[:-1] for c in chunk if len(c) == len(chunk[0])], device=device)
        targets = torch.tensor([c[1:] for c in chunk if len(c) == len(chunk[0])], device=device)
        with torch.no_grad():
            logits = model(input_ids=ids).logits.float()
        total += float(torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="sum"))
        count += targets.numel()
    return {"window_loss": total / count, "window_tokens": count, "windows": len(starts), "window": window}
