"""The quantization stage on the briefly pretrained tiny model: int8 / nf4 checkpoints that save,
reload and generate, a report whose numbers are measured, and bad input refused."""

import json

import pytest
import torch

from tinyllm.errors import TinyLLMError, run_cli


def short_texts(corpus_dir, n=6):
    """Held-out story openings short enough (< 128 tokens, the fixture model's window) to score whole."""
    from conftest import read_jsonl

    return [" ".join(t.split()[:40]) for t in read_jsonl(corpus_dir / "stories_val.jsonl")[:n]]


def perplexity_by_hand(model, tok, texts):
    """exp(mean NLL) of every token after <s>, each text alone: no batching, no windows."""
    nll, count = 0.0, 0
    for text in texts:
        ids = torch.tensor([[tok.bos_token_id, *tok.encode(text, add_special_tokens=False)]])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, :-1].float()
        nll += float(torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="sum"))
        count += ids.shape[1] - 1
    return torch.tensor(nll / count).exp().item()


@pytest.fixture(scope="module")
def quant_run(pretrained, corpus_dir, tmp_path_factory):
    """The stage on the tiny model: int8 and nf4, perplexity on short held-out texts and the cloze."""
    from stages.quantize import main

    root = tmp_path_factory.mktemp("quant")
    ppl_file = root / "heldout.jsonl"
    ppl_file.write_text("".join(json.dumps({"text": t}) + "\n" for t in short_texts(corpus_dir)))
    out = root / "out"
    assert main([str(pretrained), "--method", "int8", "--method", "nf4", "--out", str(out), f"ppl_data={ppl_file}",
                 "suites=[ppl, cloze]", "limit=8", "gen_tokens=12", "gen_runs=2"]) == 0
    return out, json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("method", ["int8", "nf4"])
