"""Memory images of reference kernels.

A reference kernel folder describes the arrays its kernel reads:

- ``regions.txt``: one region a line, ``name virtual_base element_size count``
  (``#`` starts a comment);
- ``<name>.bin.gz`` (or ``<name>.bin``): the region's raw bytes,
  ``element_size * count`` of them;
- ``pages.csv``: ``region,page,virtual,physical``, one row per 4 KiB virtual
  page of a region: page ``p`` is the page-aligned virtual address
  ``(virtual_base & ~0xfff) + p * 4096`` and ``physical`` is the physical page
  behind it.

:func:`build_memory_image` turns these into ``(physical_address, bytes)``
chunks, so simulated physical memory can hold every array's real values at
the physical addresses that the trace uses.  A region whose virtual base is
not page-aligned starts mid-page: its first chunk starts at the physical
page plus the base's page offset.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "PAGE_SIZE",
    "MemoryImageError",
    "Region",
    "MemoryChunk",
    "MemoryImage",
    "read_regions",
    "read_pages",
    "read_region_data",
    "build_memory_image",
    "load_memory_image",
]

PAGE_SIZE = 4096
_PAGE_MASK = PAGE_SIZE - 1


class MemoryImageError(ValueError):
    """The memory-image files of a kernel folder are inconsistent."""


@dataclass(frozen=True)
class Region:
    """One array of the kernel: ``count`` elements of ``element_size`` bytes
    at virtual address ``vbase``."""

    name: str
    vbase: int
    element_size: int
    count: int

    @property
    def nbytes(self) -> int:
        return self.element_size * self.count

    @property
    def first_page_va(self) -> int:
        return self.vbase & ~_PAGE_MASK

    @property
    def npages(self) -> int:
        if self.nbytes == 0:
            return 0
        return ((self.vbase + self.nbytes - 1) >> 12) - (self.vbase >> 12) + 1


class MemoryChunk(NamedTuple):
    """``data`` belongs at physical address ``addr``."""

    addr: int
    data: bytes


_ADDR_LIMIT = 1 << 64


def _parse_int(text: str) -> int:
    return int(text.strip(), 0)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise MemoryImageError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise MemoryImageError(f"{path}: byte {e.start}: not UTF-8 text") from None


def read_regions(kernel_dir) -> list[Region]:
    """Parse ``regions.txt`` of a kernel folder."""
    path = Path(kernel_dir) / "regions.txt"
    lines = _read_text(path).splitlines()
    regions: list[Region] = []
    seen = set()
    for lineno, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 4:
            raise MemoryImageError(
                f"{path}: line {lineno}: expected 'name virtual_base element_size count', "
                f"got {line.strip()!r}")
        name = parts[0]
        try:
            vbase, esize, count = (_parse_int(p) for p in parts[1:])
        except ValueError:
            raise MemoryImageError(f"{path}: line {lineno}: region {name!r}: "
                                   f"non-numeric field in {line.strip()!r}") from None
        if vbase < 0 or esize <= 0 or count < 0:
            raise MemoryImageError(f"{path}: line {lineno}: region {name!r}: "
                                   f"invalid base/element size/count")
        if vbase + esize * count > _ADDR_LIMIT:
            raise MemoryImageError(f"{path}: line {lineno}: region {name!r}: "
                                   f"[{vbase:#x}, {vbase + esize * count:#x}) runs past the "
                                   f"64-bit address space")
        if name in seen:
            raise MemoryImageError(f"{path}: line {lineno}: region {name!r} listed twice")
        seen.add(name)
        regions.append(Region(name, vbase, esize, count))
    return regions


def read_pages(kernel_dir) -> dict[str, dict[int, tuple[int, int]]]:
    """Parse ``pages.csv``: region -> {page index: (virtual page, physical page)}."""
    path = Path(kernel_dir) / "pages.csv"
    text = _read_text(path)
    rows = csv.reader(io.StringIO(text))
    pages: dict[str, dict[int, tuple[int, int]]] = {}
    header = None
    for lineno, row in enumerate(rows, start=1):
        if not row or all(not c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            if header != ["region", "page", "virtual", "physical"]:
                raise MemoryImageError(f"{path}: line {lineno}: expected header "
                                       f"'region,page,virtual,physical', got {','.join(row)!r}")
            continue
        if len(row) != 4:
            raise MemoryImageError(f"{path}: line {lineno}: expected 4 fields, got {len(row)}")
        region = row[0].strip()
        try:
            page, virt, phys = (_parse_int(c) for c in row[1:])
        except ValueError:
            raise MemoryImageError(f"{path}: line {lineno}: region {region!r}: "
                                   f"non-numeric page/virtual/physical") from None
        if page < 0 or not 0 <= virt < _ADDR_LIMIT or not 0 <= phys < _ADDR_LIMIT:
            raise MemoryImageError(f"{path}: line {lineno}: region {region!r}: page index, "
                                   f"virtual and physical address must be non-negative and "
                                   f"addresses below 2**64, got {','.join(row[1:])}")
        if phys & _PAGE_MASK or virt & _PAGE_MASK:
            raise MemoryImageError(f"{path}: line {lineno}: region {region!r} page {page}: "
                                   f"addresses must be 4 KiB aligned")
        entry = pages.setdefault(region, {})
        if page in entry and entry[page] != (virt, phys):
            raise MemoryImageError(f"{path}: line {lineno}: region {region!r} page {page} "
                                   f"mapped twice, differently")
        entry[page] = (virt, phys)
    if header is None:
        raise MemoryImageError(f"{path}: empty file (no header)")
    return pages


def read_region_data(kernel_dir, region: Region) -> bytes:
    """The raw bytes of a region (``<name>.bin.gz`` or ``<name>.bin``), checked
    against ``element_size * count``."""
    kdir = Path(kernel_dir)
    gz = kdir / f"{region.name}.bin.gz"
    raw = kdir / f"{region.name}.bin"
    if gz.exists():
        path = gz
        try:
            data = gzip.decompress(gz.read_bytes())
        except (OSError, EOFError, zlib.error) as e:
            raise MemoryImageError(f"{gz}: region {region.name!r}: corrupt gzip ({e})") from None
    elif raw.exists():
        path = raw
        data = raw.read_bytes()
    else:
        raise MemoryImageError(f"{gz}: region {region.name!r}: data file missing "
                               f"(neither {gz.name} nor {raw.name} exists)")
    if len(data) != region.nbytes:
        raise MemoryImageError(
            f"{path}: region {region.name!r}: holds {len(data)} bytes, but regions.txt "
            f"says {region.element_size} x {region.count} = {region.nbytes}")
    return data


def _region_chunks(region: Region, data: bytes, pages: dict[int, tuple[int, int]],
                   pages_path) -> list[MemoryChunk]:
    chunks: list[MemoryChunk] = []
    beyond = [p for p in pages if p >= region.npages]
    if beyond:
        raise MemoryImageError(
            f"{pages_path}: region {region.name!r}: page {min(beyond)} is beyond the "
            f"region's {region.npages} pages ({region.nbytes} bytes at {region.vbase:#x} "
            f"in regions.txt)")
    first_va = region.first_page_va
    end_va = region.vbase + region.nbytes
    cur_addr = None
    cur_len = 0
    cur_parts: list[bytes] = []
    for p in range(region.npages):
        if p not in pages:
            raise MemoryImageError(
                f"{pages_path}: region {region.name!r}: no mapping for page {p} "
                f"(virtual {first_va + p * PAGE_SIZE:#x}); the region needs "
                f"{region.npages} pages")
        virt, phys = pages[p]
        want = first_va + p * PAGE_SIZE
        if virt != want:
            raise MemoryImageError(
                f"{pages_path}: region {region.name!r} page {p}: virtual {virt:#x}, "
                f"expected {want:#x} from the region base {region.vbase:#x}")
        lo = max(region.vbase, want)
        hi = min(end_va, want + PAGE_SIZE)
        addr = phys + (lo - want)
        piece = data[lo - region.vbase:hi - region.vbase]
        if cur_addr is not None and cur_addr + cur_len == addr:
            cur_parts.append(piece)  # physically contiguous with the previous page
        else:
            if cur_addr is not None:
                chunks.append(MemoryChunk(cur_addr, b"".join(cur_parts)))
            cur_addr, cur_parts, cur_len = addr, [piece], 0
        cur_len += len(piece)
    if cur_addr is not None:
        chunks.append(MemoryChunk(cur_addr, b"".join(cur_parts)))
    return chunks


def build_memory_image(kernel_dir) -> list[MemoryChunk]:
    """``[(physical_address, bytes), ...]`` holding every region of the kernel
    folder at the physical addresses its pages map to.  Physically contiguous
    pages of a region are merged into one chunk."""
    return load_memory_image(kernel_dir).chunks


@dataclass
class MemoryImage:
    """Regions, page maps and physical chunks of a kernel folder."""

    regions: list[Region]
    pages: dict[str, dict[int, tuple[int, int]]]
    chunks: list[MemoryChunk]
    data: dict[str, bytes] = field(default_factory=dict, repr=False)

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(f"no region {name!r}; regions are {[r.name for r in self.regions]}")

    def translate(self, vaddr: int) -> int:
        """Physical address of a virtual address inside one of the regions."""
        for r in self.regions:
            if r.vbase <= vaddr < r.vbase + r.nbytes:
                p = (vaddr >> 12) - (r.vbase >> 12)
                return self.pages[r.name][p][1] + (vaddr & _PAGE_MASK)
        raise KeyError(f"virtual address {vaddr:#x} is in no region")

    def element_address(self, name: str, index: int) -> int:
        """Physical address of element ``index`` of region ``name``."""
        r = self.region(name)
        if not 0 <= index < r.count:
            raise IndexError(f"region {name!r} has {r.count} elements, not {index + 1}")
        return self.translate(r.vbase + index * r.element_size)

    def read(self, paddr: int, size: int) -> bytes:
        """``size`` bytes at physical address ``paddr`` (must lie in one chunk)."""
        for addr, data in self.chunks:
            if addr <= paddr and paddr + size <= addr + len(data):
                return data[paddr - addr:paddr - addr + size]
        raise KeyError(f"[{paddr:#x}, {paddr + size:#x}) is not inside one chunk")

    def array(self, name: str, dtype) -> np.ndarray:
        """The region's bytes viewed as a numpy array of ``dtype``."""
        return np.frombuffer(self.data[name], dtype=dtype)

    @property
    def nbytes(self) -> int:
        return sum(len(d) for _, d in self.chunks)


