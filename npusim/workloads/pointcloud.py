"""Point-cloud k-NN feature gather with max pooling (PointNet++/DGCNN style)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ..isa import NPUConfig, Program, validate
from .base import Allocator, OutputSpec, Regs, SpadLayout, Workload, rng_for
from .data import morton_order, point_cloud
from .pipeline import OutWindow, Pipe
from .registry import register

F32 = np.float32


@register("pointcloud", small=dict(points=128, k=8, channels=16),
          doc="point cloud: gather the features of each point's k nearest neighbours, max-pool")
def pointcloud(points: int = 1024, k: int = 16, channels: int = 32, seed: int = 0,
               order: str = "random", pipeline: bool = False, config=None) -> Workload:
    """Local feature aggregation of a point-cloud network:
    ``out[i] = max_{j in kNN(i)} F[j]`` (elementwise), where kNN(i) are the
    ``k`` nearest points of point i (itself included) in a synthetic 3-D
    scene (floor, sphere, torus, cylinder; see ``data.point_cloud``), and
    F = ReLU(P . W + b) are per-point features from a random linear layer on
    the coordinates (a PointNet-like first layer), channels wide.

    ``order="random"``: points in sensor (random) order; ``"morton"``:
    sorted along a Z-order curve, as point-cloud libraries often do, which
    makes neighbour gathers far more local.

    Per point: mvin its k neighbour ids, ``gather`` the k feature rows,
    copy the first into the accumulator and ``vmax`` the others in. Max
    pooling involves no rounding, so the result must match exactly.

    ``pipeline=True``: software-pipelined and double-buffered (see
    pipeline.py): the neighbour ids of point i + 2 are moved in and the rows
    of point i + 1 gathered while point i is max-pooled (k - 1 static
    ``vmax`` into its accumulator row); results leave DIM rows at a time.
    """
    cfg = NPUConfig.coerce(config)
    D = cfg.dim
    if not 1 <= k <= min(D, points):
        raise ValueError(f"k must be in 1..min(DIM, points) = {min(D, points)}")
    rng = rng_for(seed, 50)
    pts = point_cloud(points, rng)
    if order == "morton":
        pts = pts[morton_order(pts)]
    elif order != "random":
        raise ValueError(f"unknown order {order!r} (random or morton)")
    w = rng.standard_normal((3, channels)) * 2.0
    bias = rng.standard_normal(channels) * 0.5
    feats = np.maximum(pts @ w + bias, 0).astype(F32)
    _, nbr = cKDTree(pts).query(pts, k=k)
    nbr = np.asarray(nbr).reshape(points, k).astype(np.int64)
    out = feats[nbr].max(axis=1)

    al = Allocator()
    a_f = al.place("features", feats)
    a_nbr = al.place("knn", nbr.astype(np.int32))
    al.place("xyz", pts.astype(F32))  # not read by the kernel; kept for reference
    a_out = al.reserve("out", points * channels * 4)

    row = channels * 4
    pitch = cfg.pitch(row)
    lay = SpadLayout(cfg)
    params = dict(points=points, k=k, channels=channels, seed=seed, order=order, pipeline=bool(pipeline))
    if pipeline:
        R = Regs(cfg)
        np_, fb, T = R.many("nbr", "f", "T")
        p = Program(name="pointcloud_pipelined")
        p.li(np_, a_nbr)
        p.li(fb, a_f)
        p.li(T, points * k)
        pipe = Pipe(p, cfg, R, lay, tag="", chunk=k, total=T)
        s = pipe.stream(np_, 4)
        rows = pipe.gather(s, fb, row, row)                   # F[knn[i, j]]
        win = OutWindow(p, cfg, R, lay, tag="o", a_out=a_out, row_floats=channels, out_stride=row,
                        tmp=pipe.st)
        win.init()

        def pool(p, h, pos, n):
            p.vmov(win.row, 0, 0, rows[h], channels, 1)       # max = first neighbour
            for j in range(1, k):
                p.vmax(win.row, 0, 0, rows[h] + j * pitch, channels, 1)
            win.advance()
        pipe.stage(0, pool)
        pipe.emit()
        win.flush()
        p.halt()
        validate(p, cfg)
        return Workload(
            name="pointcloud", program=p, memory=al.memory,
            output=OutputSpec(a_out, np.dtype(F32), (points, channels)),
            expected=out, tolerance=None, params=params, config=cfg, regions=dict(al.regions),
            info=dict(gathered_rows=int(points * k), kernel="pipelined"))
    sp_idx = lay.alloc("idx", k * 4)
    sp_g = lay.alloc("rows", k * pitch)
    acc_o = lay.alloc("max", row, space=1)

    R = Regs(cfg)
    np_, fb, op, i, n, kk, j, g = R.many("nbr", "f", "out", "i", "N", "k", "j", "g")
    p = Program(name="pointcloud")
    p.li(np_, a_nbr); p.li(fb, a_f); p.li(op, a_out); p.li(n, points); p.li(kk, k); p.li(i, 0)
    p.label("point")
    p.mvin(np_, 0, sp_idx, 1, k * 4)             # neighbour ids of point i
    p.gather(fb, sp_g, sp_idx, 4, kk, row, row)  # F[knn[i, j]]
    p.vmov(0, acc_o, 0, sp_g, channels, 1)       # max = first neighbour
    p.li(j, 1)
    p.li(g, pitch)
    p.bge(j, kk, "store")
    p.label("nbr")
    p.vmax(0, acc_o, g, sp_g, channels, 1)
    p.addi(g, g, pitch)
    p.addi(j, j, 1)
    p.blt(j, kk, "nbr")
    p.label("store")
    p.mvout_acc(op, 0, acc_o, 1, row)
    p.addi(np_, np_, k * 4)
    p.addi(op, op, row)
    p.addi(i, i, 1)
    p.blt(i, n, "point")
    p.halt()
    validate(p, cfg)
    return Workload(
        name="pointcloud", program=p, memory=al.memory,
        output=OutputSpec(a_out, np.dtype(F32), (points, channels)),
        expected=out, tolerance=None,
        params=params,
        config=cfg, regions=dict(al.regions),
        info=dict(gathered_rows=int(points * k)))
