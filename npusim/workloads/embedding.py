"""DLRM-style embedding bags, and the segmented gather-sum loop they share
with GNN aggregation."""

from __future__ import annotations

import numpy as np

from ..isa import NPUConfig, Program, validate
from .base import (Allocator, OutputSpec, Regs, SpadLayout, Workload, emit_min, rng_for,
                   summation_tolerance)
from .data import zipf_indices
from .pipeline import OutWindow, Pipe, SegCursor, emit_scale
from .registry import register

I32 = np.int32
F32 = np.float32


def _segment_geometry(cfg: NPUConfig, row_floats: int, index_bytes: int):
    """(index bytes, DIM, bytes per table row, its scratchpad pitch) of a
    segmented gather-sum; index_bytes must be 4 or 8."""
    ib = int(index_bytes)
    if ib not in (4, 8):
        raise ValueError(f"index_bytes must be 4 or 8, got {index_bytes}")
    row_bytes = row_floats * 4
    return ib, cfg.dim, row_bytes, cfg.pitch(row_bytes)


def emit_segment_sum(p: Program, cfg: NPUConfig, R: Regs, lay: SpadLayout, *, tag: str,
                     a_offsets: int, a_indices: int, a_table: int, a_out: int, segments: int,
                     row_floats: int, out_stride: int, a_scale: int = None,
                     index_bytes: int = 4) -> None:
    """Emit: for each segment b < segments:
    out[b] = scale[b] * sum_{j in offsets[b]..offsets[b+1]} table[indices[j]]

    The idiom a compiler emits for CSR-style segmented reductions: the
    segment bounds come from two scalar loads (a loop bound in a register),
    the index array is streamed into the scratchpad DIM indices at a time
    (a strided index stream), the table rows are gathered with those
    indices (the indirect table[indices[j]] access), and summed into an
    accumulator row with ``vadd``. ``a_scale`` (optional) is a float32 array
    of per-segment scale factors, applied with ``vscale``. ``index_bytes``
    (4 or 8) is the size of both the offsets and the indices (PyTorch's
    EmbeddingBag takes int64).
    """
    ib, D, row_bytes, pitch = _segment_geometry(cfg, row_floats, index_bytes)
    sp_idx = lay.alloc(tag + "idx", D * ib)
    sp_g = lay.alloc(tag + "rows", D * pitch)
    acc_o = lay.alloc(tag + "sum", row_bytes, space=1)
    offp, idx, tab, outp, b, nb, s, e, n, dim, off, ia, j, g = R.many(
        "offp", "idx", "tab", "outp", "b", "nb", "s", "e", "n", "dim", "off", "ia", "j", "g")
    p.li(offp, a_offsets); p.li(idx, a_indices); p.li(tab, a_table); p.li(outp, a_out)
    p.li(nb, segments); p.li(dim, D); p.li(b, 0)
    if a_scale is not None:
        scp, sc = R.many("scp", "sc")
        p.li(scp, a_scale)
    p.label(tag + "seg")
    p.ld(s, offp, 0, ib)                         # s = offsets[b]
    p.ld(e, offp, ib, ib)                        # e = offsets[b+1]
    p.vzero(1, 0, acc_o, row_floats)
    p.bge(s, e, tag + "store")
    p.label(tag + "chunk")
    p.sub(n, e, s)
    emit_min(p, n, n, dim)
    p.shli(off, s, ib.bit_length() - 1)
    p.add(ia, idx, off)
    p.mvin(ia, 0, sp_idx, 1, D * ib)             # indices[s : s+DIM]
    p.gather(tab, sp_g, sp_idx, ib, n, row_bytes, row_bytes)  # table[indices[j]]
    p.li(j, 0)
    p.li(g, 0)
    p.label(tag + "row")
    p.vadd(0, acc_o, g, sp_g, row_floats, 1)     # sum += gathered row j
    p.addi(g, g, pitch)
    p.addi(j, j, 1)
    p.blt(j, n, tag + "row")
    p.add(s, s, n)
    p.blt(s, e, tag + "chunk")
    p.label(tag + "store")
    if a_scale is not None:
        p.ld(sc, scp, 0, 4)                      # float bits of scale[b]
        p.vscale(1, 0, acc_o, row_floats, sc)
        p.addi(scp, scp, 4)
    p.mvout_acc(outp, 0, acc_o, 1, row_bytes)
    p.addi(outp, outp, out_stride)
    p.addi(offp, offp, ib)
    p.addi(b, b, 1)
    p.blt(b, nb, tag + "seg")


