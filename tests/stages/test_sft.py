"""The SFT stage, chat and answer evaluation on a briefly pretrained tiny model."""

import json

import pytest
import torch

from conftest import ROOT, sft
from tinyllm.errors import TinyLLMError

CONVERSATION = [
    {"role": "system", "content": "You are a friendly teacher."},
    {"role": "user", "content": "Lily had 3 red balls. She got 2 more. How many balls did Lily have?"},
    {"role": "assistant", "content": "Lily had 5 balls."},
    {"role": "user", "content": "What colour were they?"},
    {"role": "assistant", "content": "They were red."},
]


def val_losses(run_dir, checkpoint):
    state = json.loads((run_dir / checkpoint / "trainer_state.json").read_text())
    return {h["step"]: h["eval_loss"] for h in state["log_history"] if "eval_loss" in h}


def train_losses(run_dir, checkpoint):
    state = json.loads((run_dir / checkpoint / "trainer_state.json").read_text())
    return {h["step"]: h["loss"] for h in state["log_history"] if "loss" in h}


def assistant_loss(model, tok, sft_data):
    """Mean loss on assistant tokens of the validation pickle, computed here independently."""
    from tinyllm.sft_data import labels_for, load_sft

    samples = load_sft(sft_data / "val.pkl", tok)["samples"][:40]
    total, count = 0.0, 0
    with torch.no_grad():
        for s in samples:
            ids = torch.tensor([s["input_ids"]])
            labels = torch.tensor([labels_for(s)])
            n = int((labels[0, 1:] != -100).sum())
            total += model(input_ids=ids, labels=labels).loss.item() * n
            count += n
    return total / count


@pytest.mark.parametrize("batching", ["packed", "padded", "length_grouped"])
def test_sft_lowers_the_assistant_loss(pretrained, sft_data, tmp_path, batching):
    from tinyllm.model import load_checkpoint

    before_model, tok = load_checkpoint(pretrained)
    before = assistant_loss(before_model, tok, sft_data)
    run = sft(pretrained, sft_data, tmp_path / batching, f"batching={batching}")
    after_model, _ = load_checkpoint(run / "final")
    after = assistant_loss(after_model, tok, sft_data)
    # The pretrained model has never seen a chat turn; 40 steps on the answers' fixed phrasing
    # take ~1.2 nats off the assistant-token loss (seen: 4.31 -> 3.03-3.12 for the three
    # batchings); 0.5 nat fails a stage that trains on the wrong tokens or not at all.
    print(f"assistant loss {before:.3f} -> {after:.3f}")
    assert after < before - 0.5, (before, after)
    report = json.loads((run / "report.json").read_text())
    assert report["val_loss"] < before - 0.5
    assert {"checkpoint-40", "final", "loss_curve.png", "run.json"} <= {p.name for p in run.iterdir()}


def test_packing_keeps_conversations_apart(pretrained, sft_data):
    """A packed row gives every conversation the logits it gets alone: no attention across."""
    from tinyllm.model import load_checkpoint
    from tinyllm.sft_data import IGNORE, labels_for, load_sft, pack

    model, tok = load_checkpoint(pretrained)
    samples = load_sft(sft_data / "val.pkl", tok)["samples"][:12]
    rows = pack(samples, 1024, tok.pad_token_id)
    assert all(len(r["input_ids"]) == len(r["labels"]) == len(r["position_ids"]) == 1024 for r in rows)
    assert len(rows) < len(samples)  # several conversations share a row
    assert sum(sum(1 for t in r["labels"] if t != IGNORE) for r in rows) == sum(sum(s["assistant_mask"]) for s in samples)
    row = max(rows, key=lambda r: r["position_ids"].count(0))
    with torch.no_grad():
        packed = model(input_ids=torch.tensor([row["input_ids"]]), position_ids=torch.tensor([row["position_ids"]])).logits[0]
    starts = [i for i, p in enumerate(row["position_ids"]) if p == 0]
    checked = 0
    for s in samples:
        ids = s["input_ids"]
        for start in starts:
            if row["input_ids"][start:start + len(ids)] == ids and row["labels"][start:start + len(ids)] == labels_for(s):
                with torch.no_grad():
                    alone = model(input_ids=torch.tensor([ids])).logits[0]
                torch.testing.assert_close(packed[start:start + len(ids)], alone, rtol=0, atol=1e-4)
                checked += 1
                break
    assert checked >= 2


