"""gem5's --stats-file: a file name, or a URL that chooses the format and its
options, ``[text://]stats.txt[?desc=False&spaces=False]``: desc=False leaves
out the descriptions and units, spaces=False the alignment padding. gem5's
other format (``h5://``, HDF5) is not written by npusim."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_TEXT_SCHEMES = ("", "text", "file")
_TEXT_OPTIONS = ("desc", "spaces")


@dataclass(frozen=True)
class StatsFile:
    path: str            # the file, relative to the output directory unless absolute
    desc: bool = True    # "# description (Unit)" at the end of each line
    spaces: bool = True  # names padded to 40 columns, values to 12, pdf/cdf to 10


def _flag(spec: str, key: str, text: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = {"true": True, "false": False}.get(text.lower(), text)
    if not isinstance(value, bool):
        if ";" in text:
            # gem5's own docs once wrote desc=False;spaces=False, but Python
            # (3.9.2 on) splits a query at '&' only, so gem5 stops there too
            raise ValueError(f"{spec!r}: {key}={text}: separate options with '&' "
                             f"(text://FILE?desc=False&spaces=False); ';' does not separate them")
        raise ValueError(f"{spec!r}: {key}={text} is not True or False")
    return value


def parse_stats_file(spec: str) -> StatsFile:
    """The stats file and text options that `spec` names; a ValueError
    saying what is wrong otherwise."""
    if not spec:
        raise ValueError("the stats file needs a name")
    url = urlsplit(spec)
    if url.scheme == "h5":
        raise ValueError(f"{spec!r}: npusim writes stats as text only (gem5's h5:// is HDF5)")
    if url.scheme not in _TEXT_SCHEMES:
        raise ValueError(f"{spec!r}: unknown stats file type {url.scheme!r} (give a file name, or text://FILE)")
    if url.fragment or spec.endswith("#"):
        raise ValueError(f"{spec!r}: a '#' would end the file name there (gem5 reads the name as a URL); rename it")
    path = url.netloc + url.path
    if not path:
        raise ValueError(f"{spec!r}: the stats file needs a name")
    options = {}
    for key, values in parse_qs(url.query, keep_blank_values=True).items():
        if key not in _TEXT_OPTIONS:
            raise ValueError(f"{spec!r}: unknown option {key!r} (text stats take {' and '.join(_TEXT_OPTIONS)})")
        if len(values) != 1 or not values[0]:
            raise ValueError(f"{spec!r}: give {key} one value, True or False")
        options[key] = _flag(spec, key, values[0])
    return StatsFile(path, **options)