def emit_segment_sum_pipelined(p: Program, cfg: NPUConfig, R: Regs, lay: SpadLayout, *, tag: str,
                               a_offsets: int, a_indices: int, a_table: int, a_out: int, segments: int,
                               row_floats: int, out_stride: int, a_scale: int = None,
                               index_bytes: int = 4) -> None:
    """The same segmented reduction as :func:`emit_segment_sum`,
    software-pipelined and double-buffered (``pipeline=True``; see
    pipeline.py): the flat index array is cut into chunks of DIM regardless
    of segment boundaries; each chunk's indices are moved in two chunks
    ahead and its table rows gathered one chunk ahead of the vector adds.
    The compute stage walks the chunk's runs (a segment's end ``e`` is a
    scalar load of ``offsets[b+1]``, the register loop bound) and adds each
    gathered row into its segment's row, staged in an accumulator window;
    finished segments are scaled (``a_scale``) and written back DIM at a time."""
    ib, D, row_bytes, pitch = _segment_geometry(cfg, row_floats, index_bytes)
    idx, tab, T = R.many("idx", "tab", "T")
    p.li(idx, a_indices)
    p.li(tab, a_table)
    p.li(T, a_offsets + ib * segments)
    p.ld(T, T, 0, ib)                            # total = offsets[segments]
    pipe = Pipe(p, cfg, R, lay, tag=tag, chunk=D, total=T)
    s = pipe.stream(idx, ib)
    rows = pipe.gather(s, tab, row_bytes, row_bytes)           # table[indices[j]]
    win = OutWindow(p, cfg, R, lay, tag=tag + "o", a_out=a_out, row_floats=row_floats,
                    out_stride=out_stride, tmp=pipe.st)
    cur = SegCursor(p, R, tag=tag + "s", name="seg", a_offsets=a_offsets, ib=ib, segments=segments)
    pp, pend, rend, g, j = R.many("pp", "pend", "rend", "g", "j")
    if a_scale is not None:
        scp, sc = R.many("scp", "sc")
        p.li(scp, a_scale)
    win.init()
    cur.init()

    def finish():
        if a_scale is not None:
            p.ld(sc, scp, 0, 4)                  # float bits of scale[b]
            p.vscale(1, win.row, 0, row_floats, sc)
            p.addi(scp, scp, 4)
        win.advance()

    def compute(p, h, pos, n):
        def run(lo, hi):                         # rows [lo, hi) of the chunk: one segment
            by4, by1, rem, end = (p.new_label(tag + x) for x in ("v4", "v1", "vr", "ve"))
            p.sub(g, lo, pos)
            emit_scale(p, g, g, pitch, pipe.st)
            p.mov(j, lo)
            p.addi(pipe.su, hi, -3)
            p.bge(j, pipe.su, rem)
            p.label(by4)                         # unrolled by 4
            for k in range(4):
                p.vadd(win.row, 0, g, rows[h] + k * pitch, row_floats, 1)   # sum += gathered row
            p.addi(g, g, 4 * pitch)
            p.addi(j, j, 4)
            p.blt(j, pipe.su, by4)
            p.label(rem)
            p.bge(j, hi, end)
            p.label(by1)
            p.vadd(win.row, 0, g, rows[h], row_floats, 1)
            p.addi(g, g, pitch)
            p.addi(j, j, 1)
            p.blt(j, hi, by1)
            p.label(end)
        if n == pipe.rch:                        # steady state: a whole chunk inside one segment?
            slow, done = p.new_label(tag + "slow"), p.new_label(tag + "done")
            p.add(pend, pos, n)
            p.blt(cur.e, pend, slow)
            for k in range(D):
                p.vadd(win.row, 0, 0, rows[h] + k * pitch, row_floats, 1)
            p.j(done)
            p.label(slow)
            cur.walk(pos, n, (pp, pend, rend), run, finish)
            p.label(done)
        else:
            cur.walk(pos, n, (pp, pend, rend), run, finish)

    pipe.stage(0, compute)
    pipe.emit()
    cur.drain(finish, pipe.st)
    win.flush()


@register("embedding_bag", small=dict(rows=2000, dim=16, batch=32, pooling=8, num_tables=2),
          doc="DLRM embedding bags: sum of Zipf-distributed rows per bag, several tables")
