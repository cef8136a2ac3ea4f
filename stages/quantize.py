"""Quantize a checkpoint with bitsandbytes (int8, nf4, fp4) and measure what it costs, side by side.

    python -m stages.quantize recipes/quant_24m.yaml [key=value ...]
    bash recipes/quant_24m.sh                     # the same through the launcher
    python -m stages.quantize runs/dpo_24m/final --method int8 --method nf4 [--double-quant] [--out DIR]

For each method the checkpoint is loaded through transformers' `BitsAndBytesConfig` (every Linear
layer but the kept ones, `keep_modules`, becomes int8 or 4-bit; embeddings and norms stay as they
are) and saved to OUT_DIR/METHOD: safetensors plus config.json, which `from_pretrained` loads with no
remote code. A LoRA adapter directory is merged into its base first; an already-quantized checkpoint
is refused. Then the original and every reloaded quantized checkpoint are measured the same way:
size on disk, memory held, eval.run's suites (held-out perplexity, the continuation benchmarks) and
tokens/s of greedy generation on the current device. Written: OUT_DIR/eval/LABEL/results.json (the
eval.run format: `python -m eval.compare OUT_DIR/eval/original OUT_DIR/eval/nf4` works),
OUT_DIR/report.json and OUT_DIR/report.md (the table, printed at the end).
"""

import argparse
import dataclasses
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from eval.options import SAMPLED, EvalOptions
from eval.report import compare_table
from eval.run import evaluate_model, write_results
from tinyllm.atomic import write_json, write_text
from tinyllm import patches
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.ownership import check_replaceable
from tinyllm.model import load_checkpoint
from tinyllm.quant import (METHODS, bnb_config, check_keep_modules, check_not_quantized, device_name, disk_bytes,
                           load_quantized, memory_bytes, plain_checkpoint, quantize, resolve_device, save_quantized,
                           tokens_per_second)
from tinyllm.recipe import load_recipe

ORIGINAL = "original"


@dataclass(kw_only=True)
class QuantRecipe:
    model: str                         # checkpoint to quantize: a plain HF directory or a LoRA adapter directory
    out_dir: str                       # OUT_DIR/METHOD checkpoints, OUT_DIR/eval, report.json, report.md
    methods: list[str] = field(default_factory=lambda: ["int8", "nf4"])   # int8, nf4, fp4
    double_quant: bool = False         # 4-bit: quantize the per-block scales too (~0.4 bit/weight less)
    keep_modules: list[str] = field(default_factory=lambda: ["lm_head"])  # left in full precision (names or regexes)
    int8_threshold: float = 6.0        # LLM.int8() outlier threshold: activation columns above it run in fp16
    compute_dtype: str = "auto"        # 4-bit matmul dtype: auto (bf16 on a GPU that has it, else fp32), fp32, bf16, fp16
    device: str = "auto"               # where models are measured: auto, cpu, cuda[:N]
    suites: list[str] = field(default_factory=lambda: ["ppl", "cloze", "qa", "arithmetic", "samples"])  # eval.run's
    ppl_data: str = "synthetic:test:200:1000"  # held-out perplexity data (eval.run --ppl-data)
    dialogues: str | None = None       # messages JSONL for the dialogue suite
    limit: int | None = None           # first N items of each benchmark / documents (eval.run --limit)
    batch_size: int = 32
    max_new_tokens: int = 64           # per sample in the samples suite
    gen_tokens: int = 128              # tokens/s: greedy tokens per timed generation
    gen_runs: int = 3                  # tokens/s: timed generations (after a warm-up)
    overwrite: bool = False            # replace OUT_DIR/METHOD checkpoints that exist

    def check(self) -> None:
        if not self.methods:
            raise TinyLLMError("recipe key 'methods' must name at least one of " + ", ".join(METHODS))
        for method in self.methods:
            if method not in METHODS:
                raise TinyLLMError(f"recipe key 'methods': unknown method '{method}' (choose from {', '.join(METHODS)})")
        if len(set(self.methods)) != len(self.methods):
            raise TinyLLMError(f"recipe key 'methods' names a method twice: {self.methods}")
        for key in ("batch_size", "gen_tokens", "gen_runs", "max_new_tokens"):
            if getattr(self, key) < 1:
                raise TinyLLMError(f"recipe key '{key}' must be >= 1, got {getattr(self, key)}")
        if self.limit is not None and self.limit < 1:
            raise TinyLLMError(f"recipe key 'limit' must be >= 1 (or null for all), got {self.limit}")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m stages.quantize", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1] + "\nRecipe keys (in the YAML or as key=value, with a recipe or a "
               "checkpoint): " + ", ".join(f.name for f in dataclasses.fields(QuantRecipe)),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="RECIPE.yaml (e.g. recipes/quant_24m.yaml), or a CHECKPOINT directory")
    parser.add_argument("overrides", nargs="*", help="key=value overrides of recipe keys")
    parser.add_argument("--method", action="append", choices=METHODS,
                        help="int8 (LLM.int8()), nf4 or fp4 (4-bit); repeatable (default: the recipe's, else int8 and nf4)")
    parser.add_argument("--double-quant", action="store_true", help="4-bit: quantize the block scales too")
    parser.add_argument("--out", help="output directory (default for a CHECKPOINT: quant-NAME beside it)")
    return parser


