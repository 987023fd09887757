"""Sparse linear algebra kernels: SpMM (CSR / CSC, unstructured / N:M),
SpMV and SDDMM."""

from __future__ import annotations

from typing import Tuple

import numpy as np
import scipy.sparse as sp

from ..isa import NPUConfig, Program, validate
from .base import (Allocator, OutputSpec, Regs, SpadLayout, Workload, emit_min, rng_for,
                   summation_tolerance)
from .data import digits_mlp, magnitude_prune, random_sparse, to_csr
from .pipeline import Constants, OutWindow, Pipe, SegCursor, mask_pattern
from .registry import register

I32 = np.int32
F32 = np.float32


def _weights(source: str, M: int, K: int, sparsity: float, pattern: str, nm, seed: int):
    """(W dense float64 with zeros, info dict). ``digits``: the pruned first
    layer of an MLP trained on load_digits, bias folded in as column 64."""
    info = {}
    if source == "random":
        w = random_sparse(M, K, sparsity, rng_for(seed, 1), pattern, nm)
    elif source == "digits":
        mlp = digits_mlp(hidden=M)
        w1 = magnitude_prune(mlp.w1, sparsity, pattern, nm)
        info["dense_test_accuracy"] = round(mlp.accuracy(), 4)
        info["pruned_test_accuracy"] = round(mlp.accuracy(w1), 4)
        w = np.concatenate([w1, mlp.b1[:, None]], axis=1)  # bias as an extra input
    else:
        raise ValueError(f"unknown source {source!r} (random or digits)")
    return w.astype(F32).astype(np.float64), info


def _digits_inputs(n: int, seed: int) -> np.ndarray:
    """n test images as columns, with a constant-1 row for the bias: 65 x n."""
    mlp = digits_mlp()
    rng = rng_for(seed, 2)
    pick = rng.choice(len(mlp.x_test), size=n, replace=n > len(mlp.x_test))
    x = mlp.x_test[pick].T
    return np.concatenate([x, np.ones((1, n))], axis=0)


# ---------------------------------------------------------------------------
# SpMM
# ---------------------------------------------------------------------------

@register("spmm", small=dict(M=32, K=48, N=16, sparsity=0.8),
          doc="Y = W . X, sparse weights W (CSR or CSC, unstructured or N:M), dense X")
