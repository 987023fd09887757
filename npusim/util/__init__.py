"""gem5's ``m5.util`` helpers that config scripts use: ``addToPath`` and the
``inform``/``warn``/``fatal``/``panic`` messages."""

from __future__ import annotations

import os
import sys

from . import convert  # noqa: F401  (m5.util.convert)


def addToPath(path: str) -> None:  # noqa: N802  (gem5's name)
    """Puts `path` on the module search path, just after the running script's
    folder; a relative path is taken from that folder, as in gem5."""
    if not os.path.isabs(path) and sys.path and sys.path[0]:
        path = os.path.join(sys.path[0], path)
    sys.path.insert(1, os.path.realpath(path))


def _message(kind: str, fmt: str, args) -> str:
    text = fmt % args if args else fmt
    return f"{kind}: {text}"


def inform(fmt: str, *args) -> None:
    print(_message("info", fmt, args), file=sys.stdout, flush=True)


def warn(fmt: str, *args) -> None:
    print(_message("warn", fmt, args), file=sys.stderr, flush=True)


def fatal(fmt: str, *args) -> None:
    """A configuration the user must fix: the message, then exit status 1."""
    print(_message("fatal", fmt, args), file=sys.stderr, flush=True)
    raise SystemExit(1)


def panic(fmt: str, *args) -> None:
    """Something that should never happen: the message, then exit status 1."""
    print(_message("panic", fmt, args), file=sys.stderr, flush=True)
    raise SystemExit(1)
