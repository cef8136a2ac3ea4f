"""Where documents come from: one iterator over text files, JSONL, JSON arrays, parquet, globs,
the synthetic generator and hub datasets, streaming so that no corpus is ever held in memory.

A source spec is one of:
  path/to/file.txt            documents separated by a line `<|endoftext|>`; a file with no such line
                              splits at blank lines (paragraphs), one with no blank line either at
                              every line (both counted in SourceStats and said in the summaries)
  path/to/file.jsonl          one JSON object per line; the text is in `field`
  path/to/file.json           a JSON array of objects (the TinyStories shard format)
  path/to/file.parquet        a column named `field`
  'data/*.json'               a glob of any of these (quote it in the shell)
  synthetic:SPLIT[:N[:SEED]]  N stories of the embedded generator (`data_prep.synthetic`)
  synthetic-zh:SPLIT[:N[:SEED]]  the same in Chinese
  hf:NAME[:SPLIT]             a hub dataset through `datasets` streaming (needs network)
`field` defaults to the first of text / story / completion / content that a record has; a dotted
path (`content.paragraphs`) reaches into nested objects, and a list of strings is joined with
newlines. Any file may be compressed (.gz .bz2 .xz; .zst with the zstandard package): it is
decompressed as it streams.
"""

import glob
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

from data_prep.synthetic import iter_stories
from tinyllm.errors import TinyLLMError
from tinyllm.records import iter_records
from tinyllm.textio import bad_text, data_suffix, open_binary, open_text

TEXT_FIELDS = ("text", "story", "completion", "content")
EOT = "<|endoftext|>"


@dataclass
class SourceStats:
    documents: int = 0
    skipped: int = 0
    first_skip: str | None = None
    files: list = dc_field(default_factory=list)
    # .txt files with no `<|endoftext|>` line at all: their documents are blank-line paragraphs,
    # or lines when there is no blank line either; {path: documents} for each
    paragraph_files: dict = dc_field(default_factory=dict)
    line_files: dict = dc_field(default_factory=dict)


def field_value(value, path: str, where: str):
    """The value at a dotted field path ("content.paragraphs"); a list of strings is joined with
    newlines, and a list of objects met on the way maps the rest of the path over its items."""
    parts = path.split(".")
    for i, name in enumerate(parts):
        if isinstance(value, list) and all(isinstance(v, dict) for v in value) and value:
            return "\n".join(field_value(v, ".".join(parts[i:]), where) for v in value)
        if not isinstance(value, dict):
            raise ValueError(f"{where}: '{'.'.join(parts[:i])}' is {type(value).__name__}, not an object "
                             f"(field path '{path}')")
        if name not in value:
            raise ValueError(f"{where}: no field '{'.'.join(parts[:i + 1])}' "
                             f"(fields: {', '.join(map(str, value)) or 'none'})")
        value = value[name]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if not isinstance(value, str):
        raise ValueError(f"{where}: field '{path}' is {type(value).__name__}, not a string or a list of strings")
    return value


def _pick_text(record, where: str, field: str | None):
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if field is None:
        field = next((f for f in TEXT_FIELDS if f in record), None)
        if field is None:
            raise ValueError(
                f"{where}: none of the fields {', '.join(TEXT_FIELDS)} "
                f"(fields: {', '.join(map(str, record)) or 'none'}); name one with --field"
            )
    return field_value(record, field, where)


def _txt_layout(path: Path) -> str:
    """How a .txt file separates its documents: "eot" (a `<|endoftext|>` line anywhere), else
    "paragraphs" (a blank line anywhere), else "lines". One streaming pass, stopped at the first EOT."""
    blank = False
    with open_text(path, errors="surrogateescape") as f:
        for line in f:
            stripped = line.strip()
            if stripped == EOT:
                return "eot"
            blank = blank or stripped == ""
    return "paragraphs" if blank else "lines"


def _iter_txt(path: Path, stats: SourceStats | None = None):
    """(path:line of the document's first line, its text), or a ValueError for a document with a
    line that is not clean text (bytes that are not UTF-8, control characters): the whole document
    is then one bad record, never silently re-encoded. Documents are split as _txt_layout says."""
    layout = _txt_layout(path)
    lines, start, problem, count = [], 0, None, 0

    def finish():
        where = f"{path}:{start}"
        return (where, ValueError(problem)) if problem else (where, "".join(lines).strip("\n"))

    with open_text(path, errors="surrogateescape") as f:
        for lineno, line in enumerate(f, 1):
            stripped = line.strip()
            if stripped == EOT or (layout != "eot" and stripped == ""):  # a separator
                if "".join(lines).strip():
                    count += 1
                    yield finish()
                lines, problem = [], None
                continue
            if not lines:
                start = lineno
            lines.append(line)
            bad = problem is None and bad_text(line)
            if bad:
                problem = f"{path}:{lineno}: {bad}"
            if layout == "lines":  # every line is a document
                count += 1
                yield finish()
                lines, problem = [], None
    if "".join(lines).strip():
        count += 1
        yield finish()
    if stats is not None and layout != "eot":
        (stats.paragraph_files if layout == "paragraphs" else stats.line_files)[str(path)] = count


