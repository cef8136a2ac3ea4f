"""One error type for bad input, and the CLI wrapper that prints it as one line."""

import sys


class TinyLLMError(Exception):
    """Bad input or state the user can fix: printed as one line, exit status 2, no traceback."""


def run_cli(main, argv=None):
    """Run `main(argv)`; a TinyLLMError becomes `error: <message>` on stderr and exit status 2."""
    try:
        result = main(argv)
    except TinyLLMError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130)
    raise SystemExit(result or 0)
