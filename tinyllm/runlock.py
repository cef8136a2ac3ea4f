"""One writer per output directory: an OS-level lock held by the process that runs there.

`lock_out_dir(out_dir)` takes an exclusive `filelock` lock on OUT_DIR/.tinyllm.lock (flock: a killed
process releases it) and writes who holds it (pid, host, time) beside it. A second process is refused
with one line naming the holder. The lock is kept until the process exits, so every step of the run
(clearing .staging, checkpoints, final/) happens under it; a later run in the same process (tests,
notebooks) takes the lock it already holds again.
"""

import os
import socket
import time
from pathlib import Path

from filelock import FileLock, Timeout

from tinyllm.atomic import write_text
from tinyllm.errors import TinyLLMError

LOCK = ".tinyllm.lock"
HOLDER = ".tinyllm.lock.holder"
_held: dict[Path, FileLock] = {}


def holder(out_dir) -> str:
    try:
        return (Path(out_dir) / HOLDER).read_text().strip() or "unknown process"
    except OSError:
        return "unknown process"


def lock_out_dir(out_dir) -> None:
    """Take the out_dir's lock (out_dir must exist), or refuse naming the process that holds it."""
    out_dir = Path(out_dir)
    key = out_dir.resolve()
    lock_file = out_dir / LOCK
    held = _held.get(key)
    if held is not None and held.is_locked and lock_file.exists():
        return
    lock = FileLock(str(lock_file), timeout=0, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        raise TinyLLMError(f"{out_dir}: another run is writing there ({holder(out_dir)}); wait for it to end or "
                           f"choose another out_dir") from None
    _held[key] = lock

    write_text(out_dir / HOLDER, f"pid {os.getpid()} on {socket.gethostname()}, since "
                                 f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n")


def unlock_out_dir(out_dir) -> None:
    """Release the lock (a refused run that made out_dir removes it again)."""
    lock = _held.pop(Path(out_dir).resolve(), None)
    if lock is not None:
        lock.release(force=True)