def parse(argv) -> QuantRecipe:
    args = build_parser().parse_intermixed_args(argv)
    source = Path(args.source)
    overrides = list(args.overrides)
    if args.method:
        overrides.append(f"methods=[{', '.join(args.method)}]")
    if args.double_quant:
        overrides.append("double_quant=true")
    if args.out:
        overrides.append(f"out_dir={args.out}")
    if source.is_dir():
        defaults = [f"model={source}"] + ([] if args.out else [f"out_dir={source.parent / f'quant-{source.name}'}"])
        cfg = load_recipe(None, defaults + overrides, QuantRecipe)
    elif source.is_file() or source.suffix in (".yaml", ".yml"):
        cfg = load_recipe(source, overrides, QuantRecipe)
    else:
        raise TinyLLMError(f"{source}: neither a recipe file nor a checkpoint directory")
    cfg.check()
    return cfg


def eval_options(cfg: QuantRecipe) -> EvalOptions:
    """eval.run's options for the recipe's suites, defaults for the rest."""
    if "dialogue" in cfg.suites and not cfg.dialogues:
        raise TinyLLMError("recipe key 'suites': the dialogue suite needs 'dialogues' (a messages JSONL file)")
    sampling = dataclasses.replace(SAMPLED, max_new_tokens=cfg.max_new_tokens)
    return EvalOptions(suites=cfg.suites, ppl_data=cfg.ppl_data, batch_size=cfg.batch_size, limit=cfg.limit,
                       dialogues=cfg.dialogues, sampling=sampling).check()


def measure(label, model, tok, checkpoint, cfg, opts: EvalOptions) -> dict:
    """eval.run's results for one model, with size, memory and speed rows first."""
    sizes = disk_bytes(checkpoint)
    memory = memory_bytes(model)
    speed = tokens_per_second(model, tok, cfg.gen_tokens, cfg.gen_runs)
    results = evaluate_model(model, tok, checkpoint, opts, label)
    results["metrics"] = {"size/disk_mb": sizes["disk_bytes"] / 1e6, "size/weights_mb": sizes["weights_bytes"] / 1e6,
                          "size/memory_mb": memory / 1e6, "speed/tokens_per_s": speed["tokens_per_s"],
                          **results["metrics"]}
    results["quant"] = {**sizes, "memory_bytes": memory, "generation": speed}
    return results


