"""A JSON file read with errors that name it: the line of a syntax error,
the byte of a non-UTF-8 one (instead of a bare JSONDecodeError or
UnicodeDecodeError from deep inside the reader)."""

from __future__ import annotations

import json
import os


def load_json(path, error: type[Exception], what: str = "JSON"):
    """The document in `path`; a malformed one raises `error` naming the file."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise error(f"{name}: line {e.lineno}: invalid JSON: {e.msg}") from None
    except UnicodeDecodeError as e:
        raise error(f"{name}: byte {e.start}: not UTF-8 text, so not {what}") from None
