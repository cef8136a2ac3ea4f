"""Benchmark: our training stages and generation beside the plain baseline, in one process.

    python -m scripts.bench                          # GPU: every size at vocab 4096 and 64793; CPU: a tiny smoke run
    python -m scripts.bench --sizes 24m 134m --vocabs 64793 --parts pretrain --steps 20
    python -m scripts.bench --parts dpo generate --out runs/bench    # also writes bench.json and bench.md

Each row is measured in this process, on the same device, batch and sequence length as its
baseline, and the table gives the ratio to it:
- pretrain: the baseline is the plain loop, `transformers.LlamaForCausalLM` (the same config),
  torch AdamW (default, not fused), bf16 autocast on a GPU, eager. Ours is what
  `stages.pretrain` runs: the same Trainer, arguments and model set-up the stage builds from a
  recipe (torch.compile on a GPU with `compile: auto`, fused AdamW, chunked linear cross-entropy
  from `ce_chunk`, SDPA attention, pinned memory).
- sft: the baseline pads each batch to its longest conversation in a plain loop; ours is the SFT
  stage's Trainer with `batching=packed`, one row with full logits and one adding the chunked loss
  (the last `--ce-chunks` value), so packing and the chunked loss each show alone. Tokens/s counts
  real (non-padding) tokens.
- dpo: TRL's DPOTrainer with its default DPOConfig against the DPO stage's configuration, with a
  frozen reference and with precomputed reference log-probs; pairs/s over the timed steps. TRL runs
  the precompute inside the DPOTrainer constructor: it is timed there on its own and reported in
  the row that counts it in (one pass over exactly the pairs trained on); the row before it is
  training steps only. TRL's default turns gradient checkpointing on and ours leaves it off: the
  baseline turns it off too, and TRL's defaults as shipped get a row of their own.

Gradient checkpointing is off on both sides of every ratio.
- decode: batch-1 greedy decoding as the server runs it (`tinyllm.decode`: a static KV cache, the
  step compiled by torch.compile) against `generate()`, and against llama2.c's `run` when
  `--run-c PATH` gives a compiled binary (the model exported with scripts.export_llama2c).
- generate: greedy decoding of `--gen-tokens` tokens at batch 1 and `--gen-batch` through
  `tinyllm.generate.generate`, with the dynamic KV cache (the baseline) and with `cache=auto`
  (ours: a static KV cache, compiled, on a GPU).

MFU counts 6·N (all parameters, the tied embedding once) + 12·layers·dim·seq FLOPs per trained
token over the device's bf16 dense peak, looked up by its exact name in `tinyllm.hardware.PEAK_BF16`
(`--peak-tflops` to set it; n/a, with the device name, on a CPU or a GPU not in the table). Timing skips
`--warmup` steps (compilation happens there) and averages the next `--steps`. Peak memory is
torch.cuda's peak allocation per row (n/a on a CPU). The numbers of record are in docs/PERFORMANCE.md.
"""

import argparse
import dataclasses
import gc
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from data_prep.preference import build_preferences
from data_prep.sft import build_sft
from data_prep.synthetic import write_corpus
from data_prep.train_tokenizer import train_tokenizer
from stages.dpo import DPORecipe, dpo_arguments
from stages.pretrain import PretrainRecipe, make_model
from stages.sft import SFTRecipe, build_datasets
from tinyllm import patches
from tinyllm.atomic import write_json, write_text
from tinyllm.decode import time_decode
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.generate import SamplingOptions, cache_arguments, generate
from tinyllm.llama2c import export_llama2c
from tinyllm.model import build_model, flops_per_token, load_checkpoint
from tinyllm.preference import load_preferences
from tinyllm.sft_data import SFTDataset, load_sft
from tinyllm.tokenizer import load_tokenizer

PARTS = ("pretrain", "sft", "dpo", "generate", "decode")


