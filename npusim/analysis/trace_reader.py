"""Debug-trace output (``npusim --debug-flags=... --debug-file=trace.out``,
or gem5's own ``--debug-file``) -> pandas: one row per line, with the tick,
the object and the message, e.g. to count a cache's misses per microsecond
or to follow one packet id through the hierarchy::

    t = read_trace("m5out/trace.out")
    t[t.object == "system.l2"].message.str.endswith("miss (13 cycles)")
"""

from __future__ import annotations

import gzip
import os
import re
import zlib

import pandas as pd

from ..traces.gzip_magic import is_gzipped
from .stats_reader import StatsFormatError

# gem5's DPRINTF layout, which npusim's trace points follow: "<tick>: <object>: <message>"
_LINE = re.compile(r"^\s*(\d+): ([^:\s]+): (.*)$")


def read_trace(path) -> pd.DataFrame:
    """Columns tick (int64), object, message, in file order. A line that is
    not a trace line (a script's own output mixed into stdout) is skipped.
    A gzipped trace (gem5's --debug-file=trace.out.gz) is read as well."""
    ticks, objects, messages = [], [], []
    name = os.fspath(path)
    try:
        with (gzip.open if is_gzipped(name) else open)(name, "rt", encoding="utf-8") as f:
            for line in f:
                m = _LINE.match(line)
                if m:
                    ticks.append(int(m.group(1)))
                    objects.append(m.group(2))
                    messages.append(m.group(3).rstrip("\n"))
    except UnicodeDecodeError as e:
        raise StatsFormatError(f"{name}: byte {e.start}: not UTF-8 text, so not a trace") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise StatsFormatError(f"{name}: corrupt or truncated gzip file ({e})") from None
    return pd.DataFrame({"tick": pd.Series(ticks, dtype="int64"), "object": objects, "message": messages})
