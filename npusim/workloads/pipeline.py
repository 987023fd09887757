"""Software-pipelined, double-buffered code for the sparse kernels
(``pipeline=True``): what a compiler for a Gemmini-like NPU emits so that
the DMA engine and the execute units overlap.

The non-pipelined kernels walk their index stream chunk by chunk and reuse
one index buffer and one row buffer, so each chunk's index load, gather and
compute run one after the other. The pipelined kernels cut the *flat* index
stream (all rows' nonzeros, all bags' indices, all queries' key positions,
...) into fixed-size chunks of ``chunk`` elements, and run a software
pipeline over the chunks, unrolled twice so that every scratchpad buffer has
two copies (the scratchpad addresses of DMA and matmul instructions are
immediates, so ping-pong buffers need two copies of the code):

    iteration c (compute position pos = c * chunk):
      skew-0 loads of chunk c        (from index buffer c % 2, into buffers c % 2)
      index load of chunk c + 2      (mvin of `chunk` indices into index buffer c % 2)
      skew-1 loads of chunk c + 1    (gathers from index buffer (c+1) % 2 into buffers (c+1) % 2,
                                      and contiguous per-chunk data such as weights)
      compute stages: stage with lag L works on chunk c - L (buffers (c-L) % 2)
      pos += chunk; loop while pos < total + max_lag * chunk

so the gathers of chunk c + 1 are in flight while chunk c is computed, and
the index line of chunk c + 2 while chunk c + 1 is gathered. A stage with
lag 1 (e.g. the vector epilogue of a matmul) works on the chunk before, so
it never waits for the systolic array to drain. The program stays correct
under sequential semantics (the golden interpreter runs it in order; the
NPU's scoreboard enforces the same order): a buffer loaded with skew s is
read only by stages of lag <= 1 - s, so it is not overwritten before its
last reader (two copies suffice).

The idioms NVR learns from are kept: the index stream is moved in by
strided ``mvin``s (one per code copy, each with a constant stride of
2 * chunk elements), the gathers read those index buffers (``A[B[i]]``),
and the loop is bottom-tested with its bound in a register
(``blt pos, T2, loop``; the index position is linear in ``pos``). Loop
bounds of rows / bags / nodes are scalar loads of the offsets array
(``ld e, [offp]``), one per segment, in the compute stage.
"""

from __future__ import annotations

from typing import Callable, List, Optional

import numpy as np

from ..isa import NPUConfig, Program
from .base import Regs, SpadLayout, emit_min

F32 = np.float32


def log2_exact(v: int) -> Optional[int]:
    v = int(v)
    return v.bit_length() - 1 if v > 0 and v & (v - 1) == 0 else None


def emit_scale(p: Program, rd: int, rs: int, factor: int, tmp: int) -> None:
    """rd = rs * factor (a shift when factor is a power of two)."""
    sh = log2_exact(factor)
    if sh is not None:
        p.shli(rd, rs, sh)
    else:
        p.li(tmp, factor)
        p.mul(rd, rs, tmp)