@dataclass
class BenchOptions:
    """What to time (defaults: the CPU smoke run; `parse_args` gives a GPU the full sweep)."""
    parts: list[str] = field(default_factory=lambda: list(PARTS))
    sizes: list[str] = field(default_factory=lambda: ["tiny"])
    vocabs: list[int] = field(default_factory=lambda: [512])
    batch: int = 4                     # micro-batch (sequences, or DPO pairs)
    seq_len: int = 64
    steps: int = 3                     # timed steps after the warm-up
    warmup: int = 1                    # untimed steps first (compilation)
    ce_chunks: list[int] = field(default_factory=lambda: [0, 64])  # ce_chunk of our pretraining rows (0: full logits)
    compile: "str | bool" = "auto"     # our rows' recipe key compile
    model_size: str = "tiny"           # size for the SFT, DPO and generation parts
    tok_vocab: int = 512               # vocabulary of the tokenizer trained for SFT, DPO and generation
    gen_tokens: int = 16
    gen_batch: int = 4
    gen_runs: int = 1
    decode_size: str | None = None     # size for the decode part (default: model_size)
    decode_tokens: int = 128
    run_c: str | None = None           # a compiled llama2.c `run` binary for the decode part
    peak_tflops: float | None = None   # device bf16 dense peak for MFU
    out: str | None = None             # directory for bench.json and bench.md


@dataclass
class Row:
    part: str
    config: str          # e.g. "24m / vocab 64793 / batch 64 x 512"
    variant: str         # "baseline" or what ours adds
    rate: float          # tokens/s (pairs/s for dpo)
    unit: str
    mfu: float | None = None
    peak_mem_gb: float | None = None
    ratio: float | None = None
    notes: dict = field(default_factory=dict)


def cuda_sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def reset_memory():
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_memory_gb():
    import torch

    return torch.cuda.max_memory_allocated() / 1e9 if torch.cuda.is_available() else None


def mean_step_seconds(stamps: list[float], warmup: int) -> float:
    """Mean seconds per step from the wall-clock times at which steps ended, skipping warm-up steps."""
    timed = stamps[warmup:]
    if len(timed) < 2:
        raise ValueError(f"need at least warmup + 2 steps, got {len(stamps)} step times")
    return (timed[-1] - timed[0]) / (len(timed) - 1)


def step_clock():
    """A TrainerCallback that records when each optimizer step ends (after the device finishes it)."""
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def __init__(self):
            self.stamps, self.tokens = [], []

        def on_step_end(self, args, state, control, **kwargs):
            cuda_sync()
            self.stamps.append(time.perf_counter())
            self.tokens.append(state.num_input_tokens_seen)  # counted when include_num_input_tokens_seen

    return StepClock()


def quiet(trainer):
    """Without the Trainer's printed log dicts, which would bury the table."""
    from transformers import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    return trainer


class RandomWindows:
    """Pretraining windows of random token ids (the speed of a step does not depend on the text)."""

    def __init__(self, vocab: int, seq_len: int, n: int, seed: int = 0):
        import torch

        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, vocab, (n, seq_len), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


# ----------------------------------------------------------------------------- pretraining

