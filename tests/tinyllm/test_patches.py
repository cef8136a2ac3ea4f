"""tinyllm.patches: each change to a dependency's behaviour keeps its results and does what it says."""

import torch

from tinyllm import patches
from tinyllm.model import llama_config


def test_trl_fused_head_on_cpu_scores_only_labelled_positions_with_the_same_logprobs_and_gradients(monkeypatch):
    import trl.kernels.chunked_logprob as kernel
    import trl.trainer.utils as trl_utils
    from transformers import LlamaForCausalLM

    patches.compact_fused_logprobs_on_cpu()
    torch.manual_seed(0)
    model = LlamaForCausalLM(llama_config("tiny", 96, 64))
    trl_utils.add_fused_lm_head(model)
    ids = torch.randint(3, 96, (3, 40))
    labels = torch.full_like(ids, -100)
    labels[0, 30:] = ids[0, 30:]  # an answer after a long prompt, as in a DPO batch
    labels[1, 35:38] = ids[1, 35:38]  # row 2 has no label at all (a differentiable zero)
    scored = []
    original = trl_utils._ChunkedLogProbFunction

    class Spy:
        @staticmethod
        def apply(hidden, *args):
            scored.append(hidden.shape[0])
            return original.apply(hidden, *args)

    monkeypatch.setattr(trl_utils, "_ChunkedLogProbFunction", Spy)

    def logprobs_and_grads():
        model.zero_grad()
        out = model(input_ids=ids, labels=labels, fused_lm_head=True)
        (out.log_probs.sum() + out.loss).backward()
        return out.log_probs.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    compact, compact_grads = logprobs_and_grads()
    monkeypatch.setattr(trl_utils, "_use_triton", kernel._use_triton)  # TRL's own choice: score every position
    full, full_grads = logprobs_and_grads()
    assert scored == [int((labels[:, 1:] != -100).sum()), 3 * 39]
    assert (compact[labels[:, 1:] == -100] == 0).all() and compact[0].abs().sum() > 0
    torch.testing.assert_close(compact, full, rtol=1e-5, atol=1e-6)
    for name, grad in full_grads.items():
        torch.testing.assert_close(compact_grads[name], grad, rtol=1e-5, atol=1e-6, msg=name)
