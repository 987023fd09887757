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
Also read: ``name value (Unit)`` (a stat without a description), a pdf
without a cdf, the ``desc=False``/``spaces=False`` variants, and the
``oneline`` flag's ``name |v [pct cum-pct] |v ...`` lines (see
:func:`_parse_line` for their column names).

:func:`read_stats` returns a DataFrame with one row per dump and one column
per stat name (the text before the value, so ``name::sub`` for entries).
Values are ``int`` where the text is an integer, ``float`` otherwise
(``nan``/``inf``/``-inf`` included); integers are kept exact (an object
column where float64 could not hold them).  The percentage columns are dropped
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
        try:
            return int(text)
        except ValueError:      # beyond Python's int-from-text digit limit
            return None
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


def _bad_line(name_of, lineno, line, why=""):
    return StatsFormatError(
        f"{name_of}: line {lineno}: cannot parse stat line{why} (expected 'name value "
        f"[pct cum-pct] # description'): {line.strip()[:100]!r}")


def _duplicate(name_of, lineno, name, begin_line):
    return StatsFormatError(
        f"{name_of}: line {lineno}: stat {name!r} appears twice in the dump begun at line "
        f"{begin_line} (read_stats(..., duplicates='first' or 'last') keeps one)")


def _number(text, name, name_of, lineno):
    v = _value(text)
    if v is None:
        raise StatsFormatError(f"{name_of}: line {lineno}: value {text!r} of {name!r} "
                               f"is not a number")
    return v


def _pcts(tokens, name, name_of, lineno):
    """The pdf and cdf columns after a value: none, both, or the pdf alone
    (gem5 leaves out a nan cdf, as after an inf/inf entry)."""
    out = [None, None]
    for i, t in enumerate(tokens):
        out[i] = _pct(t)
        if out[i] is None:
            raise StatsFormatError(
                f"{name_of}: line {lineno}: expected one or two percentages after the value of "
                f"{name!r}, got {' '.join(tokens)!r}")
    return out


def _g(x: float) -> str:
    """A number as C++'s default ostream writes it (gem5's bucket names)."""
    return format(float(x), "g")