def bench_pretrain(size: str, vocab: int, batch: int, seq_len: int, opts: BenchOptions, tmp: Path) -> list[Row]:
    import torch

    from tinyllm.checkpoints import AtomicTrainer
    from tinyllm.hardware import compile_enabled, device_peak_flops, resolve_dtype
    from tinyllm.train_args import training_arguments

    steps = opts.warmup + opts.steps
    data = RandomWindows(vocab, seq_len, batch * steps)
    peak, _ = device_peak_flops(opts.peak_tflops)
    flops = flops_per_token(size, vocab, seq_len)
    on_gpu = torch.cuda.is_available()
    device = "cuda" if on_gpu else "cpu"
    config = f"{size} / vocab {vocab} / batch {batch} x {seq_len}"
    tokens_per_step = batch * seq_len

    def row(variant, seconds, **notes):
        rate = tokens_per_step / seconds
        return Row("pretrain", config, variant, rate, "tok/s", rate * flops / peak if peak else None,
                   peak_memory_gb(), notes=notes)

    # The plain baseline: what a first PyTorch training loop for a HF Llama looks like.
    reset_memory()
    model = build_model(size, vocab, seq_len).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    stamps = []
    for step in range(steps):
        ids = data.ids[step * batch:(step + 1) * batch].to(device)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=on_gpu):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        cuda_sync()
        stamps.append(time.perf_counter())
    rows = [row("baseline: HF Llama, AdamW, eager" + (", bf16 autocast" if on_gpu else ""),
                mean_step_seconds(stamps, opts.warmup))]
    del model, optimizer
    # Ours: the stage's own model set-up and Trainer from a recipe with these settings.
    for chunk in opts.ce_chunks:
        reset_memory()
        cfg = PretrainRecipe(out_dir=str(tmp / "pretrain"), data_dir="", size=size, seq_len=seq_len, batch_size=batch,
                             max_steps=steps, warmup_steps=0, eval_every=0, log_every=10 ** 6, ce_chunk=chunk,
                             compile=opts.compile)
        cfg.check()
        model = make_model(cfg, vocab)
        args = training_arguments(cfg, resolve_dtype(cfg.dtype), save_strategy="no", report_to=[])
        clock = step_clock()
        trainer = quiet(AtomicTrainer(model=model, args=args, train_dataset=data, callbacks=[clock]))
        trainer.train()
        what = ["compile" if compile_enabled(cfg) else "eager", args.optim.value.replace("adamw_torch", "AdamW"),
                f"ce_chunk {chunk}" if chunk else "full logits"]
        rows.append(row("ours: stage Trainer, " + ", ".join(what), mean_step_seconds(clock.stamps, opts.warmup),
                        final_loss=trainer.state.log_history[-1].get("train_loss")))
        del model, trainer
    for r in rows[1:]:
        r.ratio = r.rate / rows[0].rate
    return rows


# ----------------------------------------------------------------------------- fixtures for SFT / DPO / generation

def make_checkpoint(size: str, tmp: Path, vocab: int):
    """A synthetic corpus, a tokenizer trained on it and a freshly initialised model saved as a
    checkpoint: what SFT, DPO and generation start from (their speed does not depend on training)."""

    corpus = tmp / "corpus"
    if not corpus.exists():
        write_corpus(corpus, seed=0, train_stories=1500, val_stories=10, test_stories=10, progress=False)
        train_tokenizer([str(corpus / "stories_train.jsonl")], tmp / "tok",
                        vocab_size=vocab)
    tok = load_tokenizer(tmp / "tok")
    checkpoint = tmp / f"model_{size}"
    if not checkpoint.exists():
        model = build_model(size, len(tok), 1024, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id,
                            pad_id=tok.pad_token_id)
        model.save_pretrained(checkpoint)
        tok.save_pretrained(checkpoint)
    return checkpoint, corpus


# ----------------------------------------------------------------------------- SFT

