"""Datasets for the lm-eval-harness tasks beside this file (loaded by their `custom_dataset`).

    lm_eval --model hf --model_args pretrained=runs/quickstart/pretrain/final \
        --tasks tinyllm_story_cloze --include_path eval/benchmarks/lm_eval --device cpu

The JSONL files are found next to this folder, whatever the working directory. Prompts get the
model's document opening `<s>` in front, so lm-eval scores exactly what `eval.run` scores (our
tokenizer does not add it itself); for a model whose BOS is written differently pass
`--metadata '{"bos": "<|begin_of_text|>"}'`, or `{"bos": ""}` for none.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]


def _load(name: str, bos: str):
    import datasets

    data = datasets.load_dataset("json", data_files={"test": str(BENCH_DIR / name)})

    def add_bos(doc):
        if "prompt" in doc:
            doc["prompt"] = bos + doc["prompt"]
        return doc

    return data.map(add_bos)


def story_cloze(bos: str = "<s>", **_):
    return _load("story_cloze.jsonl", bos)


def arithmetic(bos: str = "<s>", **_):
    return _load("arithmetic.jsonl", bos)
