"""Read gem5-format statistics (stats.txt) and npusim's stats.json.

A stats.txt holds one or more dumps, each between the lines::

    ---------- Begin Simulation Statistics ----------
    ...
    ---------- End Simulation Statistics   ----------

and inside a dump one stat a line::

    name    value    [pct    cum-pct]    # description (Unit)

Scalars have a bare name; vectors and distributions print one line per entry
as ``name::entry`` (``::total``, ``::samples``, ``::mean``, buckets such as
``::0-3``), with two percentage columns for vector/distribution entries.

:func:`read_stats` returns a DataFrame with one row per dump and one column
per stat name (the text before the value, so ``name::sub`` for entries).
Values are ``int`` where the text is an integer, ``float`` otherwise
(``nan``/``inf``/``-inf`` included).  The percentage columns are dropped
unless ``with_pdf=True``, which adds ``name::pdf`` and ``name::cdf`` columns
(as fractions, not percent).
"""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pandas as pd

from ..traces.gzip_magic import is_gzipped
from .json_file import load_json

__all__ = [
    "StatsFormatError",
    "BEGIN_MARKER",
    "END_MARKER",
    "read_stats",
    "read_stats_descriptions",
    "read_stats_json",
    "parse_stats_text",
]

BEGIN_MARKER = "---------- Begin Simulation Statistics ----------"
END_MARKER = "---------- End Simulation Statistics   ----------"


class StatsFormatError(ValueError):
    """A stats file is malformed; the message names the file and line."""


_SPECIAL = {"nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
            "-inf": -math.inf, "infinity": math.inf, "-infinity": -math.inf}
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT_RE = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")


def _value(text: str):
    """int for integral text, float otherwise; None if not a number (Python's
    own extras such as '1_000' or non-ASCII digits are not gem5 numbers)."""
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    return _SPECIAL.get(text.lower())


def _pct(text: str):
    """'12.34%' -> 0.1234; None if not a percentage."""
    if not text.endswith("%"):
        return None
    v = _value(text[:-1])
    return None if v is None else v / 100.0