def bench_sft(size: str, batch: int, opts: BenchOptions, tmp: Path, vocab: int) -> list[Row]:
    import torch

    from tinyllm.checkpoints import AtomicTrainer
    from tinyllm.hardware import resolve_dtype
    from tinyllm.loss import use_chunked_loss
    from tinyllm.train_args import training_arguments

    checkpoint, corpus = make_checkpoint(size, tmp, vocab)
    data_file = tmp / "sft.pkl"
    if not data_file.exists():
        build_sft([str(corpus / "dialogues_train.jsonl")], data_file, checkpoint, max_len=opts.seq_len,
                  policy="truncate")
    model, tok = load_checkpoint(checkpoint, train=True)
    samples = load_sft(data_file, tok)["samples"]
    steps = opts.warmup + opts.steps
    device = "cuda" if torch.cuda.is_available() else "cpu"
    config = f"{size} / vocab {len(tok)} / batch {batch}, rows <= {opts.seq_len}"
    real = sum(len(s["input_ids"]) for s in samples) / len(samples)  # real tokens per conversation

    # Baseline: padded batches of conversations, plain loop.
    reset_memory()
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.0)
    padded = SFTDataset(samples)
    collate = build_datasets(SFTRecipe(out_dir="", model="", train_data="", batching="padded"), tok, samples, None)[2]
    stamps, seen, width = [], [], []
    for step in range(steps):
        rows = [padded[(step * batch + i) % len(padded)] for i in range(batch)]
        inputs = {k: v.to(device) for k, v in collate(rows).items()}
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        cuda_sync()
        stamps.append(time.perf_counter())
        seen.append(int(inputs["attention_mask"].sum()))
        width.append(inputs["input_ids"].numel())
    base_rate = sum(seen[opts.warmup + 1:]) / (stamps[-1] - stamps[opts.warmup])
    rows = [Row("sft", config, f"baseline: padded batches of {batch}, AdamW, eager", base_rate, "real tok/s", None,
                peak_memory_gb(), notes={"padding_share": 1 - sum(seen) / sum(width)})]
    del model, optimizer

    # Ours, packing alone and then packing with the chunked loss: two rows, so each gain shows by itself.
    for chunk in dict.fromkeys((0, opts.ce_chunks[-1])):
        reset_memory()
        model, tok = load_checkpoint(checkpoint, train=True)
        cfg = SFTRecipe(out_dir=str(tmp / "sft"), model=str(checkpoint), train_data=str(data_file), batching="packed",
                        pack_len=opts.seq_len, batch_size=max(1, round(batch * real / opts.seq_len)), max_steps=steps,
                        warmup_steps=0, eval_every=0, log_every=10 ** 6, ce_chunk=chunk, compile=opts.compile)
        train_ds, _, collator = build_datasets(cfg, tok, samples, None)
        use_chunked_loss(model, cfg.ce_chunk)
        args = training_arguments(cfg, resolve_dtype(cfg.dtype), save_strategy="no", report_to=[],
                                  include_num_input_tokens_seen="non_padding")
        clock = step_clock()
        trainer = quiet(AtomicTrainer(model=model, args=args, train_dataset=train_ds, data_collator=collator,
                                      processing_class=tok, callbacks=[clock]))
        trainer.train()
        rate = (clock.tokens[-1] - clock.tokens[opts.warmup]) / (clock.stamps[-1] - clock.stamps[opts.warmup])
        rows.append(Row("sft", config, f"ours: stage Trainer, packed rows of {opts.seq_len} x {cfg.batch_size}, "
                        + (f"ce_chunk {chunk}" if chunk else "full logits"), rate, "real tok/s", None,
                        peak_memory_gb(), rate / base_rate))
        del model, trainer
    return rows


# ----------------------------------------------------------------------------- DPO

