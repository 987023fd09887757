"""Workload container, memory placement, result checking and small code
generation helpers shared by the kernels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ..isa import NPUConfig, PagedMemory, Program, run
from ..isa.interpreter import RunResult

PAGE = 4096
#: Default base of the data segment (page-aligned, far from the PCs).
DATA_BASE = 0x1000_0000
#: float32 unit roundoff times two (the machine epsilon 2**-23).
EPS32 = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class OutputSpec:
    """Where a workload's result lives in memory."""

    address: int
    dtype: np.dtype
    shape: Tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize


@dataclass
class CheckResult:
    ok: bool
    message: str
    max_abs_err: float = 0.0
    n_bad: int = 0

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class Workload:
    """A kernel: its NPU program, the memory image it runs on, and its answer.

    ``memory``   (address, bytes) regions to load before the run.
    ``output``   where the result is written; ``expected`` what it must be.
    ``tolerance`` per-element absolute bound for float results (see
                 :func:`summation_tolerance`); None means exact comparison.
    ``regions``  name -> (address, nbytes) of every array (inputs, outputs
                 and scratch buffers), for debugging and analysis.
    ``info``     facts about the instance (nnz, gathered rows, ...).
    """

    name: str
    program: Program
    memory: List[Tuple[int, bytes]]
    output: OutputSpec
    expected: np.ndarray
    tolerance: Optional[np.ndarray] = None
    params: Dict[str, object] = field(default_factory=dict)
    config: NPUConfig = field(default_factory=NPUConfig)
    regions: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    info: Dict[str, object] = field(default_factory=dict)

    def memory_image(self) -> PagedMemory:
        return PagedMemory(self.memory)

    def read_output(self, read_bytes: Callable[[int, int], bytes]) -> np.ndarray:
        raw = read_bytes(self.output.address, self.output.nbytes)
        return np.frombuffer(bytes(raw), dtype=self.output.dtype).reshape(self.output.shape)

    def check(self, read_bytes: Callable[[int, int], bytes]) -> CheckResult:
        """Compare the output region (read with ``read_bytes(addr, nbytes)``)
        with ``expected``: exactly for integers (and when ``tolerance`` is
        None), else elementwise ``|got - expected| <= tolerance``."""
        got = self.read_output(read_bytes)
        exp = self.expected
        if np.issubdtype(exp.dtype, np.integer) or self.tolerance is None:
            bad = got != exp
            if np.issubdtype(exp.dtype, np.floating):
                bad &= ~(np.isnan(got) & np.isnan(exp))
            n_bad = int(np.count_nonzero(bad))
            if n_bad == 0:
                return CheckResult(True, f"{self.name}: exact match ({exp.size} elements)")
            first = np.argwhere(bad)[0]
            return CheckResult(False, f"{self.name}: {n_bad} of {exp.size} elements differ; first at "
                                      f"{tuple(first)}: got {got[tuple(first)]}, expected {exp[tuple(first)]}",
                               n_bad=n_bad)
        err = np.abs(got.astype(np.float64) - exp.astype(np.float64))
        bad = ~(err <= self.tolerance)  # NaN counts as bad
        n_bad = int(np.count_nonzero(bad))
        max_err = float(np.nanmax(err)) if err.size else 0.0
        if n_bad == 0:
            return CheckResult(True, f"{self.name}: {exp.size} elements within tolerance "
                                     f"(max abs err {max_err:.3g})", max_abs_err=max_err)
        first = tuple(np.argwhere(bad)[0])
        return CheckResult(False, f"{self.name}: {n_bad} of {exp.size} elements outside tolerance; "
                                  f"first at {first}: got {got[first]!r}, expected {exp[first]!r}, "
                                  f"tolerance {self.tolerance[first]:.3g}",
                           max_abs_err=max_err, n_bad=n_bad)

    def run(self, **kwargs) -> Tuple[RunResult, CheckResult]:
        """Run the golden interpreter on a fresh memory image and check."""
        res = run(self.program, self.memory_image(), self.config, **kwargs)
        return res, self.check(res.read)

    def summary(self) -> str:
        kv = ", ".join(f"{k}={v}" for k, v in self.info.items())
        return f"{self.name}: {len(self.program)} instructions; {kv}"


def summation_tolerance(magnitude: np.ndarray, terms: int) -> np.ndarray:
    """Per-element error bound for float32 results of sums of products.

    A float32 dot product or recursive sum of ``n`` terms satisfies
    ``|fl(s) - s| <= gamma_n * sum|x_i|`` with ``gamma_n ~ n * u`` and
    ``u = 2**-24`` (Higham, *Accuracy and Stability of Numerical
    Algorithms*, 2nd ed., §3.1). ``magnitude`` is that sum of absolute values
    (computed exactly, in float64, from the same inputs), ``terms`` the
    longest accumulation chain plus the number of other roundings on the way
    (scalings, the final float32 store). We allow ``(terms + 2) * 2**-23``,
    twice the bound's first-order term, so the check holds for any
    summation order (the NPU model may accumulate in a different order than
    the reference) yet still catches any wrong or missing term, whose size
    is of the order of the magnitude itself.
    """
    return (terms + 2) * EPS32 * np.asarray(magnitude, dtype=np.float64)