def test_lora_merged_model_matches_the_adapter_model(pretrained, sft_data, tmp_path):
    from safetensors.torch import load_file

    from tinyllm.model import load_checkpoint
    from tinyllm.sft_data import render

    run = sft(pretrained, sft_data, tmp_path / "lora", "lora=true", "lora_r=8", "lora_alpha=16", "merge=true",
              "max_steps=20", "lr=5e-3")
    adapter_model, tok = load_checkpoint(run / "adapter")
    merged, _ = load_checkpoint(run / "final")
    assert not (run / "final" / "adapter_config.json").exists()
    ids = torch.tensor([render(tok, CONVERSATION)[0]])
    with torch.no_grad():
        a, m = adapter_model(input_ids=ids).logits, merged(input_ids=ids).logits
        base, _ = load_checkpoint(pretrained)
        b = base(input_ids=ids).logits
    torch.testing.assert_close(m, a, rtol=0, atol=1e-5)
    assert (m - b).abs().max() > 1e-3  # the adapters did change the model
    # Only the adapters trained: the base weights under the adapter are the pretrained ones.
    base_weights = load_file(pretrained / "model.safetensors")
    q = adapter_model.base_model.model.model.layers[0].self_attn.q_proj.base_layer.weight
    torch.testing.assert_close(q, base_weights["model.layers.0.self_attn.q_proj.weight"], rtol=0, atol=0)
    report = json.loads((run / "report.json").read_text())
    assert report["trained_parameters"] < report["parameters"] / 5


def test_stop_and_resume_matches_an_uninterrupted_run(pretrained, sft_data, tmp_path):
    common = ["max_steps=30", "save_every=10", "eval_every=0", "log_every=5", "batching=padded", "batch_size=4"]
    straight = sft(pretrained, sft_data, tmp_path / "straight", *common)
    cut = sft(pretrained, sft_data, tmp_path / "cut", *common, "stop_at_step=15")
    assert (cut / "checkpoint-15").is_dir() and not (cut / "final").exists()
    sft(pretrained, sft_data, cut, *common, "resume=true")
    a, b = train_losses(straight, "checkpoint-30"), train_losses(cut, "checkpoint-30")
    assert sorted(a) == sorted(b) == [5, 10, 15, 20, 25, 30]
    for step in a:
        assert abs(a[step] - b[step]) < 1e-5, (step, a[step], b[step])


def test_chat_and_evaluation_prompt_exactly_the_training_prefix(pretrained, tokenizer_dir):
    """What chat and the answer evaluation feed to generate() is the training rendering of the
    conversation up to the assistant's content, token for token."""
    import io

    from scripts.chat import reply
    from tinyllm.chat import generate_replies
    from tinyllm.generate import SamplingOptions
    from tinyllm.model import load_checkpoint
    from tinyllm.sft_data import render

    model, tok = load_checkpoint(pretrained)
    train_ids, mask = render(tok, CONVERSATION)
    last_target = max(i for i, m in enumerate(mask) if m)
    first_target = max(i for i in range(last_target) if not mask[i]) + 1  # the last assistant turn's content
    expected_prompt = train_ids[:first_target]
    seen = []
    original = model.generate

    def recording_generate(input_ids, attention_mask=None, **kw):
        seen.append([t for t, m in zip(input_ids[0].tolist(), attention_mask[0].tolist()) if m])
        return original(input_ids, attention_mask=attention_mask, **kw)

    model.generate = recording_generate

    greedy = SamplingOptions(max_new_tokens=8)
    reply(model, tok, [dict(m) for m in CONVERSATION[:-1]], greedy, out=io.StringIO())
    generate_replies(model, tok, [CONVERSATION[:-1]], greedy)
    assert seen == [expected_prompt, expected_prompt]
    assert tok.decode(train_ids[first_target:]).startswith("They were red.<|im_end|>")
    assert train_ids.count(tok.bos_token_id) == 1 and train_ids[0] == tok.bos_token_id


def test_batched_replies_equal_one_at_a_time(fine_tuned):
    from tinyllm.chat import generate_replies
    from tinyllm.generate import SamplingOptions
    from tinyllm.model import load_checkpoint

    model, tok = load_checkpoint(fine_tuned)
    twelve = SamplingOptions(max_new_tokens=12)
    conversations = [[{"role": "user", "content": text}] for text in
                     ("Once upon a time", "Tom had a red ball. Who had a ball?", "What is 2 plus 3?")]
    batched = generate_replies(model, tok, conversations, twelve, batch_size=3)
    single = [generate_replies(model, tok, [c], twelve)[0] for c in conversations]
    assert batched == single
    assert all(batched), batched  # non-empty, so the comparison means something