def change_lines(report: dict) -> list[str]:
    """Per method: perplexity change, weights and memory against the original."""
    base = report["runs"][ORIGINAL]["metrics"]
    lines = []
    for label, change in report["ppl_change"].items():
        m = report["runs"][label]["metrics"]
        lines.append(f"- {label}: perplexity {base['ppl/ppl']:.3f} -> {m['ppl/ppl']:.3f} ({100 * change:+.2f} %), "
                     f"weights {base['size/weights_mb']:.3f} -> {m['size/weights_mb']:.3f} MB "
                     f"({m['size/weights_mb'] / base['size/weights_mb']:.2f}x), memory {base['size/memory_mb']:.3f} -> "
                     f"{m['size/memory_mb']:.3f} MB, {m['speed/tokens_per_s']:.1f} tokens/s "
                     f"(original {base['speed/tokens_per_s']:.1f})")
    return lines


def report_markdown(report: dict, table: str) -> str:
    s = report["settings"]
    lines = [f"# Quantization of `{report['model']}`", "",
             f"{report['date']}, measured on {report['device']}; eval limit {s['limit'] or 'none'}, perplexity on "
             f"{s['ppl_data']}; kept in full precision: {', '.join(s['keep_modules']) or 'nothing'} (embeddings and "
             f"norms always)", "", table, "", *change_lines(report)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    cfg = parse(sys.argv[1:] if argv is None else argv)

    patches.apply(bitsandbytes=True)
    check_not_quantized(cfg.model)
    out_dir = Path(cfg.out_dir)
    existing = [str(out_dir / m) for m in cfg.methods if (out_dir / m).exists()]
    if existing and not cfg.overwrite:
        raise TinyLLMError(f"{', '.join(existing)}: already exist; pass overwrite=true to replace them")
    for method in cfg.methods:  # before any work: only tinyllm's own outputs, never the input model
        check_replaceable(out_dir / method, {"model": cfg.model})
    opts = eval_options(cfg)
    device = resolve_device(cfg.device)
    configs = {m: bnb_config(m, cfg.double_quant, cfg.keep_modules, cfg.int8_threshold, cfg.compute_dtype)
               for m in cfg.methods}

    runs = {}
    with plain_checkpoint(cfg.model) as (source, merged):
        check_keep_modules(source, cfg.keep_modules)
        model, tok = load_checkpoint(source)
        model.to(device)
        print(f"quantize {cfg.model}{' (LoRA adapter merged)' if merged else ''}: "
              f"{model.num_parameters() / 1e6:.2f}M parameters -> {', '.join(cfg.methods)} on {device_name(device)}")
        runs[ORIGINAL] = measure(ORIGINAL, model, tok, source, cfg, opts)
        runs[ORIGINAL]["checkpoint"] = str(cfg.model)
        del model
        for method in cfg.methods:
            quantized = quantize(source, configs[method], device)
            save_quantized(quantized, tok, out_dir / method, cfg.overwrite, {"model": cfg.model})
            del quantized
            print(f"{method}: saved {out_dir / method}, measuring it")
            # What is measured is the checkpoint as saved and loaded again, as a user gets it.
            model, qtok = load_quantized(out_dir / method, device)
            runs[method] = measure(method, model, qtok, out_dir / method, cfg, opts)
            del model

    for label, results in runs.items():
        write_results(out_dir / "eval" / label, results)
    base_ppl = runs[ORIGINAL]["metrics"].get("ppl/ppl")
    report = {
        "model": cfg.model, "merged_lora": merged, "device": device_name(device),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "settings": dataclasses.asdict(cfg),
        "runs": {label: {"checkpoint": r["checkpoint"], **r["quant"], "metrics": r["metrics"], "chance": r["chance"],
                         "n": r["n"]} for label, r in runs.items()},
        "ppl_change": {m: runs[m]["metrics"]["ppl/ppl"] / base_ppl - 1 for m in cfg.methods} if base_ppl else {},
    }
    table = compare_table(list(runs.values()))
    write_json(out_dir / "report.json", report)
    write_text(out_dir / "report.md", report_markdown(report, table))
    print(f"\nreport: {out_dir / 'report.md'}, {out_dir / 'report.json'}; per model: {out_dir / 'eval'}/LABEL/results.md\n")
    print(table)
    if report["ppl_change"]:
        print("\n" + "\n".join(change_lines(report)))
    return 0


if __name__ == "__main__":
    run_cli(main)