def embedding_bag(rows: int = 50_000, dim: int = 16, batch: int = 256, pooling: int = 32,
                  num_tables: int = 2, alpha: float = 1.05, seed: int = 0,
                  fixed_pooling: bool = False, index_bytes: int = 4, pipeline: bool = False,
                  config=None) -> Workload:
    """Sum-pooled embedding bags as in DLRM's sparse features.

    ``num_tables`` tables of ``rows`` x ``dim`` float32; for each of
    ``batch`` samples and each table a bag of indices whose length is
    ``pooling`` (``fixed_pooling``) or 1 + Poisson(pooling - 1), drawn from a
    bounded Zipf law with exponent ``alpha`` over randomly permuted rows
    (hot rows scattered over the table). Bags are stored as DLRM/PyTorch
    ``EmbeddingBag`` inputs: a flat index array and an offsets array per
    table, int32 or, with ``index_bytes=8``, int64 as PyTorch uses. The
    output is batch x (num_tables * dim), the tables' pooled vectors
    concatenated per sample. ``pipeline=True``: the software-pipelined
    segment sum (:func:`emit_segment_sum_pipelined`).
    """
    cfg = NPUConfig.coerce(config)
    rng = rng_for(seed, 10)
    al = Allocator()
    lay = SpadLayout(cfg)
    R = Regs(cfg)
    p = Program(name="embedding_bag")
    width = num_tables * dim
    a_out = None
    expected = np.zeros((batch, width))
    mag = np.zeros((batch, width))
    tables, offsets_l, indices_l = [], [], []
    max_len = 1
    for t in range(num_tables):
        table = rng.standard_normal((rows, dim)).astype(F32)
        if fixed_pooling:
            lengths = np.full(batch, pooling)
        else:
            lengths = 1 + rng.poisson(max(pooling - 1, 0), batch)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        idx = zipf_indices(rows, int(offsets[-1]), alpha, rng)
        tables.append(table)
        offsets_l.append(offsets)
        indices_l.append(idx)
        seg = np.repeat(np.arange(batch), lengths)
        tf = table.astype(np.float64)
        np.add.at(expected[:, t * dim:(t + 1) * dim], seg, tf[idx])
        np.add.at(mag[:, t * dim:(t + 1) * dim], seg, np.abs(tf[idx]))
        max_len = max(max_len, int(lengths.max()))
    a_tables = [al.place(f"table{t}", tables[t]) for t in range(num_tables)]
    idt = np.int64 if index_bytes == 8 else I32
    a_offs = [al.place(f"offsets{t}", offsets_l[t].astype(idt)) for t in range(num_tables)]
    a_idx = [al.place(f"indices{t}", indices_l[t].astype(idt)) for t in range(num_tables)]
    a_out = al.reserve("out", batch * width * 4)
    for t in range(num_tables):
        tag = f"t{t}_"
        emit = emit_segment_sum_pipelined if pipeline else emit_segment_sum
        emit(p, cfg, R, lay if t == 0 else _Shared(lay), tag=tag,
                         a_offsets=a_offs[t], a_indices=a_idx[t], a_table=a_tables[t],
                         a_out=a_out + t * dim * 4, segments=batch, row_floats=dim,
                         out_stride=width * 4, index_bytes=index_bytes)
    p.halt()
    validate(p, cfg)
    total = sum(len(i) for i in indices_l)
    uniq = sum(len(np.unique(i)) for i in indices_l)
    return Workload(
        name="embedding_bag", program=p, memory=al.memory,
        output=OutputSpec(a_out, np.dtype(F32), (batch, width)),
        expected=expected.astype(F32), tolerance=summation_tolerance(mag, max_len + 1),
        params=dict(rows=rows, dim=dim, batch=batch, pooling=pooling, num_tables=num_tables,
                    alpha=alpha, seed=seed, fixed_pooling=fixed_pooling, index_bytes=index_bytes,
                    pipeline=bool(pipeline)),
        config=cfg, regions=dict(al.regions),
        info=dict(gathered_rows=total, unique_rows=uniq, max_bag=max_len,
                  table_bytes=rows * dim * 4 * num_tables))


class _Shared:
    """A SpadLayout view that hands out the same buffers again (tables are
    processed one after another and reuse the staging buffers)."""

    def __init__(self, lay: SpadLayout):
        self.lay = lay

    def alloc(self, name: str, nbytes: int, space: int = 0, bank: int = None) -> int:
        stem = name.split("_", 1)[1]
        for full, (sp, addr, size) in self.lay.buffers.items():
            if sp == space and full.split("_", 1)[1] == stem and size >= nbytes:
                return addr
        return self.lay.alloc(name, nbytes, space, bank)