def bench_dpo(size: str, batch: int, opts: BenchOptions, tmp: Path, vocab: int) -> list[Row]:
    import torch
    from trl import DPOConfig

    from tinyllm.hardware import resolve_dtype

    checkpoint, corpus = make_checkpoint(size, tmp, vocab)
    pairs = tmp / "pref"
    if not pairs.exists():
        build_preferences([str(corpus / "preferences_train.jsonl")], pairs, heldout_fraction=0.05)
    steps = opts.warmup + opts.steps
    # Exactly the pairs the timed run sees, so precomputing the reference covers no more than that.
    train_ds = load_preferences(pairs)["train"].select(range(batch * steps))
    config = f"{size} / vocab {vocab} / batch {batch} pairs"
    on_gpu = torch.cuda.is_available()
    TimedDPOTrainer = timed_dpo_trainer()

    def timed(variant, args, ref):
        reset_memory()
        model = load_checkpoint(checkpoint, train=True)[0]
        clock = step_clock()
        start = time.perf_counter()
        # TRL precomputes reference log-probs inside the constructor: timed there, apart from the steps.
        trainer = quiet(TimedDPOTrainer(model=model, ref_model=ref, args=args, train_dataset=train_ds,
                                        processing_class=load_checkpoint(checkpoint)[1], callbacks=[clock]))
        init = time.perf_counter() - start
        if args.precompute_ref_log_probs and not trainer.precompute_calls:
            raise TinyLLMError("TRL's DPOTrainer no longer calls _precompute_ref_logps: the precompute cannot be timed")
        trainer.train()
        step = mean_step_seconds(clock.stamps, opts.warmup)
        return Row("dpo", config, variant, batch / step, "pairs/s", None, peak_memory_gb(),
                   notes={"trainer_init_seconds": init, "precompute_seconds": trainer.precompute_seconds,
                          "gradient_checkpointing": bool(trainer.model.is_gradient_checkpointing)})

    # TRL's defaults: only what a run needs to exist (and CPU where there is no GPU). Gradient checkpointing
    # (TRL's default on, ours off) is set as ours for the baseline; TRL's own setting gets a row of its own.
    def default(checkpointing):
        return DPOConfig(output_dir=str(tmp / "dpo_default"), per_device_train_batch_size=batch, max_steps=steps,
                         report_to=[], save_strategy="no", use_cpu=not on_gpu, bf16=on_gpu, logging_steps=10 ** 6,
                         disable_tqdm=True, activation_checkpointing=checkpointing)

    rows = [timed("baseline: TRL DPOConfig defaults but gradient checkpointing off (as ours), frozen reference",
                  default(False), load_checkpoint(checkpoint)[0]),
            timed("reference: TRL DPOConfig defaults as shipped (gradient checkpointing on), frozen reference",
                  default(True), load_checkpoint(checkpoint)[0])]
    for precompute in (False, True):
        cfg = DPORecipe(out_dir=str(tmp / f"dpo_{precompute}"), model=str(checkpoint), data=str(pairs),
                        batch_size=batch, max_steps=steps, warmup_steps=0, eval_every=0, log_every=10 ** 6,
                        precompute_ref=precompute, compile=opts.compile)
        # precompute_ref_batch_size: the held-out evaluation batch otherwise
        args = dpo_arguments(cfg, resolve_dtype(cfg.dtype), save_strategy="no", report_to=[],
                             precompute_ref_batch_size=batch)
        ref = None if precompute else load_checkpoint(checkpoint)[0]
        rows.append(timed("ours: DPO stage config, " + ("precomputed reference, training steps only"
                                                        if precompute else "frozen reference"), args, ref))
    # The precompute is one reference pass over exactly the pairs trained on: counted in, per pair.
    ours = rows[-1]
    per_pair = 1 / ours.rate + ours.notes["precompute_seconds"] / len(train_ds)
    rows.append(Row("dpo", config, f"ours: DPO stage config, precomputed reference, precompute included "
                    f"({1000 * ours.notes['precompute_seconds'] / len(train_ds):.1f} ms a pair, one epoch)",
                    1 / per_pair, "pairs/s", None, ours.peak_mem_gb, notes=dict(ours.notes)))
    for r in rows[1:]:
        r.ratio = r.rate / rows[0].rate
    return rows


def timed_dpo_trainer():
    """DPOTrainer that times its reference log-prob precompute (run from its constructor in TRL 1.16)."""
    from trl import DPOTrainer

    class TimedDPOTrainer(DPOTrainer):
        precompute_seconds, precompute_calls = 0.0, 0

        def _precompute_ref_logps(self, *args, **kwargs):
            start = time.perf_counter()
            out = super()._precompute_ref_logps(*args, **kwargs)
            self.precompute_seconds += time.perf_counter() - start
            self.precompute_calls += 1
            return out

    return TimedDPOTrainer


# ----------------------------------------------------------------------------- generation

def bench_generate(size: str, opts: BenchOptions, tmp: Path, vocab: int) -> list[Row]:
    import torch

    checkpoint, _ = make_checkpoint(size, tmp, vocab)
    model, tok = load_checkpoint(checkpoint)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device, dtype=torch.bfloat16 if device == "cuda" else torch.float32)
    rows = []
    for batch in (1, opts.gen_batch):
        ids = torch.randint(3, len(tok), (batch, 16)).tolist()
        config = f"{size} / vocab {len(tok)} / batch {batch}, 16 + {opts.gen_tokens} tokens"
        fast = cache_arguments(model, "auto")
        ours = "ours: " + (", ".join(f"{k}={v}" for k, v in fast.items()) or "cache=auto adds nothing on a CPU")
        for variant, cache in (("baseline: generate(), dynamic cache", "dynamic"), (ours, "auto")):
            # Exactly gen_tokens new tokens: stop tokens are suppressed until then.
            sampling = SamplingOptions(max_new_tokens=opts.gen_tokens, min_new_tokens=opts.gen_tokens, cache=cache)
            reset_memory()
            times = []
            for _ in range(1 + opts.gen_runs):  # the first run warms up (and compiles)
                start = time.perf_counter()
                generate(model, tok, ids, sampling, batch_size=batch)
                cuda_sync()
                times.append(time.perf_counter() - start)
            rate = batch * opts.gen_tokens / (sum(times[1:]) / opts.gen_runs)
            rows.append(Row("generate", config, variant, rate, "new tok/s", None, peak_memory_gb()))
        rows[-1].ratio = rows[-1].rate / rows[-2].rate
    return rows