class Pipe:
    """Emits one software-pipelined loop over a flat index stream of
    ``total`` elements (a register), ``chunk`` elements per iteration.

    Declare the index streams (:meth:`stream`), the gathers that read them
    and the contiguous per-chunk loads (:meth:`gather`, :meth:`load`), the
    compute stages (:meth:`stage`), then :meth:`emit`. Each stage is called
    as ``fn(p, h, pos, n)`` for each code copy ``h`` (0/1; its buffers are
    ``bufs[h]``), with registers holding the chunk's first element and its
    element count (``min(total - pos, chunk)``); :attr:`st` and :attr:`su`
    are scratch registers for them; they must leave the pipe's other registers alone
    (:attr:`reserved`). ``hook(p, skew, a)`` is
    called before the loads of each skew with ``a`` holding the position of
    the chunk being loaded (e.g. to switch a gather base between heads).
    """

    def __init__(self, p: Program, cfg: NPUConfig, R: Regs, lay, *, tag: str, chunk: int, total: int,
                 count_loads: bool = False):
        if not 1 <= chunk <= cfg.dim:
            raise ValueError(f"chunk {chunk} must be in 1..DIM={cfg.dim}")
        self.p, self.cfg, self.R, self.lay, self.tag, self.ch = p, cfg, R, lay, tag, int(chunk)
        self.T = total
        # False: every gather / row-count load moves a whole chunk (the last
        # chunk reads up to chunk-1 indices past the array: zeros on the
        # allocator's guard page, so rows of entry 0 are gathered); True:
        # exactly min(total - a, chunk) (hooks may set self.n themselves).
        self.count_loads = bool(count_loads)
        self.pos, self.T2, self.Tf, self.a, self.n, self.t, self.rch = R.many(
            "pipe_pos", "pipe_T2", "pipe_Tf", "pipe_a", "pipe_n", "pipe_t", "pipe_ch")
        self.g = R["pipe_g"]
        self.sp, self.sn, self.st, self.su = R.many("stage_pos", "stage_n", "stage_t", "stage_u")
        self.streams: List[dict] = []
        self.items: List[dict] = []
        self.stages: List[tuple] = []
        self.hooks: List[Callable] = []
        self._nbuf = 0

    @property
    def reserved(self):
        return {self.pos, self.T, self.T2, self.rch} | {s["base"] for s in self.streams} | \
               {i["base"] for i in self.items}

    # ---- declarations ---------------------------------------------------------------
    def _bufs(self, name: str, nbytes: int, space: int = 0) -> List[int]:
        """A buffer per code copy. Scratchpad banks (4, block mapping): copy
        h's data buffers alternate between banks 2h and 2h + 1, so the DMA
        engine writes the next chunk's buffers in the other copy's banks
        while the execute units read this copy's."""
        out = []
        for h in (0, 1):
            bank = 2 * h + (self._nbuf % 2) if space == 0 else None
            out.append(self.lay.alloc(f"{self.tag}{name}{h}", nbytes, space, bank))
        self._nbuf += 1
        return out

    def stream(self, base: int, esz: int, name: str = "idx") -> int:
        """An index array at register ``base`` (elements of ``esz`` bytes).
        Index buffer h is written two chunks ahead, while copy h computes:
        it lives in the other copy's banks."""
        bufs = [self.lay.alloc(f"{self.tag}{name}{h}", self.ch * esz, 0, 2 * (1 - h) + 1) for h in (0, 1)]
        self.streams.append(dict(base=base, esz=esz, bufs=bufs))
        return len(self.streams) - 1

    def idx_bufs(self, s: int):
        return self.streams[s]["bufs"]

    def gather(self, stream: int, base: int, row_bytes: int, row_stride: int, skew: int = 1,
               name: str = "rows", base_off: int = 0) -> List[int]:
        """``gather`` of the chunk's rows ``base + base_off + idx * row_stride``
        into a buffer per code copy; returns the two buffer addresses. With
        ``base_off`` the base is formed in a scratch register first
        (``addi g, base, off``: a column slice of a wider table)."""
        pitch = self.cfg.pitch(row_bytes)
        bufs = self._bufs(name, self.ch * pitch)
        self.items.append(dict(kind="gather", stream=stream, base=base, row_bytes=row_bytes,
                               row_stride=row_stride, skew=skew, bufs=bufs, base_off=int(base_off)))
        return bufs

    def load(self, ptr: int, rows: int, row_bytes: int, step: int, stride: int = 0, skew: int = 1,
             count_rows: bool = False, name: str = "data", space: int = 0) -> List[int]:
        """``mvin`` of per-chunk contiguous data at the running pointer
        register ``ptr`` (the address of chunk 0 at start, advanced by
        ``step`` bytes per chunk). ``count_rows``: move in only the chunk's
        ``n`` rows (register row count)."""
        pitch = self.cfg.pitch(row_bytes)
        bufs = self._bufs(name, rows * pitch, space)
        self.items.append(dict(kind="load", base=ptr, rows=rows, row_bytes=row_bytes, step=step,
                               stride=stride, skew=skew, count_rows=count_rows, bufs=bufs, space=space))
        return bufs

    def stage(self, lag: int, fn: Callable) -> None:
        self.stages.append((int(lag), fn))

    def hook(self, fn: Callable) -> None:
        self.hooks.append(fn)

    # ---- code -----------------------------------------------------------------------
    def _index_load(self, h: int, a: int) -> None:
        p = self.p
        for s in self.streams:
            sh = log2_exact(s["esz"])
            p.shli(self.t, a, sh)
            p.add(self.t, s["base"], self.t)
            p.mvin(self.t, 0, s["bufs"][h], 1, self.ch * s["esz"])     # the strided index stream

    def _loads(self, skew: int, h: int, a: int) -> None:
        """The skew's loads of the chunk at position ``a`` into copy ``h``;
        ``self.n`` must hold the chunk's element count."""
        p = self.p
        if self.count_loads:
            self._count(self.n, a)
        for fn in self.hooks:
            fn(p, skew, a)
        cnt = self.n if self.count_loads else self.rch
        for it in self.items:
            if it["skew"] != skew:
                continue
            if it["kind"] == "gather":
                s = self.streams[it["stream"]]
                base = it["base"]
                if it["base_off"]:
                    p.addi(self.g, base, it["base_off"])
                    base = self.g
                p.gather(base, it["bufs"][h], s["bufs"][h], s["esz"], cnt, it["row_bytes"],
                         it["row_stride"])
            else:
                mv = p.mvin_acc if it["space"] else p.mvin
                mv(it["base"], 0, it["bufs"][h], it["rows"], it["row_bytes"], it["stride"],
                   cnt if it["count_rows"] else 0)

    def _advance_pointers(self, skew: int) -> None:
        for it in self.items:
            if it["kind"] == "load" and it["skew"] == skew:
                self.p.addi(it["base"], it["base"], it["step"])

    def _count(self, rd: int, a: int) -> None:
        """rd = min(T - a, chunk)."""
        self.p.sub(rd, self.T, a)
        emit_min(self.p, rd, rd, self.rch)

    def _half(self, h: int, guarded: bool, loop: str, done: str, last: bool) -> None:
        """One code copy: the loads and stages of iteration c (compute
        position ``pos``, copy ``h``). ``guarded``: every load and stage
        checks that its chunk exists (the first and last iterations);
        otherwise all of them are whole chunks (the steady state)."""
        p, ch, tag = self.p, self.ch, self.tag
        max_lag = max([lag for lag, _ in self.stages] or [0])
        if any(it["skew"] == 0 for it in self.items):     # skew 0: chunk c, before its index buffer is reused
            sk = p.new_label(tag + "s0_")
            if guarded:
                p.bge(self.pos, self.T, sk)
            self._loads(0, h, self.pos)
            p.label(sk)
            self._advance_pointers(0)
        sk = p.new_label(tag + "ix")                        # indices of chunk c + 2
        p.addi(self.a, self.pos, 2 * ch)
        if guarded:
            p.bge(self.a, self.T, sk)
        self._index_load(h, self.a)
        p.label(sk)
        sk = p.new_label(tag + "s1_")                       # gathers / loads of chunk c + 1
        p.addi(self.a, self.pos, ch)
        if guarded:
            p.bge(self.a, self.T, sk)
        self._loads(1, 1 - h, self.a)
        p.label(sk)
        self._advance_pointers(1)
        for lag, fn in sorted(self.stages, key=lambda x: x[0]):
            sk = p.new_label(tag + f"st{lag}_")
            if lag == 0:
                if guarded and max_lag:
                    p.bge(self.pos, self.T, sk)
                p.mov(self.sp, self.pos)
            else:
                p.addi(self.sp, self.pos, -lag * ch)
                if guarded:
                    p.blt(self.sp, 0, sk)
                    p.bge(self.sp, self.T, sk)
            if guarded:
                self._count(self.sn, self.sp)
                fn(p, (h - lag) % 2, self.sp, self.sn)
            else:
                fn(p, (h - lag) % 2, self.sp, self.rch)
            p.label(sk)
        p.addi(self.pos, self.pos, ch)
        if last:                                            # the loop: bottom-tested, bound in a register
            p.blt(self.pos, self.Tf if not guarded else self.T2, loop)
        elif guarded:
            p.bge(self.pos, self.T2, done)

    def emit(self) -> None:
        """Prologue (indices of chunks 0 and 1, loads of chunk 0), two
        guarded warm-up iterations, the steady-state loop (no guards, whole
        chunks: ``blt pos, Tf, loop`` with ``Tf = total - 3 * chunk``), and the
        guarded drain loop for the last chunks and the lagged stages."""
        p, ch, tag = self.p, self.ch, self.tag
        max_lag = max([lag for lag, _ in self.stages] or [0])
        if max_lag > 2:
            raise ValueError("stages may lag by at most two chunks")
        done = tag + "pipe_done"
        p.li(self.rch, ch)
        p.li(self.pos, 0)
        p.addi(self.T2, self.T, max_lag * ch)
        p.addi(self.Tf, self.T, -3 * ch)
        p.beq(self.T, 0, done)
        # prologue
        self._index_load(0, self.pos)
        skip = p.new_label(tag + "pro")
        p.bge(self.rch, self.T, skip)
        self._index_load(1, self.rch)
        p.label(skip)
        self._loads(1, 0, self.pos)
        self._advance_pointers(1)
        # warm-up: chunks 0 and 1 (the lagged stages have nothing yet)
        warm = p.new_label(tag + "warm")
        self._half(0, True, warm, done, last=False)
        self._half(1, True, warm, done, last=False)
        # steady state: chunk c + 2 < total for both copies, all lags valid
        steady, tail = tag + "pipe_loop", tag + "pipe_tail"
        p.bge(self.pos, self.Tf, tail)
        p.label(steady)
        self._half(0, False, steady, done, last=False)
        self._half(1, False, steady, done, last=True)
        # drain: the last chunks, guarded
        p.label(tail)
        self._half(0, True, tail, done, last=False)
        self._half(1, True, tail, done, last=True)
        p.label(done)