def _parse_line(parts, cur, name_of, lineno, line):
    """Every stat line form but the plain 'name value': returns a list of
    (name, value, pdf, cdf) and the unit written without a description.

    * ``name value [pdf% [cdf%]] [(Unit)]``: gem5 prints the unit, without
      '#', when a stat has no description; and a pdf without a cdf when the
      running cdf is nan.
    * ``name |v [pdf% cdf%] |v ...``: the ``oneline`` flag.  A distribution's
      buckets get the names they have without it (``name::0-3``), from the
      ``name::bucket_size``/``min_bucket``/``max_bucket`` lines before (a
      missing min/max line is a zero left out by ``nozero``); a vector's
      entries, whose names gem5 does not print, are ``name::0``, ``name::1``, ...
    """
    unit = ""
    for j in range(1, len(parts)):
        if parts[j][0] == "(":
            text = " ".join(parts[j:])
            if not text.endswith(")"):
                raise _bad_line(name_of, lineno, line, " (unclosed unit)")
            unit = text[1:-1]
            parts = parts[:j]
            break
    if len(parts) < 2:
        raise _bad_line(name_of, lineno, line)
    name = parts[0]
    if parts[1][0] != "|":
        if len(parts) > 4 or "|" in "".join(parts):
            raise _bad_line(name_of, lineno, line)
        if len(parts) == 3 and not parts[2].endswith("%"):
            raise _bad_line(name_of, lineno, line)
        value = _number(parts[1], name, name_of, lineno)
        pdf, cdf = _pcts(parts[2:], name, name_of, lineno)
        return [(name, value, pdf, cdf)], unit
    rest = " ".join(parts[1:])
    cells = rest.split("|")[1:]
    size = cur.get(name + "::bucket_size")
    if size is not None:
        low0 = cur.get(name + "::min_bucket", 0)
        top = cur.get(name + "::max_bucket", 0)
    entries = []
    for i, cell in enumerate(cells):
        tokens = cell.split()
        if not 1 <= len(tokens) <= 3:
            raise _bad_line(name_of, lineno, line, f" (entry {i} of a oneline stat)")
        if size is None:
            sub = str(i)
        else:
            low = i * size + low0
            high = min(low + size - 1.0, top)
            sub = _g(low) + "-" + _g(high) if low < high else _g(low)
        value = _number(tokens[0], name, name_of, lineno)
        pdf, cdf = _pcts(tokens[1:], name, name_of, lineno)
        entries.append((name + "::" + sub, value, pdf, cdf))
    return entries, unit


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
        # the common forms inline: 'name value' and 'name value pdf% cdf%'
        if n == 2 and (value := _value(parts[1])) is not None:
            entries, unit = ((parts[0], value, None, None),), ""
        elif (n == 4 and (value := _value(parts[1])) is not None
              and (pdf := _pct(parts[2])) is not None and (cdf := _pct(parts[3])) is not None):
            entries, unit = ((parts[0], value, pdf, cdf),), ""
        else:   # every other form, and errors
            entries, unit = _parse_line(parts, cur, name_of, lineno, line)
        for name, value, pdf, cdf in entries:
            if name in cur and duplicates != "last":
                if duplicates == "error":
                    raise _duplicate(name_of, lineno, name, begin_line)
                continue
            if with_pdf:
                if pdf is not None:
                    cur[name + "::pdf"] = pdf
                if cdf is not None:
                    cur[name + "::cdf"] = cdf
            cur[name] = value
            if descriptions and name not in descs:
                descs[name] = _split_unit(comment) if comment is not None else ("", unit)
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
            with gzip.open(p, "rt", encoding="utf-8-sig", errors="replace") as f:
                return f.read()
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:   # bare, these name no file
            raise StatsFormatError(f"{p}: corrupt or truncated gzip file ({e})") from None
    with open(p, encoding="utf-8-sig", errors="replace") as f:
        return f.read()


_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_F64_INT_MIN, _F64_INT_MAX = -(1 << 53), 1 << 53     # float64 holds every int between


def _frame(dumps: list[dict]) -> pd.DataFrame:
    """One row per dump, columns in first-appearance order.  A column is int64
    when every dump has an integer for it, float64 otherwise (missing -> NaN);
    integers beyond int64, and integers that float64 cannot hold exactly in a
    column that is not all-integer, stay exact Python ints (object column)."""
    columns: dict[str, None] = dict.fromkeys(dumps[0])
    for d in dumps[1:]:
        for k in d:
            columns.setdefault(k)
    cols = list(columns)
    int_cols, float_cols, obj_cols = [], [], []
    nan = math.nan
    for k in cols:
        is_int = True
        big = False
        for d in dumps:
            v = d.get(k)
            if type(v) is not int:
                is_int = False
            elif not _F64_INT_MIN <= v <= _F64_INT_MAX:
                big = True
        if is_int:
            if big and any(not _I64_MIN <= d[k] <= _I64_MAX for d in dumps):
                obj_cols.append(k)
            else:
                int_cols.append(k)
        elif big and any(type(v) is int and not _F64_INT_MIN <= v <= _F64_INT_MAX
                         and (v.bit_length() >= 1024 or float(v) != v)
                         for v in (d.get(k) for d in dumps)):
            obj_cols.append(k)
        else:
            float_cols.append(k)
    index = pd.RangeIndex(len(dumps), name="dump")
    parts = []
    if int_cols:
        parts.append(pd.DataFrame(
            np.array([[d[k] for k in int_cols] for d in dumps], dtype=np.int64),
            columns=int_cols, index=index))
    if float_cols:
        parts.append(pd.DataFrame(
            np.array([[float(d.get(k, nan)) for k in float_cols] for d in dumps],
                     dtype=np.float64),
            columns=float_cols, index=index))
    if obj_cols:
        parts.append(pd.DataFrame(
            np.array([[d.get(k, nan) for k in obj_cols] for d in dumps], dtype=object),
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
