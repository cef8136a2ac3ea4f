"""Reading JSON records: one reader for every .jsonl (and streamed .json-array) file the suite takes.

`iter_records` yields (where, record) and hands a bad line back as (where, ValueError), for
callers that may skip bad records (data_prep's --skip-bad); `read_jsonl` reads a whole small file
(benchmarks, prompt sets, held-out dialogues) and stops at the first bad line with one line that
names file:line.
"""

import json
from pathlib import Path
from typing import Callable

from tinyllm.errors import TinyLLMError
from tinyllm.textio import COMPRESSIONS, bad_text, data_suffix, open_text


def _jsonl_records(path: Path):
    with open_text(path, errors="surrogateescape") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            problem = bad_text(line)  # raw control characters are invalid JSON already; this is for bytes
            if problem and problem.startswith("not UTF-8"):
                yield where, ValueError(f"{where}: {problem}")
                continue
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as err:
                yield where, ValueError(f"{where}: not valid JSON ({err.msg})")


def _json_array_records(path: Path, chunk_chars: int = 1 << 20):
    """Stream the objects of a top-level JSON array without loading the file.

    Written by hand because the standard library has no streaming JSON reader and the
    TinyStories shards are hundreds of MB each.
    """
    decoder = json.JSONDecoder()
    buf, pos, index, started = "", 0, 0, False
    with open_text(path) as f:
        eof = False
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if not started and pos < len(buf):
                if buf[pos] != "[":
                    raise TinyLLMError(f"{path}: expected a JSON array of objects")
                started, pos = True, pos + 1
                continue
            if pos < len(buf) and buf[pos] == "]":
                return
            try:
                if pos >= len(buf):
                    raise json.JSONDecodeError("need more", buf, pos)
                record, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as err:
                if eof:
                    if not started and not buf.strip():
                        return
                    raise TinyLLMError(f"{path}: not a valid JSON array (item {index}: {err.msg})") from None
                try:
                    more = f.read(chunk_chars)
                except UnicodeDecodeError as err:
                    raise TinyLLMError(f"{path}: not UTF-8 (undecodable byte 0x{err.object[err.start]:02x} near "
                                       f"item {index}; convert the file to UTF-8)") from None
                eof = more == ""
                buf, pos = buf[pos:] + more, 0
                continue
            yield f"{path}[{index}]", record
            index, pos = index + 1, end


def iter_records(path):
    """(where, record) for each record of a .jsonl or .json-array file (either possibly
    compressed: .gz .bz2 .xz .zst); a bad line gives (where, ValueError) so the caller decides
    whether to stop or skip."""
    path = Path(path)
    if data_suffix(path) == ".jsonl":
        return _jsonl_records(path)
    if data_suffix(path) == ".json":
        return _json_array_records(path)
    raise TinyLLMError(f"{path}: expected a .jsonl or .json file (optionally compressed: {' '.join(COMPRESSIONS)})")


def read_jsonl(path, what: str = "record", limit: int | None = None,
               check: Callable[[object, str], None] | None = None, hint: str = "") -> list:
    """The first `limit` (default all) records of a file, each passed to `check(record, where)`,
    which raises ValueError naming `where` (file:line) for a record it refuses. A missing or
    empty file, a line that is not JSON or a refused record: TinyLLMError, one line.
    `what` names the file's kind in messages ("benchmark", "prompt"); `hint` follows "not found"."""
    if not Path(path).is_file():
        raise TinyLLMError(f"{path}: {what} file not found{hint}")
    records = []
    for where, record in iter_records(path):
        try:
            if isinstance(record, Exception):
                raise record
            if check is not None:
                check(record, where)
        except ValueError as err:
            raise TinyLLMError(str(err)) from None
        records.append(record)
        if limit and len(records) >= limit:
            break
    if not records:
        raise TinyLLMError(f"{path}: no {what}s")
    return records
