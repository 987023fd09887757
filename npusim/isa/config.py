"""Static parameters of the NPU that the ISA depends on."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NPUConfig:
    """Geometry the validator and the interpreter check programs against.

    ``dim``         systolic array is dim x dim; a scratchpad/accumulator row
                    holds ``dim`` float32 elements (``row_bytes = 4 * dim``).
    ``spad_bytes``  scratchpad size in bytes (byte addresses 0..spad_bytes-1).
    ``acc_bytes``   accumulator size in bytes (a separate address space).
    ``num_regs``    scalar registers (r0 is hard-wired to zero).
    ``mem_bytes``   size of the DRAM address space; every DRAM byte accessed
                    must lie in [0, mem_bytes).
    """

    dim: int = 16
    spad_bytes: int = 256 * 1024
    acc_bytes: int = 64 * 1024
    num_regs: int = 32
    mem_bytes: int = 1 << 48

    ELEM_BYTES = 4  # float32 everywhere in scratchpad / accumulator

    def __post_init__(self):
        if self.dim < 1:
            raise ValueError("dim must be >= 1")
        for name in ("spad_bytes", "acc_bytes"):
            v = getattr(self, name)
            if v < self.row_bytes or v % self.row_bytes:
                raise ValueError(f"{name}={v} must be a positive multiple of the row size {self.row_bytes}")
        if not 2 <= self.num_regs <= 1 << 16:
            raise ValueError("num_regs out of range")
        if self.mem_bytes < 1:
            raise ValueError(f"mem_bytes={self.mem_bytes} must be >= 1")

    @property
    def row_bytes(self) -> int:
        """Bytes in one scratchpad / accumulator row (DIM float32)."""
        return self.dim * self.ELEM_BYTES

    def pitch(self, row_bytes: int) -> int:
        """Scratchpad bytes occupied by one transferred row of ``row_bytes``.

        Every row moved by mvin/mvout/gather/scatter starts on a scratchpad
        row boundary: the pitch is ``row_bytes`` rounded up to whole
        scratchpad rows (== row_bytes when it is a multiple of 4*DIM).
        """
        rb = self.row_bytes
        return -(-row_bytes // rb) * rb

    def space_bytes(self, space: int) -> int:
        return self.acc_bytes if space else self.spad_bytes

    @classmethod
    def coerce(cls, obj=None) -> "NPUConfig":
        """Accept an NPUConfig, None (defaults), a dict, or any object with
        attributes named like the fields (``spad_size``/``acc_size`` are
        accepted as aliases, as a SimObject's params may call them)."""
        if obj is None:
            return cls()
        if isinstance(obj, cls):
            return obj
        aliases = {"spad_bytes": ("spad_bytes", "spad_size", "scratchpad_size"),
                   "acc_bytes": ("acc_bytes", "acc_size", "accumulator_size"),
                   "dim": ("dim",), "num_regs": ("num_regs",), "mem_bytes": ("mem_bytes",)}
        get = (lambda k: obj.get(k)) if isinstance(obj, dict) else (lambda k: getattr(obj, k, None))
        kw = {}
        for field, names in aliases.items():
            for n in names:
                v = get(n)
                if v is not None:
                    if isinstance(v, (bool, np.bool_, str, bytes)) or \
                            (isinstance(v, numbers.Real) and v != int(v)):
                        raise ValueError(f"NPU config {n}={v!r} is not an integer")
                    kw[field] = int(v)
                    break
        return cls(**kw)
