"""One error type for bad input, and the CLI wrapper that prints it as one line."""

import errno
import sys


class TinyLLMError(Exception):
    """Bad input or state the user can fix: printed as one line, exit status 2, no traceback."""


# What the user can do about an operating-system error, by errno.
REMEDIES = {
    errno.ENOSPC: "the disk is full: free space there or choose another output path",
    errno.EDQUOT: "the disk quota is used up: free space there or choose another output path",
    errno.EROFS: "the file system is read-only: choose a writable output path",
    errno.EACCES: "permission denied: fix the permissions or choose another path",
    errno.EPERM: "operation not permitted: fix the permissions or choose another path",
    errno.EISDIR: "it is a directory: give a file path",
    errno.ENOTDIR: "a parent of it is a file, not a directory: choose another path",
    errno.EBUSY: "the path is busy (a mount point or in use): choose another path",
    errno.ENOENT: "it does not exist: check the path",
    errno.EEXIST: "it already exists: choose another path",
}


def describe_os_error(err: OSError, path=None) -> str:
    """One line for an OSError: the path it concerns, what happened and what to do."""
    where = err.filename if err.filename is not None else path
    remedy = REMEDIES.get(err.errno, f"{err.strerror or err}: check the path and retry")
    what = err.strerror or type(err).__name__
    return f"{where}: {what} ({remedy})" if where is not None else f"{what} ({remedy})"


def run_cli(main, argv=None):
    """Run `main(argv)`; a TinyLLMError becomes `error: <message>` on stderr and exit status 2."""
    try:
        result = main(argv)
    except TinyLLMError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2)
    except OSError as err:  # no space, read-only, permission, is-a-directory, busy: the path and the remedy
        print(f"error: {describe_os_error(err)}", file=sys.stderr)
        raise SystemExit(2)
    except MemoryError:
        print("error: out of memory (use a smaller model, batch_size or seq_len, or a machine with more memory)",
              file=sys.stderr)
        raise SystemExit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130)
    raise SystemExit(result or 0)
