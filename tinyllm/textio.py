"""Open data files whether or not they are compressed: .gz, .bz2, .xz (standard library) and
.zst (the `zstandard` package, if installed), always streamed, never decompressed to disk.

    from tinyllm.textio import open_text, data_suffix
    with open_text("hh/test.jsonl.gz") as f: ...     # lines of text, like open(path, encoding="utf-8")
    data_suffix("hh/test.jsonl.gz") == ".jsonl"      # the format under the compression
"""

import bz2
import gzip
import io
import lzma
import re
from pathlib import Path

from tinyllm.errors import TinyLLMError

COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
ZSTD_PACKAGE = "zstandard==0.25.0"


def compression(path) -> str | None:
    """The compression suffix of `path` ('.gz', ...) or None for a plain file."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in COMPRESSIONS else None


def data_suffix(path) -> str:
    """The format suffix under any compression: 'a.jsonl.gz' -> '.jsonl', 'a.txt' -> '.txt'."""
    path = Path(path)
    if compression(path):
        path = path.with_suffix("")
    return path.suffix.lower()


class _Checked(io.RawIOBase):
    """A decompressing stream whose damage (truncated or corrupt data) is one line naming the file."""

    def __init__(self, raw, path, kind):
        self.raw, self.path, self.kind = raw, path, kind

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            return self.raw.readinto(buffer)
        except Exception as err:  # gzip/bz2/lzma/zstandard each raise their own types on damage
            if isinstance(err, TinyLLMError):
                raise
            raise TinyLLMError(f"{self.path}: damaged {self.kind} data ({type(err).__name__}: {err})") from None

    def close(self):
        self.raw.close()
        super().close()


def open_binary(path):
    """A binary file object over the decompressed bytes of `path` (streamed)."""
    kind = compression(path)
    if kind is None:
        return open(path, "rb")
    return io.BufferedReader(_Checked(_open_compressed(path, kind), path, kind), buffer_size=1 << 16)


def _open_compressed(path, kind):
    if kind == ".gz":
        return gzip.open(path, "rb")
    if kind == ".bz2":
        return bz2.open(path, "rb")
    if kind == ".xz":
        return lzma.open(path, "rb")
    if kind == ".zst":
        try:
            import zstandard
        except ImportError:
            raise TinyLLMError(f"{path}: reading .zst needs the zstandard package (pip install {ZSTD_PACKAGE}), "
                               f"or decompress it first: zstd -d {path}") from None
        return _ZstdReader(open(path, "rb"), zstandard.ZstdDecompressor())
    raise AssertionError(kind)


class _ZstdReader(io.RawIOBase):
    """Frames of a .zst file, one after another; a file that ends inside a frame is an error
    (zstandard's own stream reader returns the partial data without a word)."""

    def __init__(self, raw, dctx):
        self.raw, self.dctx, self.obj, self.pending = raw, dctx, dctx.decompressobj(), b""
        self.obj_started = False

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            chunk = self.raw.read(1 << 16)
            if not chunk:
                if not self.obj.eof and self.obj_started:
                    raise EOFError("compressed file ended before the end of its zstd frame")
                return 0
            self.pending = self._feed(chunk)
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n

    def _feed(self, chunk: bytes) -> bytes:
        out = b""
        while chunk:
            if self.obj.eof:  # a following frame
                self.obj = self.dctx.decompressobj()
            self.obj_started = True
            out += self.obj.decompress(chunk)
            chunk = self.obj.unused_data if self.obj.eof else b""
        return out

    def close(self):
        self.raw.close()
        super().close()


def open_text(path, errors: str = "strict"):
    """Text lines of `path` as UTF-8, decompressing on the fly; usable as a context manager.

    errors="surrogateescape" reads on past bytes that are not UTF-8 (each becomes a lone surrogate
    U+DC80..U+DCFF), so a reader can name the bad line (`bad_text`) instead of dying mid-file."""
    if compression(path) is None:
        return open(path, encoding="utf-8", errors=errors)
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors=errors)


# C0 controls and DEL, except tab, newline, carriage return, vertical tab and form feed: in text they
# are damage (a binary file, a bad conversion), and a tokenizer would encode them without a word.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a byte that is not UTF-8


def bad_text(text: str) -> str | None:
    """Why `text` is not clean text (undecodable bytes, a control character), or None."""
    escaped = _ESCAPED.search(text)
    if escaped:
        return (f"not UTF-8 (undecodable byte 0x{ord(escaped.group()) - 0xDC00:02x} at column {escaped.start() + 1}; "
                f"convert the file to UTF-8)")
    control = _CONTROL.search(text)
    if control:
        return f"control character U+{ord(control.group()):04X} at column {control.start() + 1}"
    return None
