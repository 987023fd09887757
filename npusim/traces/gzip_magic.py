"""Whether a file is gzipped, told by its first bytes rather than its name
(gem5 writes .gz traces and stats, and files get renamed)."""

from __future__ import annotations

GZIP_MAGIC = b"\x1f\x8b"


def is_gzipped(path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(GZIP_MAGIC)) == GZIP_MAGIC