def load_memory_image(kernel_dir) -> MemoryImage:
    """Read ``regions.txt``, ``pages.csv`` and the region data of a folder."""
    kdir = Path(kernel_dir)
    regions = read_regions(kdir)
    pages = read_pages(kdir)
    names = {r.name for r in regions}
    for name in pages:
        if name not in names:
            raise MemoryImageError(f"{kdir / 'pages.csv'}: region {name!r} is not in "
                                   f"regions.txt")
    physical_of: dict[int, tuple[int, str]] = {}  # virtual page -> (physical page, region)
    for r in regions:
        for virt, phys in pages.get(r.name, {}).values():
            other = physical_of.setdefault(virt, (phys, r.name))
            if other[0] != phys:
                raise MemoryImageError(
                    f"{kdir / 'pages.csv'}: virtual page {virt:#x} maps to physical "
                    f"{other[0]:#x} for region {other[1]!r} but to {phys:#x} for region "
                    f"{r.name!r}")
    chunks: list[MemoryChunk] = []
    data: dict[str, bytes] = {}
    for r in regions:
        data[r.name] = read_region_data(kdir, r)
        chunks.extend(_region_chunks(r, data[r.name], pages.get(r.name, {}),
                                     kdir / "pages.csv"))
    # overlapping chunks would make the image ambiguous
    spans = sorted((a, a + len(d)) for a, d in chunks)
    for (a0, e0), (a1, _) in zip(spans, spans[1:]):
        if a1 < e0:
            raise MemoryImageError(f"{kdir / 'pages.csv'}: physical ranges overlap at "
                                   f"{a1:#x}")
    return MemoryImage(regions, pages, chunks, data)
