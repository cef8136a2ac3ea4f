"""Sources and pretokenize: every input format, and every bad input named by file and line."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_prep.pretokenize import main as pretokenize_main
from data_prep.sources import SourceStats, iter_documents
from tinyllm.errors import TinyLLMError

DOCS = ["The cat sat.", "Mia had a red kite.\nShe flew it.", "小明很开心。"]


def test_every_format_yields_the_same_documents(tmp_path):
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({"story": d}) + "\n" for d in DOCS))
    (tmp_path / "b.json").write_text(json.dumps([{"text": d, "id": i} for i, d in enumerate(DOCS)], indent=1))
    (tmp_path / "c.txt").write_text("\n\n".join(DOCS) + "\n")
    (tmp_path / "d.txt").write_text("\n<|endoftext|>\n".join(DOCS))
    pq.write_table(pa.table({"completion": DOCS}), tmp_path / "e.parquet")
    for name in ("a.jsonl", "b.json", "c.txt", "d.txt", "e.parquet"):
        assert list(iter_documents([str(tmp_path / name)])) == DOCS, name
    assert list(iter_documents([str(tmp_path / "*.json*")])) == DOCS * 2  # glob: b.json, a.jsonl sorted


def test_json_array_is_streamed_in_small_chunks(tmp_path):
    from tinyllm.records import _json_array_records

    docs = [f"story number {i} with \"quotes\" and ] brackets [" for i in range(50)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"story": d} for d in docs]))
    assert [r["story"] for _, r in _json_array_records(path, chunk_chars=7)] == docs


def test_synthetic_source(tmp_path):
    docs = list(iter_documents(["synthetic:val:5:3"]))
    assert len(docs) == 5 and all(len(d) > 50 for d in docs)
    assert docs == list(iter_documents(["synthetic:val:5:3"]))


@pytest.mark.parametrize("content, message", [
    ('{"text": "ok"}\n{"text": "broken\n', r"bad.jsonl:2: not valid JSON"),
    ('{"text": "ok"}\n\n{"body": "x"}\n', r"bad.jsonl:3: none of the fields text, story, completion, content \(fields: body\)"),
    ('{"text": 5}\n', r"bad.jsonl:1: field 'text' is int, not a string"),
    ('[1, 2]\n', r"bad.jsonl:1: expected a JSON object, got list"),
])
def test_bad_jsonl_lines_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(TinyLLMError, match=message):
        list(iter_documents([str(path)]))


def test_skip_bad_counts_and_continues(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "one"}\nnot json\n{"x": 1}\n{"text": "two"}\n')
    stats = SourceStats()
    assert list(iter_documents([str(path)], skip_bad=True, stats=stats)) == ["one", "two"]
    assert (stats.skipped, stats.documents) == (2, 2)
    assert stats.first_skip.startswith(f"{path}:2: not valid JSON")


def test_named_field_and_missing_inputs(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"body": "x", "text": "y"}\n')
    assert list(iter_documents([str(path)], field="body")) == ["x"]
    with pytest.raises(TinyLLMError, match=r"f.jsonl:1: no field 'title' \(fields: body, text\)"):
        list(iter_documents([str(path)], field="title"))
    with pytest.raises(TinyLLMError, match="missing.jsonl: file not found"):
        iter_documents([str(tmp_path / "missing.jsonl")])
    with pytest.raises(TinyLLMError, match=r"\*.parquet: no file matches"):
        iter_documents([str(tmp_path / "*.parquet")])


def test_pretokenize_cli_errors_leave_no_output(tokenizer_dir, tmp_path, capsys):
    def run(*args):
        with pytest.raises(SystemExit) as exit_info:
            from tinyllm.errors import run_cli
            run_cli(pretokenize_main, ["--tokenizer", str(tokenizer_dir), *args])
        lines = capsys.readouterr().err.strip().splitlines()
        return exit_info.value.code, lines[-1] if lines else ""

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    out = tmp_path / "out"
    code, err = run("--train", str(empty), "--out", str(out))
    assert code == 2 and err == f"error: {empty}: no documents found (empty corpus)"
    assert not out.exists() and list(tmp_path.iterdir()) == [empty]  # no temporary left behind either

    late_bad = tmp_path / "late.jsonl"
    late_bad.write_text("".join(json.dumps({"text": f"doc {i}"}) + "\n" for i in range(600)) + "oops\n")
    code, err = run("--train", str(late_bad), "--out", str(out))
    assert code == 2 and err.startswith(f"error: {late_bad}:601: not valid JSON")
    assert not out.exists()

    code, _ = run("--train", str(late_bad), "--out", str(out), "--skip-bad", "--val-fraction", "0.1")
    assert code == 0 and out.exists()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["skipped_bad_records"] == 1
    assert meta["splits"]["train"]["documents"] + meta["splits"]["val"]["documents"] == 600

    code, err = run("--train", str(late_bad), "--out", str(out))
    assert code == 2 and "already exists (pass --overwrite" in err
