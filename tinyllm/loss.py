"""Chunked linear cross-entropy: the LM loss without the batch x seq x vocab logits in memory.

At vocab 64793, batch 64 and seq 512 the fp32 logits alone take 8.5 GB, and autograd keeps them
(and their softmax) for the backward pass: the dominant memory of a small model. Here the rows
are processed `chunk` at a time: each chunk's logits are formed, turned into its loss and its
gradients (softmax - one-hot) at once, and dropped, so only one chunk of logits is ever alive.
The gradients for the hidden states and the output weight are kept for the backward pass
(the same size as the hidden states and the weight). Written by hand because torch has no fused
linear + cross-entropy and the libraries that do (Liger's Triton kernels) need a GPU.

`use_chunked_loss(model, chunk)` swaps the forward of a LlamaForCausalLM instance (the model
class and its checkpoints stay plain): with labels it returns the loss and no logits.
"""

import types

import torch

IGNORE = -100


class ChunkedLinearCrossEntropy(torch.autograd.Function):
    """sum over valid rows of CE(hidden @ weight.T, target) / divisor, one chunk of rows at a time."""

    @staticmethod
    def forward(ctx, hidden, weight, targets, chunk: int, divisor):
        # Under autocast the matmuls would run in its dtype; the precision is chosen here instead. The
        # gradients are formed unscaled ((softmax - one-hot) lies in [-1, 1]) and divided by `divisor` in
        # fp32 only in backward, after the loss scale is applied: divided first, fp16 flushes most of them
        # to zero. The weight gradient sums over rows, so under fp16 it is formed in fp32 (range).
        compute = (torch.get_autocast_dtype(hidden.device.type) if torch.is_autocast_enabled(hidden.device.type)
                   else hidden.dtype)
        weight_compute = torch.float32 if compute == torch.float16 else compute
        grad_hidden = torch.zeros_like(hidden) if hidden.requires_grad else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if weight.requires_grad else None
        total = hidden.new_zeros((), dtype=torch.float32)
        with torch.autocast(hidden.device.type, enabled=False):
            w = weight.to(compute)
            for start in range(0, hidden.shape[0], chunk):
                h, t = hidden[start:start + chunk], targets[start:start + chunk]
                valid = t != IGNORE
                if not valid.any():
                    continue
                logits = (h.to(compute) @ w.T).float()
                lse = torch.logsumexp(logits, dim=-1)
                safe_t = t.clamp(min=0)
                picked = logits.gather(1, safe_t[:, None])[:, 0]
                total += ((lse - picked) * valid).sum()
                if grad_hidden is None and grad_weight is None:
                    continue
                # d loss / d logits = softmax - one-hot on valid rows (0 elsewhere); 1 / divisor comes in backward.
                g = torch.softmax(logits, dim=-1)
                g[torch.arange(len(t), device=t.device), safe_t] -= 1
                g *= valid[:, None]
                if grad_hidden is not None:
                    grad_hidden[start:start + chunk] = (g.to(compute) @ w).to(hidden.dtype)
                if grad_weight is not None:
                    grad_weight += (g.to(weight_compute).T @ h.to(weight_compute)).float()
        ctx.save_for_backward(divisor, *(x for x in (grad_hidden, grad_weight) if x is not None))
        ctx.has = (grad_hidden is not None, grad_weight is not None)
        ctx.weight_dtype, ctx.hidden_dtype = weight.dtype, hidden.dtype
        return total / divisor

    @staticmethod
    def backward(ctx, grad_out):
        divisor, *saved = ctx.saved_tensors
        saved = iter(saved)
        scale = grad_out.float() / divisor  # the loss scale first, then 1 / divisor: nothing underflows
        grad_hidden = (next(saved).float() * scale).to(ctx.hidden_dtype) if ctx.has[0] else None
        grad_weight = (next(saved) * scale).to(ctx.weight_dtype) if ctx.has[1] else None
        return grad_hidden, grad_weight, None, None, None


# Run eagerly under torch.compile: the chunk loop and its data-dependent skips would only cause graph
# breaks, and each chunk is one large matmul that gains nothing from fusion; the model's trunk compiles.
@torch.compiler.disable
def chunked_cross_entropy(hidden, weight, targets, chunk: int = 4096, num_items=None):
    """Mean (or sum / num_items, as the Trainer normalises across accumulation) token CE."""
    hidden, targets = hidden.reshape(-1, hidden.shape[-1]), targets.reshape(-1)
    keep = targets != IGNORE
    divisor = num_items if num_items is not None else keep.sum().clamp(min=1)
    divisor = torch.as_tensor(divisor, dtype=torch.float32, device=hidden.device)
    if not bool(keep.all()):
        # Only labelled rows reach the vocabulary projection: in SFT the assistant's tokens are a few
        # percent of a packed row (3.8 % in the quickstart), and the rest would be projected for nothing.
        hidden, targets = hidden[keep], targets[keep]
    if not torch.is_grad_enabled():  # evaluation: the loss only (the weight is a Parameter that requires grad)
        hidden, weight = hidden.detach(), weight.detach()
    return ChunkedLinearCrossEntropy.apply(hidden, weight, targets, chunk, divisor)


def use_chunked_loss(model, chunk: int) -> None:
    """Give `model` (a LlamaForCausalLM) a forward that computes the loss chunk by chunk; chunk 0: leave it as is
    (the recipe key ce_chunk's default, so a stage calls this unconditionally).

    Calls with labels (training and evaluation) get the loss and no logits; calls without
    (generation) take the original path. Targets follow transformers' convention: `labels` are
    shifted here, `shift_labels` are used as given.
    """
    if not chunk:
        return
    from transformers.modeling_outputs import CausalLMOutputWithPast

    original = type(model).forward

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, labels=None, shift_labels=None,
                num_items_in_batch=None, **kwargs):
        if labels is None and shift_labels is None:
            return original(self, input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                            **kwargs)
        kwargs.pop("use_cache", None)
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                            use_cache=False, **kwargs).last_hidden_state
        if shift_labels is None:
            shift_labels = torch.nn.functional.pad(labels[:, 1:], (0, 1), value=IGNORE)
        loss = chunked_cross_entropy(hidden, self.lm_head.weight, shift_labels, chunk, num_items_in_batch)
        return CausalLMOutputWithPast(loss=loss)

    model.forward = types.MethodType(forward, model)
