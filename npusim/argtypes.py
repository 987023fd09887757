"""argparse types for config scripts and tools: a bad value becomes
argparse's usage error naming the option, not a traceback or a parameter
error after the script has done its work."""

from __future__ import annotations

import argparse
import ast

from .units import UnitError


def whole_number(least: int):
    """A whole number >= `least` (``type=whole_number(1)`` for a count)."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value
    convert.__name__ = f"whole number >= {least}"
    return convert


def quantity(parse):
    """Text that `parse` (an npusim.units reader: to_bytes, to_ticks, ...)
    accepts, kept as text for the parameter to read."""
    def convert(text: str) -> str:
        try:
            parse(text)
        except UnitError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return text
    convert.__name__ = parse.__name__
    return convert


job_count = whole_number(1)   # a --jobs option


def literal_or_text(text: str):
    """The value of a NAME=VALUE option: a Python literal (2, 0.5, True,
    (1, 2)) read without running code, or else the text itself (16KiB)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