def _split_unit(desc: str):
    """'Number of ticks (ticks/s) ((Tick/Second))' -> ('Number of ticks (ticks/s)',
    '(Tick/Second)').  The unit is the last balanced parenthesised group."""
    desc = desc.strip()
    if not desc.endswith(")"):
        return desc, ""
    depth = 0
    for i in range(len(desc) - 1, -1, -1):
        c = desc[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                return desc[:i].rstrip(), desc[i + 1:-1]
    return desc, ""


def parse_stats_text(text: str, path="<string>", *, with_pdf: bool = False,
                     descriptions: bool = False, duplicates: str = "error"):
    """Parse stats.txt content.  Returns a list of dumps (dicts name -> value),
    and with ``descriptions=True`` also a dict name -> (description, unit).
    ``duplicates``: what a name seen twice in one dump does: ``"error"``
    (default), ``"first"`` or ``"last"`` (keep that occurrence)."""
    if duplicates not in ("error", "first", "last"):
        raise ValueError(f"duplicates must be 'error', 'first' or 'last', not {duplicates!r}")
    dumps: list[dict] = []
    descs: dict[str, tuple[str, str]] = {}
    cur: dict | None = None
    begin_line = 0
    name_of = os.fspath(path)
    lines = text.split("\n")
    last_line = 1
    for lineno, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        last_line = lineno
        if line[0] == "-":
            stripped = line.strip()
            if stripped == BEGIN_MARKER:
                if cur is not None:
                    raise StatsFormatError(
                        f"{name_of}: line {lineno}: Begin marker inside the dump begun "
                        f"at line {begin_line} (missing End marker)")
                cur = {}
                begin_line = lineno
                continue
            if stripped == END_MARKER:
                if cur is None:
                    raise StatsFormatError(f"{name_of}: line {lineno}: End marker "
                                           f"without a Begin marker")
                dumps.append(cur)
                cur = None
                continue
        if cur is None:
            raise StatsFormatError(f"{name_of}: line {lineno}: stat line outside a "
                                   f"Begin/End block: {line.strip()[:80]!r}")
        hash_at = line.find("#")
        if hash_at >= 0:
            head = line[:hash_at]
            comment = line[hash_at + 1:]
        else:
            head = line
            comment = None
        parts = head.split()
        n = len(parts)
        if n == 2 or n == 4:
            name = parts[0]
            value = _value(parts[1])
            if value is None:
                raise StatsFormatError(f"{name_of}: line {lineno}: value {parts[1]!r} "
                                       f"of {name!r} is not a number")
            if n == 4:
                pdf, cdf = _pct(parts[2]), _pct(parts[3])
                if pdf is None or cdf is None:
                    raise StatsFormatError(
                        f"{name_of}: line {lineno}: expected two percentages after the "
                        f"value of {name!r}, got {parts[2]!r} {parts[3]!r}")
                if with_pdf:
                    cur[name + "::pdf"] = pdf
                    cur[name + "::cdf"] = cdf
        else:
            raise StatsFormatError(
                f"{name_of}: line {lineno}: cannot parse stat line (expected 'name value "
                f"[pct cum-pct] # description'): {line.strip()[:100]!r}")
        if name in cur:
            if duplicates == "error":
                raise StatsFormatError(f"{name_of}: line {lineno}: stat {name!r} appears "
                                       f"twice in the dump begun at line {begin_line}")
            if duplicates == "first":
                continue
        cur[name] = value
        if descriptions and name not in descs:
            descs[name] = _split_unit(comment) if comment is not None else ("", "")
    if cur is not None:
        raise StatsFormatError(f"{name_of}: line {last_line}: dump begun at line "
                               f"{begin_line} has no End marker (truncated file?)")
    if not dumps:
        raise StatsFormatError(f"{name_of}: line 1: no '{BEGIN_MARKER}' marker: "
                               f"not a gem5 stats file")
    if descriptions:
        return dumps, descs
    return dumps


def _read_text(path) -> str:
    p = os.fspath(path)
    if is_gzipped(p) or p.endswith(".gz"):
        import gzip
        import zlib
        try:
            with gzip.open(p, "rt", encoding="utf-8", errors="replace") as f:
                return f.read()
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:   # bare, these name no file
            raise StatsFormatError(f"{p}: corrupt or truncated gzip file ({e})") from None
    with open(p, encoding="utf-8", errors="replace") as f:
        return f.read()


_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def _frame(dumps: list[dict]) -> pd.DataFrame:
    """One row per dump, columns in first-appearance order.  A column is int64
    when every dump has an integer for it, float64 otherwise (missing -> NaN);
    integers beyond int64 stay exact Python ints (object column)."""
    columns: dict[str, None] = dict.fromkeys(dumps[0])
    for d in dumps[1:]:
        for k in d:
            columns.setdefault(k)
    cols = list(columns)
    int_cols, float_cols, obj_cols = [], [], []
    for k in cols:
        is_int = True
        big = False
        for d in dumps:
            v = d.get(k)
            if type(v) is not int:
                is_int = False
                break
            if not _I64_MIN <= v <= _I64_MAX:
                big = True
        if is_int:
            (obj_cols if big else int_cols).append(k)
        else:
            float_cols.append(k)
    index = pd.RangeIndex(len(dumps), name="dump")
    parts = []
    if int_cols:
        parts.append(pd.DataFrame(
            np.array([[d[k] for k in int_cols] for d in dumps], dtype=np.int64),
            columns=int_cols, index=index))
    if float_cols:
        nan = math.nan
        parts.append(pd.DataFrame(
            np.array([[float(d.get(k, nan)) for k in float_cols] for d in dumps],
                     dtype=np.float64),
            columns=float_cols, index=index))
    if obj_cols:
        parts.append(pd.DataFrame(
            np.array([[d[k] for k in obj_cols] for d in dumps], dtype=object),
            columns=obj_cols, index=index))
    if not parts:
        return pd.DataFrame(index=index)
    df = parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)
    if list(df.columns) != cols:
        df = df[cols]
    return df


def read_stats(path, *, with_pdf: bool = False, duplicates: str = "error") -> pd.DataFrame:
    """A gem5-format stats.txt as a DataFrame: one row per dump, one column
    per stat (``name``, ``name::sub``, ``name::samples``, ``name::0-3``, ...).
    Raises :class:`StatsFormatError` (file and line) on malformed input."""
    dumps = parse_stats_text(_read_text(path), path, with_pdf=with_pdf,
                             duplicates=duplicates)
    return _frame(dumps)


def read_stats_descriptions(path) -> pd.DataFrame:
    """name, description and unit of every stat in a stats.txt (first dump in
    which each name appears)."""
    _, descs = parse_stats_text(_read_text(path), path, descriptions=True)
    return pd.DataFrame(
        {"name": list(descs), "description": [d for d, _ in descs.values()],
         "unit": [u for _, u in descs.values()]})


def _json_value(v, where: str):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    if v is None:
        return math.nan
    if isinstance(v, str):
        x = _value(v.strip())
        if x is not None:
            return x
    raise StatsFormatError(f"{where}: value {v!r} is not a number")


def read_stats_json(path) -> pd.DataFrame:
    """npusim's stats.json (``{"dumps": [{"name": value, ...}, ...]}``, vectors
    as ``name::sub`` keys) as the same DataFrame shape as :func:`read_stats`."""
    name = os.fspath(path)
    doc = load_json(name, StatsFormatError, "a stats.json")
    if not isinstance(doc, dict) or not isinstance(doc.get("dumps"), list):
        raise StatsFormatError(f"{name}: expected an object with a 'dumps' list")
    dumps = []
    for i, d in enumerate(doc["dumps"]):
        if not isinstance(d, dict):
            raise StatsFormatError(f"{name}: dump {i} is not an object")
        dumps.append({k: _json_value(v, f"{name}: dump {i}: stat {k!r}") for k, v in d.items()})
    if not dumps:
        raise StatsFormatError(f"{name}: no dumps")
    return _frame(dumps)
