"""tinyllm.records: the one JSONL reader; every bad line named file:line in one line."""

import pytest

from tinyllm.errors import TinyLLMError
from tinyllm.records import iter_records, read_jsonl


def test_read_jsonl_reads_checks_and_names_the_bad_line(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{"a": 3}\n', encoding="utf-8")
    assert read_jsonl(path) == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert read_jsonl(path, limit=2) == [{"a": 1}, {"a": 2}]

    def check(record, where):
        if record["a"] == 3:
            raise ValueError(f"{where}: 'a' must not be 3")

    with pytest.raises(TinyLLMError, match=r"items.jsonl:4: 'a' must not be 3$"):
        read_jsonl(path, check=check)
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(TinyLLMError, match=r"items.jsonl:2: not valid JSON"):
        read_jsonl(path)
    with pytest.raises(TinyLLMError, match=r"nope.jsonl: prompt file not found \(make one\)"):
        read_jsonl(tmp_path / "nope.jsonl", "prompt", hint=" (make one)")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(TinyLLMError, match=r"empty.jsonl: no prompts"):
        read_jsonl(tmp_path / "empty.jsonl", "prompt")


def test_iter_records_hands_bad_lines_back(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\nnot json\n')
    (w1, r1), (w2, r2) = iter_records(path)
    assert (w1, r1) == (f"{path}:1", {"a": 1})
    assert w2 == f"{path}:2" and isinstance(r2, ValueError)