class Allocator:
    """Places arrays at page-aligned, non-overlapping DRAM addresses.

    Each array gets its own pages, followed by at least one unused guard
    page, so DMA over-reads of a fixed-size chunk at the end of an array
    never touch the next one.
    """

    def __init__(self, base: int = DATA_BASE, align: int = PAGE, guard: int = PAGE):
        self.next = int(base)
        self.align = align
        self.guard = guard
        self.regions: Dict[str, Tuple[int, int]] = {}
        self.memory: List[Tuple[int, bytes]] = []

    def reserve(self, name: str, nbytes: int) -> int:
        """Address space for an array the program writes (not loaded)."""
        if name in self.regions:
            raise ValueError(f"region {name!r} allocated twice")
        addr = self.next
        size = max(int(nbytes), 1)
        self.next = addr + -(-size // self.align) * self.align + self.guard
        self.regions[name] = (addr, int(nbytes))
        return addr

    def place(self, name: str, array: np.ndarray) -> int:
        """Allocate and record the bytes of ``array`` (C order, its dtype)."""
        data = np.ascontiguousarray(array).tobytes()
        addr = self.reserve(name, len(data))
        if data:
            self.memory.append((addr, data))
        return addr


class SpadLayout:
    """Row-aligned static allocation of scratchpad / accumulator buffers.

    Buffers are placed first-fit from address 0 (so a program that never
    asks for a bank gets consecutive buffers). ``bank=b`` places a buffer
    inside bank ``b`` of ``banks`` equal, contiguous banks (Gemmini's
    block mapping, the NPU's default of 4 scratchpad banks), as a compiler
    does to keep the DMA engine's writes, the array's operands and the
    vector unit's reads on different banks; if the bank is full the buffer
    goes anywhere it fits."""

    def __init__(self, cfg: NPUConfig, banks: int = 4):
        self.cfg = cfg
        self.banks = banks
        self.top = [0, 0]
        self.used: Tuple[List, List] = ([], [])
        self.buffers: Dict[str, Tuple[int, int, int]] = {}

    def _fit(self, space: int, size: int, lo: int, hi: int):
        addr = lo
        for a, b in sorted(self.used[space]):
            if b <= addr:
                continue
            if a >= addr + size:
                break
            addr = b
        return addr if addr + size <= hi else None

    def alloc(self, name: str, nbytes: int, space: int = 0, bank: int = None) -> int:
        rb = self.cfg.row_bytes
        size = -(-int(nbytes) // rb) * rb
        total = self.cfg.space_bytes(space)
        addr = None
        if bank is not None:
            span = total // self.banks
            addr = self._fit(space, size, (bank % self.banks) * span, (bank % self.banks + 1) * span)
        if addr is None:
            addr = self._fit(space, size, 0, total)
        if addr is None:
            where = "accumulator" if space else "scratchpad"
            raise ValueError(f"buffer {name!r} ({nbytes} bytes) does not fit in the {where} "
                             f"({total} bytes, {sum(b - a for a, b in self.used[space])} used); use a smaller "
                             f"shape or a larger NPU")
        self.used[space].append((addr, addr + size))
        self.top[space] = max(self.top[space], addr + size)
        self.buffers[name] = (space, addr, size)
        return addr


class Regs:
    """Named scalar registers, handed out r1, r2, ... (r0 is zero)."""

    def __init__(self, cfg: NPUConfig):
        self.cfg = cfg
        self.names: Dict[str, int] = {}

    def __getitem__(self, name: str) -> int:
        if name not in self.names:
            r = len(self.names) + 1
            if r >= self.cfg.num_regs:
                raise ValueError("out of scalar registers")
            self.names[name] = r
        return self.names[name]

    def many(self, *names: str) -> List[int]:
        return [self[n] for n in names]


def emit_min(p: Program, rd: int, ra: int, rb: int) -> None:
    """rd = min(ra, rb) (signed), the way a compiler lowers it: copy + branch."""
    skip = p.new_label("min")
    if rd != ra:
        p.mov(rd, ra)
    p.blt(ra, rb, skip)
    p.mov(rd, rb)
    p.label(skip)


def f32_bits_u(value: float) -> int:
    return int(np.float32(value).view(np.uint32))


def rng_for(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *salt])
