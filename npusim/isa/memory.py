"""A sparse, paged byte-addressed memory image for the functional interpreter."""

from __future__ import annotations

from typing import Dict, Iterable, Tuple, Union

import numpy as np

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
_PAGE_MASK = PAGE_SIZE - 1

BytesLike = Union[bytes, bytearray, memoryview, np.ndarray]


class PagedMemory:
    """Byte-addressed memory made of 4 KiB pages allocated on first write.

    Unwritten bytes read as zero. Multi-row reads and writes are vectorised
    (one numpy gather over all bytes of all rows), so gathers of thousands
    of rows cost about as much as one.
    """

    def __init__(self, regions: Iterable[Tuple[int, BytesLike]] = ()):
        self.pages: Dict[int, np.ndarray] = {}
        for addr, data in regions:
            self.write(addr, data)

    # ---- contiguous access ---------------------------------------------
    def _page(self, pno: int) -> np.ndarray:
        page = self.pages.get(pno)
        if page is None:
            page = np.zeros(PAGE_SIZE, dtype=np.uint8)
            self.pages[pno] = page
        return page

    def write(self, addr: int, data: BytesLike) -> None:
        buf = np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray) \
            else np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        addr = int(addr)
        if addr < 0:
            raise ValueError(f"negative address {addr:#x}")
        pos, n = 0, buf.size
        while pos < n:
            a = addr + pos
            off = a & _PAGE_MASK
            take = min(PAGE_SIZE - off, n - pos)
            self._page(a >> PAGE_SHIFT)[off:off + take] = buf[pos:pos + take]
            pos += take

    def read(self, addr: int, nbytes: int) -> np.ndarray:
        """``nbytes`` bytes at ``addr`` as a new uint8 array."""
        addr, nbytes = int(addr), int(nbytes)
        off = addr & _PAGE_MASK
        if off + nbytes <= PAGE_SIZE:  # fast path: inside one page
            page = self.pages.get(addr >> PAGE_SHIFT)
            if page is None:
                return np.zeros(nbytes, dtype=np.uint8)
            return page[off:off + nbytes].copy()
        out = np.zeros(nbytes, dtype=np.uint8)
        pos = 0
        while pos < nbytes:
            a = addr + pos
            o = a & _PAGE_MASK
            take = min(PAGE_SIZE - o, nbytes - pos)
            page = self.pages.get(a >> PAGE_SHIFT)
            if page is not None:
                out[pos:pos + take] = page[o:o + take]
            pos += take
        return out

    def read_bytes(self, addr: int, nbytes: int) -> bytes:
        return self.read(addr, nbytes).tobytes()

    def read_int(self, addr: int, size: int, signed: bool = True) -> int:
        return int.from_bytes(self.read(addr, size).tobytes(), "little", signed=signed)

    def read_array(self, addr: int, dtype, shape) -> np.ndarray:
        dt = np.dtype(dtype)
        n = int(np.prod(shape)) * dt.itemsize
        return self.read(addr, n).view(dt).reshape(shape)

    # ---- row-vectorised access -------------------------------------------
    def _byte_addrs(self, starts: np.ndarray, row_bytes: int) -> np.ndarray:
        return starts.astype(np.int64)[:, None] + np.arange(row_bytes, dtype=np.int64)[None, :]

    def read_rows(self, starts: np.ndarray, row_bytes: int) -> np.ndarray:
        """Rows of ``row_bytes`` at each address of ``starts``: uint8 (n, row_bytes)."""
        starts = np.asarray(starts, dtype=np.int64)
        if starts.size == 1:
            return self.read(int(starts[0]), row_bytes).reshape(1, row_bytes)
        addrs = self._byte_addrs(starts, row_bytes)
        pnos = addrs >> PAGE_SHIFT
        uniq, inv = np.unique(pnos, return_inverse=True)
        zero = None
        stack = []
        for p in uniq.tolist():
            page = self.pages.get(p)
            if page is None:
                if zero is None:
                    zero = np.zeros(PAGE_SIZE, dtype=np.uint8)
                page = zero
            stack.append(page)
        table = np.stack(stack)
        return table[inv.reshape(addrs.shape), addrs & _PAGE_MASK]

    def write_rows(self, starts: np.ndarray, data: np.ndarray) -> None:
        """Write row i of ``data`` (uint8 (n, row_bytes)) at ``starts[i]``, in order.

        Later rows win where rows overlap (as sequential stores would).
        """
        starts = np.asarray(starts, dtype=np.int64)
        data = np.asarray(data, dtype=np.uint8)
        n, rb = data.shape
        # Sequential semantics with overlap: only write each byte's last value.
        addrs = self._byte_addrs(starts, rb).reshape(-1)
        flat = data.reshape(-1)
        if n > 1:
            # keep the last occurrence of every address
            rev_u, rev_first = np.unique(addrs[::-1], return_index=True)
            keep = addrs.size - 1 - rev_first
            addrs, flat = addrs[keep], flat[keep]
        pnos = addrs >> PAGE_SHIFT
        order = np.argsort(pnos, kind="stable")
        addrs, flat, pnos = addrs[order], flat[order], pnos[order]
        bounds = np.flatnonzero(np.diff(pnos)) + 1
        for lo, hi in zip(np.r_[0, bounds].tolist(), np.r_[bounds, addrs.size].tolist()):
            page = self._page(int(pnos[lo]))
            page[addrs[lo:hi] & _PAGE_MASK] = flat[lo:hi]

    # ---- misc -------------------------------------------------------------
    def regions(self):
        """Contiguous runs of allocated pages as (address, bytes)."""
        out = []
        for p in sorted(self.pages):
            if out and out[-1][0] + len(out[-1][1]) == p << PAGE_SHIFT:
                out[-1][1].extend(self.pages[p].tobytes())
            else:
                out.append((p << PAGE_SHIFT, bytearray(self.pages[p].tobytes())))
        return [(a, bytes(b)) for a, b in out]

    def copy(self) -> "PagedMemory":
        m = PagedMemory()
        m.pages = {k: v.copy() for k, v in self.pages.items()}
        return m

    @property
    def footprint(self) -> int:
        return len(self.pages) * PAGE_SIZE