def test_quantized_checkpoint_saves_reloads_and_generates(pretrained, tmp_path, method):
    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM

    from tinyllm.model import load_checkpoint
    from tinyllm.quant import bnb_config, quantize, save_quantized

    original, tok = load_checkpoint(pretrained)
    quantized = quantize(pretrained, bnb_config(method))
    layer = bnb.nn.Linear8bitLt if method == "int8" else bnb.nn.Linear4bit
    linears = [m for n, m in quantized.named_modules() if n.startswith("model.layers.") and isinstance(m, layer)]
    assert len(linears) == 7 * quantized.config.num_hidden_layers  # q k v o gate up down, every layer
    # lm_head stays full precision, and is still the input embedding (tied).
    assert type(quantized.lm_head) is torch.nn.Linear
    assert quantized.lm_head.weight.data_ptr() == quantized.model.embed_tokens.weight.data_ptr()

    ids = torch.tensor([[tok.bos_token_id, *tok.encode("Once upon a time, a little girl", add_special_tokens=False)]])
    with torch.no_grad():
        logits = quantized(input_ids=ids).logits
        reference = original(input_ids=ids).logits
    # Quantized, not a copy: the logits move, but not far (seen: int8 0.3 %, nf4 2 % of the largest).
    error = ((logits - reference).abs().max() / reference.abs().max()).item()
    assert 1e-4 < error < (0.03 if method == "int8" else 0.15), error

    out = tmp_path / method
    save_quantized(quantized, tok, out)
    config = json.loads((out / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "bitsandbytes"
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".safetensors", ".bin", ".pt", ".pth")) == \
        ["model.safetensors"]
    assert (out / "model.safetensors").stat().st_size < (pretrained / "model.safetensors").stat().st_size

    # Reloaded as every tinyllm tool loads it: the same logits and the same greedy tokens.
    reloaded, _ = load_checkpoint(out)
    assert isinstance(reloaded.model.layers[0].mlp.down_proj, layer)
    with torch.no_grad():
        assert torch.equal(reloaded(input_ids=ids).logits, logits)
    settings = dict(max_new_tokens=12, min_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
    generated = reloaded.generate(ids, attention_mask=torch.ones_like(ids), **settings)
    assert generated.shape[1] == ids.shape[1] + 12
    assert torch.equal(generated, quantized.generate(ids, attention_mask=torch.ones_like(ids), **settings))
    assert tok.decode(generated[0, ids.shape[1]:]).strip()
    # What any other user does: plain from_pretrained, no remote code, no quantization arguments. On
    # CPUs with AVX512-BF16 bitsandbytes then runs 4-bit layers in bf16 (see tinyllm.patches.portable_4bit),
    # so the logits agree to bf16 precision there, exactly elsewhere.
    plain = AutoModelForCausalLM.from_pretrained(str(out), use_safetensors=True)
    with torch.no_grad():
        plain_logits = plain(input_ids=ids).logits
    assert ((plain_logits - logits).abs().max() / logits.abs().max()).item() < 0.02
    assert plain.generate(ids, attention_mask=torch.ones_like(ids), **settings).shape == generated.shape


def test_nf4_runs_and_saves_layers_of_any_width(tokenizer_dir, tmp_path):
    """A width that is not a multiple of 32 (the 9m model's 120) runs, saves and reloads exactly:
    bitsandbytes' AVX512-BF16 repacking would fail on it (tinyllm.patches.portable_4bit)."""
    from transformers import LlamaForCausalLM

    from tinyllm.model import Size, llama_config, load_checkpoint
    from tinyllm.quant import bnb_config, quantize, save_quantized
    from tinyllm.tokenizer import load_tokenizer

    tok = load_tokenizer(tokenizer_dir)
    torch.manual_seed(0)
    model = LlamaForCausalLM(llama_config(Size(40, 1, 2, 2), len(tok), max_seq_len=64, pad_id=tok.pad_token_id))
    model.save_pretrained(str(tmp_path / "plain"))
    quantized = quantize(tmp_path / "plain", bnb_config("nf4"))
    ids = torch.tensor([[tok.bos_token_id, 7, 9, 11, 200]])
    with torch.no_grad():
        logits = quantized(input_ids=ids).logits
        error = ((logits - model(input_ids=ids).logits).abs().max() / logits.abs().max()).item()
    assert 1e-4 < error < 0.15
    save_quantized(quantized, tok, tmp_path / "nf4")
    with torch.no_grad():
        assert torch.equal(load_checkpoint(tmp_path / "nf4")[0](input_ids=ids).logits, logits)


def nf4_reference(weight, code, blocksize=64):
    """NF4 by hand: blocks of `blocksize` consecutive weights (row-major), each scaled by its absmax
    and rounded to the nearest of the 16 code values."""
    flat = weight.float().flatten()
    blocks = torch.cat([flat, flat.new_zeros(-len(flat) % blocksize)]).view(-1, blocksize)
    absmax = blocks.abs().amax(1, keepdim=True)
    nearest = ((blocks / absmax)[..., None] - code.float()).abs().argmin(-1)
    return (code.float()[nearest] * absmax).flatten()[:len(flat)].view(weight.shape)


@pytest.mark.parametrize("width", [96, 120, 256, 288])
def test_4bit_weights_dequantize_to_the_nf4_reference(width):
    """Every width reads back what NF4 stores, 288 (the 24m model's) and 96 included, where
    bitsandbytes' CPU kernel alone returns three times NF4's error (tinyllm.patches.correct_cpu_dequantize)."""
    import bitsandbytes.functional as F

    from tinyllm.patches import correct_cpu_dequantize

    correct_cpu_dequantize()
    torch.manual_seed(width)
    weight = torch.randn(64, width)
    packed, state = F.quantize_4bit(weight, blocksize=64, quant_type="nf4")
    read_back = F.dequantize_4bit(packed, state)
    assert torch.allclose(read_back, nf4_reference(weight, state.code), atol=1e-6)
    assert ((read_back - weight).norm() / weight.norm()).item() < 0.1  # NF4 on Gaussian weights: ~0.09


def test_report_numbers_are_measured(quant_run, pretrained, corpus_dir):
    import bitsandbytes as bnb

    from eval.report import load_results
    from tinyllm.model import load_checkpoint
    from tinyllm.quant import load_quantized

    out, report = quant_run
    runs = report["runs"]
    assert list(runs) == ["original", "int8", "nf4"]
    original, tok = load_checkpoint(pretrained)
    texts = short_texts(corpus_dir)
    fp32_bytes = {name: p.numel() * 4 for name, p in original.named_parameters()}  # tied embedding listed once
    buffers = sum(b.numel() * b.element_size() for b in original.buffers())
    assert runs["original"]["memory_bytes"] == sum(fp32_bytes.values()) + buffers
    for label, run in runs.items():
        directory = pretrained if label == "original" else out / label
        files = [p for p in directory.iterdir() if p.is_file()]
        assert run["disk_bytes"] == sum(p.stat().st_size for p in files)
        assert run["weights_bytes"] == (directory / "model.safetensors").stat().st_size
        model = original if label == "original" else load_quantized(directory)[0]
        # Perplexity recomputed here, token by token, on the same texts.
        assert run["metrics"]["ppl/ppl"] == pytest.approx(perplexity_by_hand(model, tok, texts), rel=1e-4)
        assert run["n"]["cloze/acc"] == 8
        generation = run["generation"]
        assert generation["new_tokens"] == 12 * 2 and generation["device"].startswith("cpu")
        assert run["metrics"]["speed/tokens_per_s"] == pytest.approx(generation["new_tokens"] / generation["seconds"],
                                                                     rel=1e-3)
        # The same results as eval.run writes, so eval.compare reads them.
        assert load_results(out / "eval" / label)["metrics"] == run["metrics"]
        if label == "original":
            continue
        # Memory: the original's fp32 bytes, with each quantized Linear's weight (out x in) replaced by
        # int8: one byte per weight + an fp32 scale per row; 4-bit: half a byte per weight + an fp32
        # absmax per block of 64 + its 16-entry fp32 code table.
        expected = sum(fp32_bytes.values()) + buffers
        for name, module in model.named_modules():
            if isinstance(module, (bnb.nn.Linear8bitLt, bnb.nn.Linear4bit)):
                rows, cols = module.out_features, module.in_features
                expected -= 4 * rows * cols
                expected += rows * cols + 4 * rows if label == "int8" else rows * cols // 2 + 4 * (rows * cols // 64) + 64
        assert run["memory_bytes"] == expected, label
        assert run["memory_bytes"] < runs["original"]["memory_bytes"]
        assert report["ppl_change"][label] == pytest.approx(run["metrics"]["ppl/ppl"] / runs["original"]["metrics"]["ppl/ppl"] - 1)
    table = (out / "report.md").read_text()
    assert "| metric | chance | original | int8 | nf4 |" in table and "| size/weights_mb |" in table


def test_lora_adapter_is_merged_before_quantizing(pretrained, tmp_path):
    from peft import LoraConfig, get_peft_model

    from stages.quantize import main
    from tinyllm.model import load_checkpoint
    from tinyllm.quant import plain_checkpoint

    base, tok = load_checkpoint(pretrained)
    torch.manual_seed(0)
    # init_lora_weights=False: random A and B, so the adapter changes the outputs.
    peft_model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "down_proj"], init_lora_weights=False))
    adapter = tmp_path / "adapter"
    peft_model.save_pretrained(str(adapter))
    tok.save_pretrained(str(adapter))
    ids = torch.tensor([[tok.bos_token_id, *tok.encode("One day, a boy", add_special_tokens=False)]])
    with torch.no_grad():
        adapter_logits = peft_model(input_ids=ids).logits
        plain_logits = load_checkpoint(pretrained)[0](input_ids=ids).logits
    assert (adapter_logits - plain_logits).abs().max() > 1e-2
    with plain_checkpoint(adapter) as (merged_dir, merged):
        assert merged and not (merged_dir / "adapter_config.json").exists()
        merged_model, _ = load_checkpoint(merged_dir)
        with torch.no_grad():
            torch.testing.assert_close(merged_model(input_ids=ids).logits, adapter_logits, atol=1e-5, rtol=1e-5)
    assert not merged_dir.exists()  # the temporary merge is removed
    out = tmp_path / "q"
    assert main([str(adapter), "--method", "int8", "--out", str(out), "suites=[ppl]", "limit=2", "gen_tokens=2",
                 "gen_runs=1"]) == 0
    assert json.loads((out / "report.json").read_text())["merged_lora"] is True
    quantized, _ = load_checkpoint(out / "int8")
    with torch.no_grad():
        error = (quantized(input_ids=ids).logits - adapter_logits).abs().max() / adapter_logits.abs().max()
    assert error < 0.03  # the adapter's model, int8 (the base alone is > 1e-2 away in absolute terms)