# ----------------------------------------------------------------------------- batch-1 decode (the server's loop)

def bench_decode(size: str, opts, tmp: Path, vocab: int) -> list[Row]:
    import torch

    checkpoint, _ = make_checkpoint(size, tmp, vocab)
    model, tok = load_checkpoint(checkpoint)
    model.eval()
    config = f"{size} / vocab {len(tok)} / batch 1, 1 + {opts.decode_tokens} tokens, {torch.get_num_threads()} threads"
    ours, base = time_decode(model, [tok.bos_token_id], opts.decode_tokens, runs=opts.gen_runs)
    rows = [Row("decode", config, "baseline: generate(), dynamic cache", base, "new tok/s"),
            Row("decode", config, "ours: tinyllm.decode static cache, compiled step", ours, "new tok/s",
                ratio=ours / base)]
    if opts.run_c:
        rows.append(run_c_row(checkpoint, opts, tmp, config, base))
        rows[1].notes["vs_run_c"] = ours / rows[2].rate  # the target: >= 0.5
    return rows


def run_c_row(checkpoint: Path, opts, tmp: Path, config: str, base: float) -> Row:
    """llama2.c's `run` on the same model (exported by scripts.export_llama2c), greedy, from its own
    report line "achieved tok/s: N" (it times from the first generated token, as we do)."""
    import re
    import subprocess

    model_bin, tok_bin = tmp / "run_c_model.bin", tmp / "run_c_tokenizer.bin"
    export_llama2c(str(checkpoint), str(model_bin), 0, str(tok_bin), 64)
    rates = []
    for _ in range(1 + opts.gen_runs):
        done = subprocess.run([opts.run_c, str(model_bin), "-z", str(tok_bin), "-t", "0", "-n",
                               str(opts.decode_tokens + 1), "-i", ""], capture_output=True, text=True, timeout=600)
        found = re.search(r"achieved tok/s: ([0-9.]+)", done.stderr + done.stdout)
        if done.returncode or not found:
            raise TinyLLMError(f"{opts.run_c}: exited {done.returncode} without 'achieved tok/s' "
                               f"({(done.stderr or done.stdout).strip()[-200:]})")
        rates.append(float(found.group(1)))
    rate = sum(rates[1:]) / opts.gen_runs
    return Row("decode", config, "llama2.c run.c (reference, not ours)", rate, "new tok/s", ratio=rate / base)


# ----------------------------------------------------------------------------- report

