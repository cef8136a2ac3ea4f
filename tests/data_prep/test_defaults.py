"""Defaults that fit real data, each asserted on the summary line a user reads: SFT --max-len from
the model's context, a floor under the validation hold-out, .txt files without separators."""

import json
import shutil

import pytest

from data_prep.pretokenize import main as pretokenize_main
from data_prep.pretokenize import pretokenize
from data_prep.sft import main as sft_main
from data_prep.sources import SourceStats, iter_documents


def dialogues(path, n=6, words=60):
    """n alpaca records of about `words` words each (long enough that 512 vs 2048 matters)."""
    long = " ".join(["the cat sat on the mat and looked at the sun"] * (words // 10))
    path.write_text("".join(json.dumps({"instruction": f"Tell story {i}.", "output": long}) + "\n" for i in range(n)))
    return str(path)


def test_sft_max_len_defaults_to_the_models_context(tokenizer_dir, tmp_path, capsys):
    source = dialogues(tmp_path / "d.jsonl", words=450)  # ~700 tokens each at vocab 512
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tokenizer_dir, ckpt)
    (ckpt / "config.json").write_text(json.dumps({"max_position_embeddings": 2048}))

    sft_main(["--tokenizer", str(tokenizer_dir), "--model", str(ckpt), "--source", source, "--out", str(tmp_path / "a.pkl")])
    out = capsys.readouterr().out
    assert f"--max-len 2048 (the context of {ckpt})" in out
    assert "sft data: 6 samples from 6 conversations" in out and "0 dropped and 0 truncated at max_len 2048" in out

    recipe = tmp_path / "ptm.yaml"
    recipe.write_text("data_dir: x\nseq_len: 1024\n")
    sft_main(["--tokenizer", str(tokenizer_dir), "--recipe", str(recipe), "--source", source, "--out", str(tmp_path / "b.pkl")])
    out = capsys.readouterr().out
    assert f"--max-len 1024 (seq_len of {recipe})" in out and "at max_len 1024" in out

    sft_recipe = tmp_path / "sft.yaml"
    sft_recipe.write_text(f"model: {ckpt}\ntrain_data: x\n")
    sft_main(["--tokenizer", str(tokenizer_dir), "--recipe", str(sft_recipe), "--source", source,
              "--out", str(tmp_path / "c.pkl")])
    assert f"--max-len 2048 (the context of {ckpt}, the model of {sft_recipe})" in capsys.readouterr().out

    # No model known: the old fixed default, and the line says how to get the context instead.
    sft_main(["--tokenizer", str(tokenizer_dir), "--source", source, "--out", str(tmp_path / "d.pkl"),
              "--policy", "truncate"])
    out = capsys.readouterr().out
    assert "--max-len 512 (no model context known; pass --max-len, --model CHECKPOINT or --recipe" in out
    assert "0 dropped and 6 truncated at max_len 512" in out


def test_validation_hold_out_has_a_floor(tokenizer_dir, tmp_path, capsys):
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps({"text": f"Story {i}: the dog ran to the park and sat down."}) + "\n"
                              for i in range(400)))
    # 0.5 % of 400 documents hashes to about 2: below a floor of 20 documents / 300 tokens.
    meta = pretokenize([str(source)], tmp_path / "a", tokenizer_dir, workers=1, val_min_docs=20, val_min_tokens=300)
    line = capsys.readouterr().out
    val, floor = meta["splits"]["val"], meta["val_floor"]
    hashed = val["documents"] - floor["documents_added"]
    assert hashed < 20 and floor["documents_added"] > 0
    assert val["documents"] >= 20 and val["tokens"] >= 300
    assert val["documents"] + meta["splits"]["train"]["documents"] == 400
    assert (f"({val['documents']:,} docs: {hashed:,} hashed at 0.005 + {floor['documents_added']:,} "
            f"({floor['tokens_added']:,} tokens) for the floor of 20 docs / 300 tokens)") in line

    # The floor never holds out more than 10 % of the tokens: a floor above that stops there.
    meta = pretokenize([str(source)], tmp_path / "b", tokenizer_dir, workers=1, val_min_tokens=10**9)
    total = meta["splits"]["val"]["tokens"] + meta["splits"]["train"]["tokens"]
    assert 0.09 * total < meta["splits"]["val"]["tokens"] <= 0.11 * total

    # The default floor and its origin are in --help.
    try:
        pretokenize_main(["--help"])
    except SystemExit:
        pass
    help_text = " ".join(capsys.readouterr().out.split())
    assert "floor of held-out tokens without --val (default 16,384" in help_text


def test_txt_without_separators_says_what_a_document_is(tokenizer_dir, tmp_path, capsys):
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(f"Line story {i} about a cat.\n" for i in range(50)))
    paragraphs = tmp_path / "paras.txt"
    paragraphs.write_text("\n\n".join(f"Para {i}.\nIt has two lines." for i in range(30)) + "\n")
    separated = tmp_path / "sep.txt"
    separated.write_text("\n<|endoftext|>\n".join(f"Story {i}.\n\nA blank line inside it." for i in range(20)) + "\n")

    stats = SourceStats()
    docs = list(iter_documents([str(separated)], stats=stats))
    assert len(docs) == 20 and docs[0] == "Story 0.\n\nA blank line inside it."  # blank lines stay inside
    assert not stats.paragraph_files and not stats.line_files

    meta = pretokenize([str(lines), str(paragraphs), str(separated)], tmp_path / "out", tokenizer_dir, workers=1,
                       val_fraction=0.1)
    out = capsys.readouterr().out
    assert meta["splits"]["train"]["documents"] + meta["splits"]["val"]["documents"] == 50 + 30 + 20
    assert meta["line_split_files"] == {str(lines): 50} and meta["paragraph_split_files"] == {str(paragraphs): 30}
    assert (f"note: 1 .txt file(s) without a '<|endoftext|>' line, so each blank-line paragraph is a document "
            f"(30 documents: {paragraphs}); 1 .txt file(s) without a '<|endoftext|>' line, so each line "
            f"(no blank lines either) is a document (50 documents: {lines})") in out


@pytest.mark.parametrize("main,args,message", [
    (sft_main, ["--model", "{tmp}"], "{tmp}: no config.json with max_position_embeddings (is it a checkpoint?)"),
    (sft_main, ["--recipe", "{tmp}/missing.yaml"], "{tmp}/missing.yaml: cannot read the recipe (FileNotFoundError)"),
    (sft_main, ["--recipe", "{tmp}/r.yaml"], "{tmp}/r.yaml: neither a seq_len nor a model checkpoint with a config.json"),
    (pretokenize_main, ["--val-min-tokens", "-1"], "--val-min-docs and --val-min-tokens must not be negative"),
])
def test_bad_default_sources_are_one_line(main, args, message, tokenizer_dir, tmp_path, capsys):
    from tinyllm.errors import run_cli

    (tmp_path / "r.yaml").write_text("model: nowhere\n")
    source = dialogues(tmp_path / "d.jsonl")
    common = {sft_main: ["--source", source, "--out", str(tmp_path / "o.pkl")],
              pretokenize_main: ["--train", source, "--out", str(tmp_path / "o")]}[main]
    with pytest.raises(SystemExit) as exit_info:
        run_cli(main, ["--tokenizer", str(tokenizer_dir), *common, *[a.format(tmp=tmp_path) for a in args]])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and err[0].startswith("error: " + message.format(tmp=tmp_path))
    assert not (tmp_path / "o.pkl").exists() and not (tmp_path / "o").exists()