class OutWindow:
    """Output rows staged in the accumulator and written back ``W`` at a time.

    Segment ``b``'s row is at the register ``row`` (accumulator address), so
    the vector ops that build it take it as their register address; two
    windows of ``W`` rows alternate, and a full window leaves with one
    ``mvout_acc`` of ``W`` rows while the next one fills (a per-row
    ``mvout_acc`` would make the next row's first vector op wait for the
    store to read the row). Rows start zeroed."""

    def __init__(self, p: Program, cfg: NPUConfig, R: Regs, lay, *, tag: str, a_out: int, row_floats: int,
                 out_stride: int, tmp: int, W: int = None):
        self.p, self.tag, self.a_out = p, tag, a_out
        self.row_bytes = row_floats * 4
        self.pitch = cfg.pitch(self.row_bytes)
        self.W = int(W or cfg.dim)
        self.out_stride = out_stride
        self.win = [lay.alloc(f"{tag}win{i}", self.W * self.pitch, space=1) for i in (0, 1)]
        self.row, self.left, self.par, self.outp = R.many("win_row", "win_left", "win_par", "win_out")
        self.tmp = tmp                                  # scratch, used by flush()

    def init(self) -> None:
        p = self.p
        p.li(self.outp, self.a_out)
        p.li(self.row, self.win[0])
        p.li(self.left, self.W)
        p.li(self.par, 0)
        p.vzero(1, 0, self.win[0], self.W * self.pitch // 4)

    def advance(self) -> None:
        """The current row is complete: move to the next (flush a full window)."""
        p, t = self.p, self.tag
        no, a, f = p.new_label(t + "wn"), p.new_label(t + "wa"), p.new_label(t + "wf")
        p.addi(self.row, self.row, self.pitch)
        p.addi(self.left, self.left, -1)
        p.bne(self.left, 0, no)
        p.beq(self.par, 0, a)
        p.mvout_acc(self.outp, 0, self.win[1], self.W, self.row_bytes, self.out_stride)
        p.li(self.row, self.win[0])
        p.li(self.par, 0)
        p.j(f)
        p.label(a)
        p.mvout_acc(self.outp, 0, self.win[0], self.W, self.row_bytes, self.out_stride)
        p.li(self.row, self.win[1])
        p.li(self.par, 1)
        p.label(f)
        p.addi(self.outp, self.outp, self.W * self.out_stride)
        p.li(self.left, self.W)
        p.vzero(1, self.row, 0, self.W * self.pitch // 4)
        p.label(no)

    def flush(self) -> None:
        """Write the rows of the last, partial window."""
        p, t = self.p, self.tag
        end, a = p.new_label(t + "fe"), p.new_label(t + "fa")
        p.li(self.tmp, self.W)
        p.sub(self.tmp, self.tmp, self.left)
        p.beq(self.tmp, 0, end)
        p.beq(self.par, 0, a)
        p.mvout_acc(self.outp, 0, self.win[1], self.W, self.row_bytes, self.out_stride, self.tmp)
        p.j(end)
        p.label(a)
        p.mvout_acc(self.outp, 0, self.win[0], self.W, self.row_bytes, self.out_stride, self.tmp)
        p.label(end)


class SegCursor:
    """Walks CSR-style segments (rows, bags, nodes) across the chunks of the
    flat stream: segment ``b`` covers positions ``[offsets[b], offsets[b+1])``
    and ``e`` holds its end, loaded by ``ld`` (a register loop bound)."""

    def __init__(self, p: Program, R: Regs, *, tag: str, name: str, a_offsets: int, ib: int,
                 segments: Optional[int] = None):
        self.p, self.tag, self.a_offsets, self.ib = p, tag, a_offsets, int(ib)
        self.segments = segments
        self.e, self.offp = R.many(f"{name}_e", f"{name}_offp")
        self.b = R[f"{name}_b"] if segments is not None else None

    def init(self) -> None:
        p = self.p
        p.li(self.offp, self.a_offsets + self.ib)
        p.ld(self.e, self.offp, 0, self.ib)          # e = offsets[1]
        if self.b is not None:
            p.li(self.b, 0)

    def next_segment(self) -> None:
        p = self.p
        if self.b is not None:
            p.addi(self.b, self.b, 1)
        p.addi(self.offp, self.offp, self.ib)
        p.ld(self.e, self.offp, 0, self.ib)          # e = offsets[b+1]

    def walk(self, pos: int, n: int, regs, on_run: Callable, on_finish: Callable) -> None:
        """Emit the runs of the chunk ``[pos, pos + n)``: for each maximal run
        ``[pp, rend)`` inside one segment, ``on_run(pp, rend)``; before moving
        past a segment's end, ``on_finish()`` (then the cursor advances).
        ``regs`` = (pp, pend, rend) scratch registers."""
        p, t = self.p, self.tag
        pp, pend, rend = regs
        chk, run = p.new_label(t + "chk"), p.new_label(t + "run")
        p.mov(pp, pos)
        p.add(pend, pos, n)
        p.label(chk)
        p.blt(pp, self.e, run)
        on_finish()
        self.next_segment()
        p.j(chk)
        p.label(run)
        emit_min(p, rend, self.e, pend)
        on_run(pp, rend)
        p.mov(pp, rend)
        p.blt(pp, pend, chk)

    def drain(self, on_finish: Callable, nb: int) -> None:
        """Finish the remaining segments (the last one and trailing empty
        ones); ``nb`` is a scratch register (it holds the segment count)."""
        p, t = self.p, self.tag
        loop, end = p.new_label(t + "dr"), p.new_label(t + "dre")
        p.li(nb, self.segments)
        p.label(loop)
        p.bge(self.b, nb, end)
        on_finish()
        self.next_segment()
        p.j(loop)
        p.label(end)


def mask_pattern(dim: int) -> np.ndarray:
    """[0]*DIM + [1]*DIM + [0]*DIM: a window of DIM elements at element
    ``x`` has ones exactly where ``DIM <= x + i < 2*DIM``; two such windows
    mask a row of weights to one segment's run ``[lo, hi)``."""
    return np.concatenate([np.zeros(dim), np.ones(dim), np.zeros(dim)]).astype(F32)


class Constants:
    """A constant pool: small arrays moved into the scratchpad once, in the
    program's prologue (like a compiler's literal pool)."""

    def __init__(self, p: Program, cfg: NPUConfig, al, lay, R: Regs, tag: str = ""):
        self.p, self.cfg, self.al, self.lay, self.R, self.tag = p, cfg, al, lay, R, tag

    def place(self, name: str, rows: np.ndarray) -> int:
        """``rows`` (r x k float32) into r rows of the scratchpad (each
        ``pitch(4k)`` bytes); returns the scratchpad address."""
        rows = np.asarray(rows, dtype=F32)
        if rows.ndim == 1:
            rows = rows.reshape(1, -1)
        r, k = rows.shape
        a = self.al.place(self.tag + name, rows)
        sp = self.lay.alloc(self.tag + name, r * self.cfg.pitch(k * 4))
        reg = self.R["pipe_t"]          # a scratch register: constants load before any pipe
        self.p.li(reg, a)
        self.p.mvin(reg, 0, sp, r, k * 4, k * 4)
        return sp