def test_chat_one_shot_and_interactive(fine_tuned, capsys, monkeypatch):
    from scripts.chat import main as chat_main
    from tinyllm.chat import generate_replies
    from tinyllm.generate import SamplingOptions
    from tinyllm.model import load_checkpoint

    chat_main([str(fine_tuned), "--prompt", "Who had a ball?", "--temperature", "0", "--max-new-tokens", "10"])
    streamed = capsys.readouterr().out.strip()
    model, tok = load_checkpoint(fine_tuned)
    expected = generate_replies(model, tok, [[{"role": "user", "content": "Who had a ball?"}]],
                                SamplingOptions(max_new_tokens=10))[0]
    assert streamed == expected and expected

    lines = iter(["Hello", "/system Be kind.", "/history", "Hi", "/history", "/reset", "/history", "/bogus", "/quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    chat_main([str(fine_tuned), "--temperature", "0", "--max-new-tokens", "5"])
    out = capsys.readouterr().out
    assert "[system message set; new conversation]" in out
    assert "system: Be kind.\nuser: Hi\nassistant:" in out
    assert "user: Hello" not in out  # /system started a new conversation
    assert "[new conversation]" in out and "unknown command /bogus" in out


def test_answer_scores_on_known_cases():
    from eval.dialogue import score
    from tinyllm.answers import contains_answer

    records = [
        {"type": "qa", "answer": "the fair", "messages": [{"role": "assistant", "content": "Laura went to the fair."}]},
        {"type": "qa", "answer": "Nana", "messages": [{"role": "assistant", "content": "It was a gift from Nana."}]},
        {"type": "arithmetic", "answer": "18", "messages": [{"role": "assistant", "content": "Esther had 18 socks left."}]},
    ]
    replies = ["laura went to  the fair", "It was a gift from Nanami.", "Esther had 18 socks left, I think."]
    scores = score(replies, records)
    assert scores["all"] == {"n": 3, "exact_match": 1 / 3, "answer_found": 2 / 3, "answer_chance": 0.0}
    assert scores["qa"]["answer_found"] == 0.5 and scores["arithmetic"]["exact_match"] == 0.0
    # Chance: a reply that answers in form but not from the conversation finds other answers of its kind.
    times = [{"type": "qa", "kinds": ["time"], "answer": t, "messages": [{"role": "assistant", "content": f"It was the {t}."}]}
             for t in ("morning", "evening", "night", "morning")]
    blind = ["It was the morning."] * 4
    chance = score(blind, times)["all"]
    assert chance["answer_found"] == 0.5
    assert chance["answer_chance"] == pytest.approx((0 + 2 / 3 + 2 / 3 + 0) / 4)  # evening, night: 2 of 3 others are morning
    assert contains_answer("It was 18.", "18") and not contains_answer("It was 118.", "18")


@pytest.mark.parametrize("override, message", [
    ("batching=stacked", "recipe key 'batching' must be one of padded, length_grouped, packed, not 'stacked'"),
    ("lora_targets=[q_proj,qkv]", "recipe key 'lora_targets': qkv"),
    ("epochs=0", "recipe key 'epochs' must be > 0"),
])
def test_bad_sft_recipes_are_refused(pretrained, sft_data, tmp_path, override, message):
    with pytest.raises(TinyLLMError, match=message.replace("(", r"\(")):
        sft(pretrained, sft_data, tmp_path / "x", "lora=true", override)
    assert not (tmp_path / "x").exists()


def test_data_from_another_tokenizer_is_refused(pretrained, sft_data, tmp_path, corpus_dir):
    from data_prep.sft import build_sft
    from data_prep.train_tokenizer import train_tokenizer

    other = tmp_path / "other_tok"
    train_tokenizer([str(corpus_dir / "stories_val.jsonl")], other, vocab_size=450)
    build_sft([str(corpus_dir / "dialogues_val.jsonl")], tmp_path / "foreign.pkl", other, max_len=2048)
    with pytest.raises(TinyLLMError, match="foreign.pkl: made with tokenizer .* not the one in use"):
        sft(pretrained, sft_data, tmp_path / "y", f"train_data={tmp_path / 'foreign.pkl'}")
    assert not (tmp_path / "y").exists()