def spmm(M: int = None, K: int = 256, N: int = 32, sparsity: float = 0.9, seed: int = 0,
         format: str = "csr", pattern: str = "unstructured", nm: Tuple[int, int] = (2, 4),
         source: str = "random", relu: bool = None, pipeline: bool = False, config=None) -> Workload:
    """Sparse x dense matrix product Y (M x N) = W (M x K) . X (K x N).

    ``format="csr"`` (row-wise/Gustavson): per row, the column indices of
    W are streamed into the scratchpad in DIM-element chunks, the matching
    rows of X are gathered, and each is multiply-accumulated into the output
    row (``vmacc`` with the weight loaded by ``ld``). With ``pattern="nm"``
    every row has the same number of nonzeros, so the compiler uses the
    systolic array instead: gather DIM rows of X, ``matmul`` the weight
    chunk (1 x DIM) into the output row.
    ``format="csc"`` (outer product): per column k of W, row k of X is
    loaded once and scaled into the output rows listed by the column's row
    indices; the output lives in the accumulator.
    ``source="digits"``: W is the magnitude-pruned first layer (+ bias column)
    of an MLP trained on scikit-learn's digits (M = hidden units, K = 65),
    X holds N real test images, and ReLU is applied: Y is the hidden layer.
    ``pipeline=True`` (CSR, unstructured or N:M): the software-pipelined,
    double-buffered kernel of ``_csr_pipelined_program`` (flat nonzero
    chunks, gathers one chunk ahead of compute, a segment-matrix matmul per
    chunk instead of a scalar load per nonzero).
    """
    cfg = NPUConfig.coerce(config)
    if pipeline and format != "csr":
        raise ValueError("pipeline=True is implemented for format='csr' (unstructured and N:M); "
                         "the csc kernel has no gathers")
    if M is None:
        M = 64 if source == "digits" else 256
    if source == "digits":
        K = 65
        relu = True if relu is None else relu
    relu = bool(relu)
    nm = tuple(nm)
    w, info = _weights(source, M, K, sparsity, pattern, nm, seed)
    if source == "digits":
        x = _digits_inputs(N, seed)
    else:
        x = rng_for(seed, 3).standard_normal((K, N))
    x = x.astype(F32).astype(np.float64)

    y = w @ x
    mag = np.abs(w) @ np.abs(x)
    if relu:
        y = np.maximum(y, 0)
    nnz_row = np.count_nonzero(w, axis=1)
    nnz_col = np.count_nonzero(w, axis=0)
    terms = int(max(nnz_row.max(initial=0), 1)) + 1

    al = Allocator()
    if pipeline:
        if pattern == "nm":
            cols, vals, nz = _nm_compress(w, M, K, nm)
            indptr = np.arange(M + 1, dtype=np.int64) * nz
            indices, data = cols.ravel(), vals.ravel()
            kernel = f"nm{nm[0]}:{nm[1]}-pipelined"
        else:
            csr = to_csr(w)
            indptr, indices, data = csr.indptr, csr.indices, csr.data
            kernel = "csr-pipelined"
        prog, _ = _csr_pipelined_program(cfg, al, indptr, indices, data, x, relu, "spmm_pipelined", "Y")
        extra = dict(gathered_rows=int(len(indices) * -(-N // cfg.dim)), kernel=kernel)
    elif format == "csr":
        if pattern == "nm":
            prog, extra = _spmm_nm_program(cfg, al, w, x, M, K, N, nm, relu)
        else:
            prog, extra = _spmm_csr_program(cfg, al, w, x, M, K, N, relu)
    elif format == "csc":
        prog, extra = _spmm_csc_program(cfg, al, w, x, M, K, N, relu)
    else:
        raise ValueError(f"unknown format {format!r} (csr or csc)")
    validate(prog, cfg)
    info.update(nnz=int(np.count_nonzero(w)), density=round(float(np.count_nonzero(w)) / w.size, 4),
                max_nnz_row=int(nnz_row.max(initial=0)), max_nnz_col=int(nnz_col.max(initial=0)),
                **extra)
    out_addr = al.regions["Y"][0]
    return Workload(
        name="spmm", program=prog, memory=al.memory,
        output=OutputSpec(out_addr, np.dtype(F32), (M, N)),
        expected=y.astype(F32), tolerance=summation_tolerance(mag, terms),
        params=dict(M=M, K=K, N=N, sparsity=sparsity, seed=seed, format=format, pattern=pattern,
                    nm=nm, source=source, relu=relu, pipeline=bool(pipeline)),
        config=cfg, regions=dict(al.regions), info=info)


def _spmm_csr_program(cfg, al, w, x, M, K, N, relu):
    D, rb = cfg.dim, cfg.row_bytes
    csr = to_csr(w)
    a_rowptr = al.place("rowptr", csr.indptr.astype(I32))
    a_col = al.place("colidx", csr.indices.astype(I32))
    a_val = al.place("vals", csr.data.astype(F32))
    a_x = al.place("X", x.astype(F32))
    a_y = al.reserve("Y", M * N * 4)

    lay = SpadLayout(cfg)
    sp_idx = lay.alloc("idx", D * 4)
    xrow = N * 4
    pitch = cfg.pitch(xrow)
    sp_g = lay.alloc("gathered", D * pitch)
    acc_y = lay.alloc("yrow", xrow, space=1)

    R = Regs(cfg)
    rowptr, col, val, xb, yp, i, m, s, e, n, dim, off, ia, vp, j, g, wgt = R.many(
        "rowptr", "col", "val", "x", "y", "i", "m", "s", "e", "n", "dim", "off", "ia", "vp", "j",
        "g", "w")
    p = Program(name="spmm_csr")
    p.li(rowptr, a_rowptr); p.li(col, a_col); p.li(val, a_val); p.li(xb, a_x); p.li(yp, a_y)
    p.li(m, M); p.li(dim, D); p.li(i, 0)
    p.label("row")
    p.ld(s, rowptr, 0, 4)                       # s = rowptr[i]
    p.ld(e, rowptr, 4, 4)                       # e = rowptr[i+1]
    p.vzero(1, 0, acc_y, N)
    p.bge(s, e, "store")
    p.label("chunk")
    p.sub(n, e, s)
    emit_min(p, n, n, dim)                      # n = min(e - s, DIM)
    p.shli(off, s, 2)
    p.add(ia, col, off)
    p.mvin(ia, 0, sp_idx, 1, D * 4)             # strided index stream: colidx[s : s+DIM]
    p.gather(xb, sp_g, sp_idx, 4, n, xrow, xrow)  # X[colidx[j]] rows
    p.add(vp, val, off)
    p.li(j, 0)
    p.li(g, 0)
    p.label("nz")
    p.ld(wgt, vp, 0, 4)                         # w = vals[s + j] (float bits)
    p.vmacc(0, acc_y, g, sp_g, N, wgt)          # y_row += w * X[colidx[s + j]]
    p.addi(vp, vp, 4)
    p.addi(g, g, pitch)
    p.addi(j, j, 1)
    p.blt(j, n, "nz")
    p.add(s, s, n)
    p.blt(s, e, "chunk")
    p.label("store")
    if relu:
        p.vrelu(1, 0, acc_y, N)
    p.mvout_acc(yp, 0, acc_y, 1, xrow)
    p.addi(yp, yp, xrow)
    p.addi(rowptr, rowptr, 4)
    p.addi(i, i, 1)
    p.blt(i, m, "row")
    p.halt()
    return p, dict(gathered_rows=int(csr.nnz), kernel="csr-gustavson")


def _nm_compress(w, M, K, nm):
    """Compressed N:M format: per row exactly nz = ceil(K/m)*n (value, column)
    pairs (padded positions have value 0 and the group's first column)."""
    n_, m_ = nm
    groups = -(-K // m_)
    nz = groups * n_
    vals = np.zeros((M, nz))
    cols = np.zeros((M, nz), dtype=np.int64)
    for r in range(M):
        for gidx in range(groups):
            lo = gidx * m_
            seg = w[r, lo:lo + m_]
            pos = np.flatnonzero(seg)[:n_]
            base = gidx * n_
            cols[r, base:base + n_] = lo          # padding slots: weight 0, a valid column
            cols[r, base:base + len(pos)] = lo + pos
            vals[r, base:base + len(pos)] = seg[pos]
    return cols, vals, nz


def _spmm_nm_program(cfg, al, w, x, M, K, N, nm, relu):
    """Compressed N:M format (``_nm_compress``): gather + matmul per chunk."""
    D, rb = cfg.dim, cfg.row_bytes
    n_, m_ = nm
    cols, vals, nz = _nm_compress(w, M, K, nm)
    a_col = al.place("colidx", cols.astype(I32))
    a_val = al.place("vals", vals.astype(F32))
    a_x = al.place("X", x.astype(F32))
    a_y = al.reserve("Y", M * N * 4)

    lay = SpadLayout(cfg)
    sp_idx = lay.alloc("idx", D * 4)
    sp_a = lay.alloc("a", rb)
    n_tiles = -(-N // D)
    sp_g = [lay.alloc(f"g{t}", D * rb) for t in range(n_tiles)]
    acc_y = lay.alloc("yrow", n_tiles * rb, space=1)

    R = Regs(cfg)
    colp, valp, xb, yp, i, m, cnt, xt = R.many("col", "val", "x", "y", "i", "m", "cnt", "xt")
    p = Program(name="spmm_nm")
    p.li(colp, a_col); p.li(valp, a_val); p.li(xb, a_x); p.li(yp, a_y); p.li(m, M); p.li(i, 0)
    p.label("row")
    chunks = -(-nz // D)
    for c in range(chunks):
        k = min(D, nz - c * D)
        p.mvin(colp, c * D * 4, sp_idx, 1, k * 4)        # column indices of this chunk
        p.mvin(valp, c * D * 4, sp_a, 1, k * 4)          # weights: A operand (1 x k)
        p.li(cnt, k)
        for t in range(n_tiles):
            wdt = min(D, N - t * D)
            p.addi(xt, xb, t * rb)
            p.gather(xt, sp_g[t], sp_idx, 4, cnt, wdt * 4, N * 4)   # X[col, tile t]
            p.matmul(sp_a, sp_g[t], acc_y + t * rb, 1, k, wdt, 1 if c else 0)
    for t in range(n_tiles):
        wdt = min(D, N - t * D)
        if relu:
            p.vrelu(1, 0, acc_y + t * rb, wdt)
        p.mvout_acc(yp, t * rb, acc_y + t * rb, 1, wdt * 4)
    p.addi(colp, colp, nz * 4)
    p.addi(valp, valp, nz * 4)
    p.addi(yp, yp, N * 4)
    p.addi(i, i, 1)
    p.blt(i, m, "row")
    p.halt()
    return p, dict(gathered_rows=int(M * nz * n_tiles), kernel=f"nm{n_}:{m_}-matmul",
                   nz_per_row=nz)


def _spmm_csc_program(cfg, al, w, x, M, K, N, relu):
    D, rb = cfg.dim, cfg.row_bytes
    csc = sp.csc_matrix(w)
    csc.eliminate_zeros()
    csc.sort_indices()
    a_colptr = al.place("colptr", csc.indptr.astype(I32))
    a_row = al.place("rowidx", csc.indices.astype(I32))
    a_val = al.place("vals", csc.data.astype(F32))
    a_x = al.place("X", x.astype(F32))
    a_y = al.reserve("Y", M * N * 4)
    # widest column tile of the output that fits in the accumulator
    nt = N
    while M * cfg.pitch(nt * 4) > cfg.acc_bytes and nt > D:
        nt = -(-(nt // 2) // D) * D
    if M * cfg.pitch(nt * 4) > cfg.acc_bytes:
        raise ValueError(f"csc spmm keeps the output in the accumulator: M={M} rows of "
                         f"{min(N, D)} floats need {M * cfg.pitch(min(N, D) * 4)} bytes > "
                         f"{cfg.acc_bytes}")
    pitch = cfg.pitch(nt * 4)
    lay = SpadLayout(cfg)
    sp_x = lay.alloc("xrow", nt * 4)
    acc_y = lay.alloc("Y", M * pitch, space=1)
    shift = pitch.bit_length() - 1 if pitch & (pitch - 1) == 0 else None

    R = Regs(cfg)
    colptr, rowi, val, xp, k, kk, s, e, off, rp, vp, r, a, wgt, pr = R.many(
        "colptr", "row", "val", "x", "k", "K", "s", "e", "off", "rp", "vp", "r", "a", "w", "pitch")
    p = Program(name="spmm_csc")
    p.li(rowi, a_row); p.li(val, a_val); p.li(kk, K); p.li(pr, pitch)
    for t0 in range(0, N, nt):
        wdt = min(nt, N - t0)
        lbl = f"t{t0}_"
        p.vzero(1, 0, acc_y, M * pitch // 4)
        p.li(colptr, a_colptr)
        p.li(xp, a_x + t0 * 4)
        p.li(k, 0)
        p.label(lbl + "col")
        p.ld(s, colptr, 0, 4)
        p.ld(e, colptr, 4, 4)
        p.bge(s, e, lbl + "next")
        p.mvin(xp, 0, sp_x, 1, wdt * 4)                 # X[k, tile]
        p.shli(off, s, 2)
        p.add(rp, rowi, off)
        p.add(vp, val, off)
        p.label(lbl + "nz")
        p.ld(r, rp, 0, 4)                               # r = rowidx[j]
        if shift is not None:
            p.shli(a, r, shift)
        else:
            p.mul(a, r, pr)
        p.ld(wgt, vp, 0, 4)
        p.vmacc(a, acc_y, 0, sp_x, wdt, wgt)            # Y[r, tile] += w * X[k, tile]
        p.addi(rp, rp, 4)
        p.addi(vp, vp, 4)
        p.addi(s, s, 1)
        p.blt(s, e, lbl + "nz")
        p.label(lbl + "next")
        p.addi(colptr, colptr, 4)
        p.addi(xp, xp, N * 4)
        p.addi(k, k, 1)
        p.blt(k, kk, lbl + "col")
        if relu:
            p.vrelu(1, 0, acc_y, M * pitch // 4)
        p.li(a, a_y + t0 * 4)
        p.mvout_acc(a, 0, acc_y, M, wdt * 4, N * 4)
    p.halt()
    return p, dict(gathered_rows=0, kernel="csc-outer-product", column_tile=nt)


# ---------------------------------------------------------------------------
# SpMV
# ---------------------------------------------------------------------------

@register("spmv", small=dict(M=48, K=64, sparsity=0.8),
          doc="y = W . x, CSR W, x gathered element-wise, dot products on the systolic array")
def spmv(M: int = None, K: int = 1024, sparsity: float = 0.95, seed: int = 0,
         pattern: str = "unstructured", nm: Tuple[int, int] = (2, 4), source: str = "random",
         pipeline: bool = False, config=None) -> Workload:
    """Sparse matrix-vector product y (M) = W (M x K) . x (K), W in CSR.

    Per row, in chunks of DIM nonzeros: mvin the column indices and the
    weights, gather x[col] (4-byte rows, one per scratchpad row: a column
    vector), and ``matmul`` weights (1 x DIM) by it into one accumulator
    element. ``source="digits"``: W is the pruned first layer (+ bias) of the
    digits MLP and x a real test image (with a trailing 1).
    ``pipeline=True``: the software-pipelined kernel of
    ``_csr_pipelined_program`` with N = 1 (flat nonzero chunks, x elements
    gathered one chunk ahead, one segment-matrix matmul per chunk).
    """
    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    if M is None:
        M = 64 if source == "digits" else 1024
    if source == "digits":
        K = 65
    w, info = _weights(source, M, K, sparsity, pattern, tuple(nm), seed)
    if source == "digits":
        x = _digits_inputs(1, seed)[:, 0]
    else:
        x = rng_for(seed, 4).standard_normal(K)
    x = x.astype(F32).astype(np.float64)
    y = w @ x
    mag = np.abs(w) @ np.abs(x)
    csr = to_csr(w)
    terms = int(np.diff(csr.indptr).max(initial=0)) + 1
    params = dict(M=M, K=K, sparsity=sparsity, seed=seed, pattern=pattern, nm=tuple(nm), source=source,
                  pipeline=bool(pipeline))
    info.update(nnz=int(csr.nnz), gathered_rows=int(csr.nnz),
                max_nnz_row=int(np.diff(csr.indptr).max(initial=0)))

    al = Allocator()
    if pipeline:
        p, a_y = _csr_pipelined_program(cfg, al, csr.indptr, csr.indices, csr.data, x.reshape(K, 1), False,
                                        "spmv_pipelined", "y")
        validate(p, cfg)
        info.update(kernel="csr-pipelined")
        return Workload(
            name="spmv", program=p, memory=al.memory, output=OutputSpec(a_y, np.dtype(F32), (M,)),
            expected=y.astype(F32), tolerance=summation_tolerance(mag, terms), params=params,
            config=cfg, regions=dict(al.regions), info=info)
    a_rowptr = al.place("rowptr", csr.indptr.astype(I32))
    a_col = al.place("colidx", csr.indices.astype(I32))
    a_val = al.place("vals", csr.data.astype(F32))
    a_x = al.place("x", x.astype(F32))
    a_y = al.reserve("y", M * 4)

    lay = SpadLayout(cfg)
    sp_idx = lay.alloc("idx", D * 4)
    sp_v = lay.alloc("vals", rb)
    sp_g = lay.alloc("xg", D * rb)
    acc_t = lay.alloc("dot", rb, space=1)

    R = Regs(cfg)
    rowptr, col, val, xb, yp, i, m, s, e, n, dim, off, ia, va = R.many(
        "rowptr", "col", "val", "x", "y", "i", "m", "s", "e", "n", "dim", "off", "ia", "va")
    p = Program(name="spmv")
    p.li(rowptr, a_rowptr); p.li(col, a_col); p.li(val, a_val); p.li(xb, a_x); p.li(yp, a_y)
    p.li(m, M); p.li(dim, D); p.li(i, 0)
    p.label("row")
    p.ld(s, rowptr, 0, 4)
    p.ld(e, rowptr, 4, 4)
    p.vzero(1, 0, acc_t, 1)
    p.bge(s, e, "store")
    p.label("chunk")
    p.sub(n, e, s)
    emit_min(p, n, n, dim)
    p.shli(off, s, 2)
    p.add(ia, col, off)
    p.add(va, val, off)
    p.mvin(ia, 0, sp_idx, 1, D * 4)             # colidx[s : s+DIM]
    p.mvin(va, 0, sp_v, 1, D * 4)               # vals[s : s+DIM] (tail masked below)
    p.vzero(0, 0, sp_g, D * D)                  # rows >= n of the column vector stay 0
    p.gather(xb, sp_g, sp_idx, 4, n, 4, 4)      # x[colidx[j]] -> element 0 of row j
    p.matmul(sp_v, sp_g, acc_t, 1, D, 1, 1)     # dot += vals . x_gathered
    p.add(s, s, n)
    p.blt(s, e, "chunk")
    p.label("store")
    p.mvout_acc(yp, 0, acc_t, 1, 4)
    p.addi(yp, yp, 4)
    p.addi(rowptr, rowptr, 4)
    p.addi(i, i, 1)
    p.blt(i, m, "row")
    p.halt()
    validate(p, cfg)
    return Workload(
        name="spmv", program=p, memory=al.memory, output=OutputSpec(a_y, np.dtype(F32), (M,)),
        expected=y.astype(F32), tolerance=summation_tolerance(mag, terms), params=params,
        config=cfg, regions=dict(al.regions), info=info)


# ---------------------------------------------------------------------------
# SDDMM
# ---------------------------------------------------------------------------

@register("sddmm", small=dict(M=32, N=48, d=16, sparsity=0.8),
          doc="out = S o (A . B^T) at the nonzeros of sparse S (CSR), rows of B gathered")
def sddmm(M: int = 512, N: int = 512, d: int = 32, sparsity: float = 0.95, seed: int = 0,
          pipeline: bool = False, config=None) -> Workload:
    """Sampled dense-dense matrix product: for each nonzero (i, j) of S
    (M x N, CSR), out_k = S_ij * (A_i . B_j), A (M x d), B (N x d); the result
    is the value array of the output in S's CSR order.

    Per row i: A_i is moved in once; per chunk of up to DIM nonzeros the
    column indices are moved in, the B rows are gathered (one gather per
    DIM-wide slice of d, using row_stride = 4*d), the dot products come out of
    the systolic array as a column (B_gathered . A_i^T, transposed operand),
    are scaled by S's values (``vmul``) and stored with a register row count.

    ``pipeline=True``: software-pipelined over the flat nonzero stream in
    chunks of DIM, double-buffered (see pipeline.py). S's pattern is then
    also given in COO form (a row index per nonzero, as graph frameworks
    keep next to CSR), so a chunk may span rows: per chunk both A rows (by
    row index) and B rows (by column index) are gathered one chunk ahead,
    stage 0 multiplies them elementwise (``vmul``) and sums each product row
    on the array (a matmul with a ones column: the dot products as a
    column), and stage 1, a chunk later, scales by S's values and stores.
    """
    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    if d % D:
        raise ValueError(f"d={d} must be a multiple of DIM={D}")
    rng = rng_for(seed, 5)
    s_dense = random_sparse(M, N, sparsity, rng)
    smat = to_csr(s_dense.astype(F32))
    a = rng.standard_normal((M, d)).astype(F32).astype(np.float64)
    b = rng.standard_normal((N, d)).astype(F32).astype(np.float64)
    rows = np.repeat(np.arange(M), np.diff(smat.indptr))
    cols = smat.indices
    sv = smat.data.astype(np.float64)
    dots = np.einsum("kd,kd->k", a[rows], b[cols])
    mags = np.einsum("kd,kd->k", np.abs(a[rows]), np.abs(b[cols]))
    out = sv * dots
    mag = np.abs(sv) * mags

    al = Allocator()
    params = dict(M=M, N=N, d=d, sparsity=sparsity, seed=seed, pipeline=bool(pipeline))
    info = dict(nnz=int(smat.nnz), gathered_rows=int(smat.nnz * (d // D)))
    if pipeline:
        p, a_out = _sddmm_pipelined_program(cfg, al, rows, cols, smat.data, a, b)
        validate(p, cfg)
        info.update(gathered_rows=int(2 * smat.nnz * (d // D)), kernel="coo-pipelined")
        return Workload(
            name="sddmm", program=p, memory=al.memory,
            output=OutputSpec(a_out, np.dtype(F32), (smat.nnz,)),
            expected=out.astype(F32), tolerance=summation_tolerance(mag, d + 2), params=params, config=cfg,
            regions=dict(al.regions), info=info)
    a_rowptr = al.place("rowptr", smat.indptr.astype(I32))
    a_col = al.place("colidx", cols.astype(I32))
    a_sv = al.place("svals", smat.data.astype(F32))
    a_a = al.place("A", a.astype(F32))
    a_b = al.place("B", b.astype(F32))
    a_out = al.reserve("out", max(smat.nnz, 1) * 4)

    lay = SpadLayout(cfg)
    slices = d // D
    sp_idx = lay.alloc("idx", D * 4)
    sp_a = lay.alloc("arow", slices * rb)
    sp_sv = lay.alloc("svals", D * rb)
    sp_b = [lay.alloc(f"bg{t}", D * rb) for t in range(slices)]
    acc_s = lay.alloc("dots", D * rb, space=1)

    R = Regs(cfg)
    rowptr, col, svp, ap, bb, ob, i, m, s, e, n, dim, off, ia, sa, oa, bt = R.many(
        "rowptr", "col", "sv", "a", "b", "out", "i", "m", "s", "e", "n", "dim", "off", "ia", "sa",
        "oa", "bt")
    p = Program(name="sddmm")
    p.li(rowptr, a_rowptr); p.li(col, a_col); p.li(svp, a_sv); p.li(ap, a_a); p.li(bb, a_b)
    p.li(ob, a_out); p.li(m, M); p.li(dim, D); p.li(i, 0)
    p.label("row")
    p.ld(s, rowptr, 0, 4)
    p.ld(e, rowptr, 4, 4)
    p.bge(s, e, "next")
    p.mvin(ap, 0, sp_a, slices, rb, rb)          # A_i as `slices` rows of DIM
    p.label("chunk")
    p.sub(n, e, s)
    emit_min(p, n, n, dim)
    p.shli(off, s, 2)
    p.add(ia, col, off)
    p.add(sa, svp, off)
    p.add(oa, ob, off)
    p.mvin(ia, 0, sp_idx, 1, D * 4)              # colidx[s : s+DIM]
    p.mvin(sa, 0, sp_sv, D, 4, 4, n)             # S values, one per row (n rows)
    for t in range(slices):
        p.addi(bt, bb, t * rb)
        p.gather(bt, sp_b[t], sp_idx, 4, n, rb, d * 4)   # B[colidx, slice t]
        p.matmul(sp_b[t], sp_a + t * rb, acc_s, D, D, 1, 2 | (1 if t else 0))
    p.vmul(0, acc_s, 0, sp_sv, D * D, 1)         # dots *= S values
    p.mvout_acc(oa, 0, acc_s, D, 4, 4, n)        # out[s : s+n]
    p.add(s, s, n)
    p.blt(s, e, "chunk")
    p.label("next")
    p.addi(rowptr, rowptr, 4)
    p.addi(ap, ap, d * 4)
    p.addi(i, i, 1)
    p.blt(i, m, "row")
    p.halt()
    validate(p, cfg)
    return Workload(
        name="sddmm", program=p, memory=al.memory,
        output=OutputSpec(a_out, np.dtype(F32), (smat.nnz,)),
        expected=out.astype(F32), tolerance=summation_tolerance(mag, d + 2),
        params=params, config=cfg, regions=dict(al.regions), info=info)


# ---------------------------------------------------------------------------
# Software-pipelined CSR kernel (spmm and spmv with pipeline=True)
# ---------------------------------------------------------------------------

def _csr_pipelined_program(cfg, al, indptr, indices, data, x, relu, name, out_name):
    """Y = W . X with W in CSR (indptr, indices, data) and X (K x N) dense,
    software-pipelined over the flat nonzero stream (see pipeline.py).

    The nonzeros are cut into chunks of DIM regardless of row boundaries.
    Per chunk: mvin its column indices (two chunks ahead), gather the X rows
    (one gather per DIM-wide column tile) and mvin its DIM weights (one
    chunk ahead). Stage 0 builds the chunk's *segment matrix* A: row q holds
    the weights of the q-th row run inside the chunk (the chunk's weight row
    masked to the run with two windows of a constant 0/1 pattern), and one
    matmul per column tile computes every run's partial row at once
    (C = A . X_gathered). Stage 1 (one chunk later, so the array has drained)
    adds each run's partial row into its output row, staged in an
    accumulator window. The rows' bounds come from scalar loads of rowptr
    (two cursors: one finds the runs for stage 0, one finishes rows in
    stage 1). No scalar load per nonzero."""
    D, rb = cfg.dim, cfg.row_bytes
    M = len(indptr) - 1
    K, N = x.shape
    nnz = int(indptr[-1])
    a_rowptr = al.place("rowptr", indptr.astype(I32))
    a_col = al.place("colidx", indices.astype(I32))
    a_val = al.place("vals", data.astype(F32))
    a_x = al.place("X" if N > 1 else "x", x.astype(F32).reshape(K, N) if N > 1 else x.astype(F32).reshape(K))
    a_y = al.reserve(out_name, M * N * 4)

    p = Program(name=name)
    lay = SpadLayout(cfg)
    R = Regs(cfg)
    sp_pat = Constants(p, cfg, al, lay, R).place("mask_pattern", mask_pattern(D))
    col, val, xb, T = R.many("col", "val", "x", "T")
    p.li(col, a_col)
    p.li(val, a_val)
    p.li(xb, a_x)
    p.li(T, a_rowptr + 4 * M)
    p.ld(T, T, 0, 4)                                     # nnz = rowptr[M]
    tiles = [(t, min(D, N - t * D)) for t in range(-(-N // D))]
    pipe = Pipe(p, cfg, R, lay, tag="", chunk=D, total=T)
    s = pipe.stream(col, 4)
    xg = [pipe.gather(s, xb, w * 4, N * 4, base_off=t * rb, name=f"x{t}_") for t, w in tiles]
    wv = pipe.load(val, 1, D * 4, step=D * 4, name="w")  # the chunk's weights
    A = [lay.alloc(f"A{h}", D * rb) for h in (0, 1)]
    C = [[lay.alloc(f"C{h}_{t}", D * rb, space=1) for t, _ in tiles] for h in (0, 1)]
    win = OutWindow(p, cfg, R, lay, tag="y", a_out=a_y, row_floats=N, out_stride=N * 4, tmp=pipe.st)
    look = SegCursor(p, R, tag="la", name="la", a_offsets=a_rowptr, ib=4)
    cur = SegCursor(p, R, tag="sg", name="sg", a_offsets=a_rowptr, ib=4, segments=M)
    pp, pend, rend, q = R.many("pp", "pend", "rend", "q")
    t1, t2 = pipe.st, pipe.su
    win.init()
    look.init()
    cur.init()

    def build(p, h, pos, n):                              # stage 0: segment matrix, matmuls
        slow, done = p.new_label("b_slow"), p.new_label("b_done")
        p.add(pend, pos, n)
        p.blt(look.e, pend, slow)                         # the chunk lies inside one row: its weights are A
        for (t, w) in tiles:
            p.matmul(wv[h], xg[t][h], C[h][t], 1, D, w, 0)
        p.j(done)
        p.label(slow)
        p.li(q, 0)

        def run(lo, hi):
            p.sub(t1, pos, lo)
            p.addi(t1, t1, D)
            p.shli(t1, t1, 2)                             # window keeping elements >= lo
            p.sub(t2, pos, hi)
            p.addi(t2, t2, 2 * D)
            p.shli(t2, t2, 2)                             # window keeping elements < hi
            p.vmov(q, A[h], 0, wv[h], D, 0)
            p.vmul(q, A[h], t1, sp_pat, D, 0)
            p.vmul(q, A[h], t2, sp_pat, D, 0)
            p.addi(q, q, rb)
        look.walk(pos, n, (pp, pend, rend), run, lambda: None)
        for (t, w) in tiles:
            p.matmul(A[h], xg[t][h], C[h][t], D, D, w, 0)
        p.label(done)

    def finish():
        if relu:
            p.vrelu(1, win.row, 0, N)
        win.advance()

    def accumulate(p, h, pos, n):                         # stage 1: partial rows into output rows
        slow, done = p.new_label("a_slow"), p.new_label("a_done")
        p.add(pend, pos, n)
        p.blt(cur.e, pend, slow)                          # inside one row: one partial row
        for (t, w) in tiles:
            p.vadd(win.row, t * rb, 0, C[h][t], w, 3)
        p.j(done)
        p.label(slow)
        p.li(q, 0)

        def run(lo, hi):
            for (t, w) in tiles:
                p.vadd(win.row, t * rb, q, C[h][t], w, 3)
            p.addi(q, q, rb)
        cur.walk(pos, n, (pp, pend, rend), run, finish)
        p.label(done)

    pipe.stage(0, build)
    pipe.stage(1, accumulate)
    pipe.emit()
    cur.drain(finish, pipe.st)
    win.flush()
    p.halt()
    return p, a_y


def _sddmm_pipelined_program(cfg, al, rows, cols, svals, a, b):
    D, rb = cfg.dim, cfg.row_bytes
    nnz = len(cols)
    d = a.shape[1]
    slices = d // D
    a_row = al.place("rowidx", rows.astype(I32))
    a_col = al.place("colidx", cols.astype(I32))
    a_sv = al.place("svals", svals.astype(F32))
    a_a = al.place("A", a.astype(F32))
    a_b = al.place("B", b.astype(F32))
    a_out = al.reserve("out", max(nnz, 1) * 4)
    p = Program(name="sddmm_pipelined")
    lay = SpadLayout(cfg)
    R = Regs(cfg)
    ones = np.zeros((D, 1), dtype=F32)
    ones[:, 0] = 1
    sp_ones = Constants(p, cfg, al, lay, R).place("ones", ones)       # a column of ones (k = DIM, n = 1)
    ri, ci, svp, ap, bb, ob, T = R.many("row", "col", "sv", "a", "b", "out", "T")
    p.li(ri, a_row)
    p.li(ci, a_col)
    p.li(svp, a_sv)
    p.li(ap, a_a)
    p.li(bb, a_b)
    p.li(ob, a_out)
    p.li(T, nnz)
    pipe = Pipe(p, cfg, R, lay, tag="", chunk=D, total=T)
    sc = pipe.stream(ci, 4, "cidx")
    sr = pipe.stream(ri, 4, "ridx")
    bg, ag = [], []
    for t in range(slices):             # B[col, slice t] and A[row, slice t]: in different banks
        bg.append(pipe.gather(sc, bb, rb, d * 4, base_off=t * rb, name=f"bg{t}_"))
        ag.append(pipe.gather(sr, ap, rb, d * 4, base_off=t * rb, name=f"ag{t}_"))
    sv = pipe.load(svp, D, 4, step=D * 4, stride=4, skew=0, name="sv")   # S values, one per row
    dots = [lay.alloc(f"dots{h}", D * rb, space=1) for h in (0, 1)]

    def dot(p, h, pos, n):                          # stage 0: dots = rowsum(A_g * B_g)
        for t in range(slices):
            p.vmul(0, ag[t][h], 0, bg[t][h], D * D, 0)
            p.matmul(ag[t][h], sp_ones, dots[h], D, D, 1, 1 if t else 0)

    def scale_store(p, h, pos, n):                  # stage 1
        p.vmul(0, dots[h], 0, sv[h], D * D, 1)      # dots *= S values
        p.shli(pipe.st, pos, 2)
        p.add(pipe.st, ob, pipe.st)
        p.mvout_acc(pipe.st, 0, dots[h], D, 4, 4, n)   # out[pos : pos+n]
    pipe.stage(0, dot)
    pipe.stage(1, scale_store)
    pipe.emit()
    p.halt()
    return p, a_out