def markdown(rows: list[Row], device: str, peak_source: str) -> str:
    lines = [f"device: {device} | MFU peak: {peak_source}", "",
             "| part | config | variant | rate | MFU | peak mem | vs baseline |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        mfu = f"{100 * r.mfu:.1f}%" if r.mfu is not None else "n/a"
        mem = f"{r.peak_mem_gb:.2f} GB" if r.peak_mem_gb is not None else "n/a"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "1.00x"
        rate = f"{r.rate:,.0f}" if r.rate >= 100 else f"{r.rate:.2f}"
        lines.append(f"| {r.part} | {r.config} | {r.variant} | {rate} {r.unit} | {mfu} | {mem} | {ratio} |")
    return "\n".join(lines)


def parse_args(argv=None) -> BenchOptions:
    import torch

    on_gpu = torch.cuda.is_available()
    p = argparse.ArgumentParser(description="Time our stages against the plain baseline, in one process.",
                                epilog="Defaults depend on the device: every size on a GPU, a tiny smoke run on a CPU.")
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    p.add_argument("--sizes", nargs="+", default=["9m", "24m", "58m", "134m", "256m"] if on_gpu else ["tiny"])
    p.add_argument("--vocabs", nargs="+", type=int, default=[4096, 64793] if on_gpu else [512])
    p.add_argument("--batch", type=int, default=64 if on_gpu else 4, help="micro-batch (sequences, or DPO pairs)")
    p.add_argument("--seq-len", type=int, default=512 if on_gpu else 64)
    p.add_argument("--steps", type=int, default=20 if on_gpu else 3, help="timed steps after the warm-up")
    p.add_argument("--warmup", type=int, default=5 if on_gpu else 1, help="untimed steps first (compilation)")
    p.add_argument("--ce-chunks", nargs="+", type=int, default=[0, 4096] if on_gpu else [0, 64],
                   help="ce_chunk values for our pretraining rows (0: full logits)")
    p.add_argument("--compile", default="auto", choices=["auto", "true", "false"],
                   help="our rows' recipe key compile (auto: on a GPU)")
    p.add_argument("--model-size", default="24m" if on_gpu else "tiny", help="size for the SFT, DPO and generation parts")
    p.add_argument("--tok-vocab", type=int, default=4096 if on_gpu else 512,
                   help="vocabulary of the tokenizer trained for SFT, DPO and generation")
    p.add_argument("--gen-tokens", type=int, default=128 if on_gpu else 16)
    p.add_argument("--gen-batch", type=int, default=64 if on_gpu else 4)
    p.add_argument("--gen-runs", type=int, default=3 if on_gpu else 1)
    p.add_argument("--decode-size", default=None, help="size for the decode part (default: --model-size)")
    p.add_argument("--decode-tokens", type=int, default=256 if on_gpu else 128)
    p.add_argument("--run-c", default=None, help="a compiled llama2.c `run` binary for the decode part")
    p.add_argument("--peak-tflops", type=float, default=None, help="device bf16 dense peak for MFU")
    p.add_argument("--out", default=None, help="directory for bench.json and bench.md")
    args = p.parse_args(argv)
    args.compile = {"auto": "auto", "true": True, "false": False}[args.compile]
    return BenchOptions(**vars(args))


def run(opts: BenchOptions) -> int:
    """Every part of `opts` timed; the table printed (and written to opts.out)."""
    patches.apply()
    import torch

    from tinyllm.hardware import device_peak_flops

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    _, peak_source = device_peak_flops(opts.peak_tflops)
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinyllm-bench-") as tmp:
        tmp = Path(tmp)
        if "pretrain" in opts.parts:
            for size in opts.sizes:
                for vocab in opts.vocabs:
                    rows += bench_pretrain(size, vocab, opts.batch, opts.seq_len, opts, tmp)
                    print(markdown(rows[-1 - len(opts.ce_chunks):], device, peak_source).split("\n", 2)[2], flush=True)
        if "sft" in opts.parts:
            rows += bench_sft(opts.model_size, opts.batch, opts, tmp, opts.tok_vocab)
        if "dpo" in opts.parts:
            rows += bench_dpo(opts.model_size, max(1, opts.batch // 2), opts, tmp, opts.tok_vocab)
        if "generate" in opts.parts:
            rows += bench_generate(opts.model_size, opts, tmp, opts.tok_vocab)
        if "decode" in opts.parts:
            rows += bench_decode(opts.decode_size or opts.model_size, opts, tmp, opts.tok_vocab)
    table = markdown(rows, device, peak_source)
    print("\n" + table)
    if opts.out:
        out = Path(opts.out)
        out.mkdir(parents=True, exist_ok=True)
        settings = {k: v for k, v in dataclasses.asdict(opts).items() if k != "out"}
        write_json(out / "bench.json", {"device": device, "peak": peak_source, "settings": settings,
                                        "rows": [dataclasses.asdict(r) for r in rows]})
        write_text(out / "bench.md", table + "\n")
        print(f"\nwritten: {out / 'bench.json'}, {out / 'bench.md'}")
    return 0


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    run_cli(main)
