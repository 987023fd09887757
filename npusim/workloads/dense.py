"""Dense controls: tiled GEMM and 3x3 convolution."""

from __future__ import annotations

import numpy as np

from ..isa import NPUConfig, Program, validate
from .base import Allocator, OutputSpec, Regs, SpadLayout, Workload, rng_for, summation_tolerance
from .registry import register

F32 = np.float32


def _split(total: int, tile: int):
    """[(count, size, start)] of full tiles and the tail tile."""
    out = []
    if total // tile:
        out.append((total // tile, tile, 0))
    if total % tile:
        out.append((1, total % tile, (total // tile) * tile))
    return out


@register("gemm", small=dict(M=32, N=24, K=40),
          doc="dense C = A . B tiled for the DIM x DIM array (control)")
def gemm(M: int = 128, N: int = 128, K: int = 128, seed: int = 0, config=None) -> Workload:
    """Dense GEMM C (M x N) = A (M x K) . B (K x N), row-major float32.

    Output-stationary tiling: for each DIM x DIM output tile (register loops
    over tile rows and tile columns, edge tiles peeled), the K dimension is
    walked in DIM steps (a register loop): mvin the A and B tiles,
    ``matmul`` accumulate, then mvout the tile. Any M, N, K >= 1.
    """
    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    rng = rng_for(seed, 60)
    a = rng.standard_normal((M, K)).astype(F32)
    b = rng.standard_normal((K, N)).astype(F32)
    af, bf = a.astype(np.float64), b.astype(np.float64)
    c = af @ bf
    mag = np.abs(af) @ np.abs(bf)

    al = Allocator()
    a_a = al.place("A", a)
    a_b = al.place("B", b)
    a_c = al.reserve("C", M * N * 4)
    lay = SpadLayout(cfg)
    sp_a = lay.alloc("a", D * rb)
    sp_b = lay.alloc("b", D * rb)
    acc_c = lay.alloc("c", D * rb, space=1)

    R = Regs(cfg)
    arow, crow, bcol, ap, bp, cp, i, ni, j, nj, k, nk = R.many(
        "arow", "crow", "bcol", "a", "b", "c", "i", "ni", "j", "nj", "k", "nk")
    p = Program(name="gemm")
    kfull, ktail = K // D, K % D
    for mi, (mcount, mt, i0) in enumerate(_split(M, D)):
        for ni_, (ncount, nt, j0) in enumerate(_split(N, D)):
            tag = f"r{mi}{ni_}_"
            p.li(arow, a_a + i0 * K * 4)
            p.li(crow, a_c + (i0 * N + j0) * 4)
            p.li(ni, mcount)
            p.li(i, 0)
            p.label(tag + "i")
            p.li(bcol, a_b + j0 * 4)
            p.mov(cp, crow)
            p.li(nj, ncount)
            p.li(j, 0)
            p.label(tag + "j")
            p.mov(ap, arow)
            p.mov(bp, bcol)
            p.vzero(1, 0, acc_c, mt * D)
            if kfull:
                p.li(nk, kfull)
                p.li(k, 0)
                p.label(tag + "k")
                p.mvin(ap, 0, sp_a, mt, rb, K * 4)           # A[i-tile, k-tile]
                p.mvin(bp, 0, sp_b, D, nt * 4, N * 4)        # B[k-tile, j-tile]
                p.matmul(sp_a, sp_b, acc_c, mt, D, nt, 1)
                p.addi(ap, ap, rb)
                p.addi(bp, bp, D * N * 4)
                p.addi(k, k, 1)
                p.blt(k, nk, tag + "k")
            if ktail:
                p.mvin(ap, 0, sp_a, mt, ktail * 4, K * 4)
                p.mvin(bp, 0, sp_b, ktail, nt * 4, N * 4)
                p.matmul(sp_a, sp_b, acc_c, mt, ktail, nt, 1)
            p.mvout_acc(cp, 0, acc_c, mt, nt * 4, N * 4)
            p.addi(bcol, bcol, nt * 4)
            p.addi(cp, cp, nt * 4)
            p.addi(j, j, 1)
            p.blt(j, nj, tag + "j")
            p.addi(arow, arow, mt * K * 4)
            p.addi(crow, crow, mt * N * 4)
            p.addi(i, i, 1)
            p.blt(i, ni, tag + "i")
    p.halt()
    validate(p, cfg)
    tiles = -(-M // D) * -(-N // D) * -(-K // D)
    return Workload(
        name="gemm", program=p, memory=al.memory, output=OutputSpec(a_c, np.dtype(F32), (M, N)),
        expected=c.astype(F32), tolerance=summation_tolerance(mag, K),
        params=dict(M=M, N=N, K=K, seed=seed), config=cfg, regions=dict(al.regions),
        info=dict(matmuls=tiles, gathered_rows=0))


@register("conv", small=dict(H=8, W=20, C=16, F=16),
          doc="dense 3x3 convolution, stride 1, same padding, direct (implicit GEMM) (control)")
def conv(H: int = 32, W: int = 32, C: int = 16, F: int = 32, seed: int = 0,
         config=None) -> Workload:
    """3x3 convolution, stride 1, zero 'same' padding, NHWC (batch 1):
    ``Y[h, w, f] = sum_{kh, kw, c} X[h+kh-1, w+kw-1, c] * Wt[kh, kw, c, f]``.

    The input is stored zero-padded ((H+2) x (W+2) x C, as the producing
    layer writes it); weights (3 x 3 x C x F) are moved into the scratchpad
    once. Direct convolution as implicit GEMM: for each output row (register
    loop) and each strip of up to DIM output pixels (register loop, edge
    strip peeled), each tap and DIM-channel slice moves in the shifted input
    strip (pixels x channels, DRAM stride C) and multiplies it by that tap's
    weight tile into the accumulator.
    """
    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    rng = rng_for(seed, 61)
    x = rng.standard_normal((H, W, C)).astype(F32)
    wt = (rng.standard_normal((3, 3, C, F)) / np.sqrt(9 * C)).astype(F32)
    xp = np.zeros((H + 2, W + 2, C), dtype=F32)
    xp[1:-1, 1:-1] = x
    xpf, wf = xp.astype(np.float64), wt.astype(np.float64)
    y = np.zeros((H, W, F))
    mag = np.zeros((H, W, F))
    for kh in range(3):
        for kw in range(3):
            patch = xpf[kh:kh + H, kw:kw + W]
            y += patch @ wf[kh, kw]
            mag += np.abs(patch) @ np.abs(wf[kh, kw])

    al = Allocator()
    a_x = al.place("X_padded", xp)
    a_w = al.place("W", wt)
    a_y = al.reserve("Y", H * W * F * 4)
    cT, fT = -(-C // D), -(-F // D)
    lay = SpadLayout(cfg)
    sp_w = {}
    for tap in range(9):
        for ct in range(cT):
            for ft in range(fT):
                sp_w[tap, ct, ft] = lay.alloc(f"w{tap}_{ct}_{ft}", D * rb)
    sp_a = lay.alloc("a", D * rb)
    acc = [lay.alloc(f"y{ft}", D * rb, space=1) for ft in range(fT)]

    R = Regs(cfg)
    wb, xrow, yrow, xp_, yp, h, nh, w_, nw = R.many("w", "xrow", "yrow", "x", "y", "h", "H", "wi",
                                                    "nw")
    p = Program(name="conv3x3")
    p.li(wb, a_w)
    for tap in range(9):                                   # weights: once
        for ct in range(cT):
            csz = min(D, C - ct * D)
            for ft in range(fT):
                fsz = min(D, F - ft * D)
                p.mvin(wb, ((tap * C + ct * D) * F + ft * D) * 4, sp_w[tap, ct, ft], csz, fsz * 4,
                       F * 4)
    p.li(xrow, a_x); p.li(yrow, a_y); p.li(nh, H); p.li(h, 0)
    p.label("row")
    for si, (count, wtile, w0) in enumerate(_split(W, D)):
        tag = f"s{si}_"
        p.addi(xp_, xrow, w0 * C * 4)
        p.addi(yp, yrow, w0 * F * 4)
        p.li(nw, count)
        p.li(w_, 0)
        p.label(tag + "strip")
        first = True
        for kh in range(3):
            for kw in range(3):
                tap = kh * 3 + kw
                for ct in range(cT):
                    csz = min(D, C - ct * D)
                    p.mvin(xp_, ((kh * (W + 2) + kw) * C + ct * D) * 4, sp_a, wtile, csz * 4, C * 4)
                    for ft in range(fT):
                        fsz = min(D, F - ft * D)
                        p.matmul(sp_a, sp_w[tap, ct, ft], acc[ft], wtile, csz, fsz, 0 if first else 1)
                    first = False
        for ft in range(fT):
            fsz = min(D, F - ft * D)
            p.mvout_acc(yp, ft * D * 4, acc[ft], wtile, fsz * 4, F * 4)
        p.addi(xp_, xp_, D * C * 4)
        p.addi(yp, yp, D * F * 4)
        p.addi(w_, w_, 1)
        p.blt(w_, nw, tag + "strip")
    p.addi(xrow, xrow, (W + 2) * C * 4)
    p.addi(yrow, yrow, W * F * 4)
    p.addi(h, h, 1)
    p.blt(h, nh, "row")
    p.halt()
    validate(p, cfg)
    return Workload(
        name="conv", program=p, memory=al.memory, output=OutputSpec(a_y, np.dtype(F32), (H, W, F)),
        expected=y.astype(F32), tolerance=summation_tolerance(mag, 9 * C),
        params=dict(H=H, W=W, C=C, F=F, seed=seed), config=cfg, regions=dict(al.regions),
        info=dict(gathered_rows=0, matmuls=H * -(-W // D) * 9 * cT * fT))