def txt_layout_note(stats: list[SourceStats]) -> str | None:
    """One line saying which .txt files had no `<|endoftext|>` line and what counted as a document."""
    parts = []
    for kind, attr in (("blank-line paragraph", "paragraph_files"), ("line (no blank lines either)", "line_files")):
        files = {k: v for s in stats for k, v in getattr(s, attr).items()}
        if files:
            names = ", ".join(list(files)[:3]) + (" ..." if len(files) > 3 else "")
            parts.append(f"{len(files)} .txt file(s) without a '{EOT}' line, so each {kind} is a document "
                         f"({sum(files.values()):,} documents: {names})")
    return "note: " + "; ".join(parts) if parts else None


def _texts(records, field):
    for where, record in records:
        if isinstance(record, Exception):
            yield where, record
            continue
        try:
            yield where, _pick_text(record, where, field)
        except ValueError as err:
            yield where, err


def _iter_parquet(path: Path, field):
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(open_binary(path))
    names = pf.schema_arrow.names
    column, _, rest = (field or next((f for f in TEXT_FIELDS if f in names), "")).partition(".")
    if column not in names:
        raise TinyLLMError(f"{path}: no column '{column or ' / '.join(TEXT_FIELDS)}' (columns: {', '.join(names)})")
    row = 0
    for batch in pf.iter_batches(columns=[column], batch_size=1024):
        for value in batch.column(0).to_pylist():
            where = f"{path}[row {row}]"
            try:
                yield where, field_value({column: value}, f"{column}.{rest}" if rest else column, where)
            except ValueError as err:
                yield where, err
            row += 1


def _iter_synthetic(spec: str):
    kind, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    split = parts[0] if parts else "train"
    try:
        n = int(parts[1]) if len(parts) > 1 else 1000
        seed = int(parts[2]) if len(parts) > 2 else 0
    except ValueError:
        raise TinyLLMError(f"{spec}: expected synthetic:SPLIT[:N[:SEED]] with integer N and SEED") from None
    if split not in ("train", "val", "test"):
        raise TinyLLMError(f"{spec}: split must be train, val or test")
    lang = "zh" if kind == "synthetic-zh" else "en"
    for story in iter_stories(seed, split, lang=lang, n=n):
        yield story.id, story.text


def _iter_hub(spec: str, field):
    from datasets import load_dataset

    _, _, rest = spec.partition(":")
    name, _, split = rest.partition(":")
    try:
        ds = load_dataset(name, split=split or "train", streaming=True)
    except Exception as err:  # network or name errors come in many types
        raise TinyLLMError(f"{spec}: cannot open hub dataset ({type(err).__name__}: {err})") from None
    for i, record in enumerate(ds):
        where = f"{spec}[{i}]"
        try:
            yield where, _pick_text(record, where, field)
        except ValueError as err:
            yield where, err


def _is_generator(spec: str) -> bool:
    return spec.startswith(("synthetic:", "synthetic-zh:")) or spec in ("synthetic", "synthetic-zh")


def expand(spec: str) -> list[str]:
    """The files (or the one generator / hub spec) a source spec names; missing ones refused."""
    if _is_generator(spec) or spec.startswith("hf:"):
        return [spec]
    if any(c in spec for c in "*?["):
        files = sorted(glob.glob(spec, recursive=True))
        if not files:
            raise TinyLLMError(f"{spec}: no file matches this pattern")
        return files
    path = Path(spec)
    if path.is_dir():
        files = sorted(str(p) for p in path.iterdir() if data_suffix(p) in (".txt", ".jsonl", ".json", ".parquet"))
        if not files:
            raise TinyLLMError(f"{spec}: directory holds no .txt/.jsonl/.json/.parquet file")
        return files
    if not path.is_file():
        raise TinyLLMError(f"{spec}: file not found")
    return [spec]


def _iter_one(spec: str, field, stats: SourceStats | None = None):
    if _is_generator(spec):
        return _iter_synthetic(spec)
    if spec.startswith("hf:"):
        return _iter_hub(spec, field)
    path = Path(spec)
    suffix = data_suffix(path)
    if suffix in (".jsonl", ".json"):
        return _texts(iter_records(path), field)
    if suffix == ".parquet":
        return _iter_parquet(path, field)
    if suffix in (".txt", ".md", ""):
        return _iter_txt(path, stats)
    raise TinyLLMError(f"{spec}: unknown file type '{suffix}' (use .txt, .jsonl, .json or .parquet)")


def iter_documents(specs, field: str | None = None, skip_bad: bool = False, stats: SourceStats | None = None):
    """Yield the text of every document in `specs`, in order.

    A bad record stops with a TinyLLMError naming file:line, or with `skip_bad` is counted in
    `stats.skipped` and skipped. Empty documents are skipped silently.
    """
    stats = stats if stats is not None else SourceStats()
    # Expanded now, not on first iteration, so a missing file is refused before any work starts.
    files = [f for spec in ([specs] if isinstance(specs, str) else specs) for f in expand(spec)]
    stats.files.extend(files)
    return _documents(files, field, skip_bad, stats)


def _documents(files, field, skip_bad, stats):
    for spec in files:
        for where, item in _iter_one(spec, field, stats):
            if isinstance(item, Exception):
                if not skip_bad:
                    raise TinyLLMError(f"{item} (pass --skip-bad to skip such records)")
                stats.skipped += 1
                stats.first_skip = stats.first_skip or str(item)
                continue
            problem = bad_text(item)  # escaped in JSON (\u0000) or from any other source
            if problem:
                if not skip_bad:
                    raise TinyLLMError(f"{where}: {problem} (pass --skip-bad to skip such records)")
                stats.skipped += 1
                stats.first_skip = stats.first_skip or f"{where}: {problem}"
                continue
            if item.strip():
                stats.documents += 1
                yield item