def one_line_error(capsys, argv) -> str:
    from stages.quantize import main

    with pytest.raises(SystemExit) as exit_info:
        run_cli(main, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err
    return err


def test_already_quantized_input_is_refused(quant_run, capsys, tmp_path):
    out, _ = quant_run
    err = one_line_error(capsys, [str(out / "int8"), "--method", "nf4", "--out", str(tmp_path / "x")])
    assert err == (f"error: {out / 'int8'}: already quantized (bitsandbytes int8); quantize the original "
                   f"full-precision checkpoint instead")
    assert "already quantized (bitsandbytes nf4)" in one_line_error(capsys, [str(out / "nf4"), "--out", str(tmp_path / "y")])
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_bad_method_and_settings_are_refused(pretrained, capsys, tmp_path):
    from stages.quantize import main

    with pytest.raises(SystemExit):
        main([str(pretrained), "--method", "int3"])
    assert "invalid choice: 'int3'" in capsys.readouterr().err
    recipe = tmp_path / "quant.yaml"
    recipe.write_text(f"model: {pretrained}\nout_dir: {tmp_path / 'out'}\nmethods: [int8, int3]\n")
    assert one_line_error(capsys, [str(recipe)]) == "error: recipe key 'methods': unknown method 'int3' " \
                                                    "(choose from int8, nf4, fp4)"
    assert "key 'lmit'" in one_line_error(capsys, [str(recipe), "methods=[nf4]", "lmit=3"])
    with pytest.raises(TinyLLMError, match="'lm_haed' matches no module"):
        main([str(pretrained), "--out", str(tmp_path / "a"), "keep_modules=[lm_haed]"])
    with pytest.raises(TinyLLMError, match="must keep lm_head: .* tied to the input embedding"):
        main([str(pretrained), "--out", str(tmp_path / "b"), "keep_modules=[]"])
    with pytest.raises(TinyLLMError, match="neither a recipe file nor a checkpoint directory"):
        main([str(tmp_path / "missing")])
    (tmp_path / "c" / "int8").mkdir(parents=True)
    with pytest.raises(TinyLLMError, match="int8: already exist; pass overwrite=true"):
        main([str(pretrained), "--out", str(tmp_path / "c")])
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists() and not (tmp_path / "c" / "nf4").exists()
