"""Top-k sparse attention: gather the selected keys and values per query."""

from __future__ import annotations

import numpy as np

from ..isa import NPUConfig, Program, validate
from .base import Allocator, OutputSpec, Regs, SpadLayout, Workload, rng_for, summation_tolerance
from .pipeline import OutWindow, Pipe
from .registry import register

F32 = np.float32


@register("sparse_attention", small=dict(heads=1, seq_len=64, top_k=8),
          doc="top-k sparse attention (ReLU-normalised): per query gather k keys and values")
def sparse_attention(heads: int = 2, seq_len: int = 512, top_k: int = 16, seed: int = 0,
                     selection: str = "topk", window: int = 4, pipeline: bool = False,
                     config=None) -> Workload:
    """Sparse attention with head dimension DIM: for each head and query q,
    a set of ``top_k`` key positions is given (an index array, as produced
    by a top-k / ANN indexer), and
    ``o_q = sum_j relu(q . k_j * c) v_j``, ``c = 1 / (top_k * sqrt(DIM))``:
    the ReLU-normalised attention variant, which needs no exponential and so
    runs entirely on the systolic array and vector unit.

    Per query: mvin its k indices, ``gather`` the k key rows and the k
    value rows, ``matmul`` q against the keys (transposed operand), scale
    and ReLU the scores, move them to the scratchpad (``vmov``) and
    ``matmul`` them with the values. Q, K, V and the output are stored
    head-major (heads x seq_len x DIM).

    ``selection="topk"``: each query's true top-k keys by q.k score;
    ``"window"``: ``window`` keys around the query's position plus random
    ones) to make up ``top_k``.

    ``pipeline=True``: software-pipelined over the flat (head, query) index
    stream, double-buffered (see pipeline.py): the key rows of query i + 1
    and the value rows of query i are gathered while query i's scores
    (stage 0: q . K_g^T), query i - 1's scaled scores and output
    (stage 1: scale, ReLU, p . V_g) and query i - 2's output row
    (stage 2, into an accumulator window written back DIM rows at a time)
    are computed, so no stage waits for the array to drain. The gather
    bases move to the next head when the loads cross a head boundary.
    """
    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    if not 1 <= top_k <= min(D, seq_len):
        raise ValueError(f"top_k must be in 1..min(DIM, seq_len) = {min(D, seq_len)}")
    rng = rng_for(seed, 40)
    q = rng.standard_normal((heads, seq_len, D)).astype(F32)
    # keys with some clustering so the top-k structure is non-trivial
    centers = rng.standard_normal((8, D))
    k = (centers[rng.integers(0, 8, (heads, seq_len))] + 0.5 * rng.standard_normal(
        (heads, seq_len, D))).astype(F32)
    v = rng.standard_normal((heads, seq_len, D)).astype(F32)
    qf, kf, vf = q.astype(np.float64), k.astype(np.float64), v.astype(np.float64)
    if selection == "topk":
        scores = np.einsum("hqd,hkd->hqk", qf, kf)
        idx = np.argsort(-scores, axis=2, kind="stable")[:, :, :top_k]
    elif selection == "window":
        idx = np.zeros((heads, seq_len, top_k), dtype=np.int64)
        for h in range(heads):
            for i in range(seq_len):
                lo = max(0, min(i - window // 2, seq_len - window))
                near = list(range(lo, min(lo + window, seq_len)))[:top_k]
                rest = np.setdiff1d(np.arange(seq_len), near)
                far = rng.choice(rest, size=top_k - len(near), replace=False)
                idx[h, i] = np.concatenate([near, far])
    else:
        raise ValueError(f"unknown selection {selection!r} (topk or window)")
    c = float(np.float32(1.0 / (top_k * np.sqrt(D))))
    kg = kf[np.arange(heads)[:, None, None], idx]                      # h x q x k x d
    vg = vf[np.arange(heads)[:, None, None], idx]
    s = np.einsum("hqd,hqkd->hqk", qf, kg)
    smag = np.einsum("hqd,hqkd->hqk", np.abs(qf), np.abs(kg))
    pr = np.maximum(s * c, 0)
    out = np.einsum("hqk,hqkd->hqd", pr, vg)
    mag = np.einsum("hqk,hqkd->hqd", smag * c, np.abs(vg))

    al = Allocator()
    a_q = al.place("Q", q)
    a_k = al.place("K", k)
    a_v = al.place("V", v)
    a_idx = al.place("topk_idx", idx.astype(np.int32))
    a_out = al.reserve("out", heads * seq_len * D * 4)

    lay = SpadLayout(cfg)
    params = dict(heads=heads, seq_len=seq_len, top_k=top_k, seed=seed, selection=selection, window=window,
                  pipeline=bool(pipeline))
    if pipeline:
        p = _pipelined_program(cfg, lay, a_idx, a_q, a_k, a_v, a_out, heads, seq_len, top_k, c)
        validate(p, cfg)
        return Workload(
            name="sparse_attention", program=p, memory=al.memory,
            output=OutputSpec(a_out, np.dtype(F32), (heads, seq_len, D)),
            expected=out.astype(F32), tolerance=summation_tolerance(mag, D + top_k + 4), params=params,
            config=cfg, regions=dict(al.regions),
            info=dict(gathered_rows=int(2 * heads * seq_len * top_k), scale=c, kernel="pipelined"))
    sp_idx = lay.alloc("idx", top_k * 4)
    sp_k = lay.alloc("keys", top_k * rb)
    sp_v = lay.alloc("values", top_k * rb)
    sp_q = lay.alloc("q", rb)
    sp_p = lay.alloc("p", rb)
    acc_s = lay.alloc("scores", rb, space=1)
    acc_o = lay.alloc("o", rb, space=1)

    R = Regs(cfg)
    ip, qp, kb, vb, op, h, nh, i, n, kk = R.many("idx", "q", "k", "v", "out", "h", "H", "i", "L",
                                                "topk")
    p = Program(name="sparse_attention")
    p.li(ip, a_idx); p.li(qp, a_q); p.li(kb, a_k); p.li(vb, a_v); p.li(op, a_out)
    p.li(nh, heads); p.li(n, seq_len); p.li(kk, top_k); p.li(h, 0)
    p.label("head")
    p.li(i, 0)
    p.label("query")
    p.mvin(ip, 0, sp_idx, 1, top_k * 4)            # selected key positions of query i
    p.gather(kb, sp_k, sp_idx, 4, kk, rb, rb)      # K[h, idx]
    p.gather(vb, sp_v, sp_idx, 4, kk, rb, rb)      # V[h, idx]
    p.mvin(qp, 0, sp_q, 1, rb)                     # q
    p.matmul(sp_q, sp_k, acc_s, 1, D, top_k, 2)    # s = q . K_g^T
    p.vscale(1, 0, acc_s, top_k, 0, c)
    p.vrelu(1, 0, acc_s, top_k)
    p.vmov(0, sp_p, 0, acc_s, top_k, 2)            # scores -> scratchpad (A operand)
    p.matmul(sp_p, sp_v, acc_o, 1, top_k, D, 0)    # o = p . V_g
    p.mvout_acc(op, 0, acc_o, 1, rb)
    p.addi(ip, ip, top_k * 4)
    p.addi(qp, qp, rb)
    p.addi(op, op, rb)
    p.addi(i, i, 1)
    p.blt(i, n, "query")
    p.addi(kb, kb, seq_len * rb)
    p.addi(vb, vb, seq_len * rb)
    p.addi(h, h, 1)
    p.blt(h, nh, "head")
    p.halt()
    validate(p, cfg)
    return Workload(
        name="sparse_attention", program=p, memory=al.memory,
        output=OutputSpec(a_out, np.dtype(F32), (heads, seq_len, D)),
        expected=out.astype(F32), tolerance=summation_tolerance(mag, D + top_k + 4),
        params=params,
        config=cfg, regions=dict(al.regions),
        info=dict(gathered_rows=int(2 * heads * seq_len * top_k), scale=c))


def _pipelined_program(cfg, lay, a_idx, a_q, a_k, a_v, a_out, heads, seq_len, top_k, c):
    D, rb = cfg.dim, cfg.row_bytes
    R = Regs(cfg)
    p = Program(name="sparse_attention_pipelined")
    ip, qp, kb, vb, T, kend, vend, hstep, hsz = R.many("idx", "q", "k", "v", "T", "kend", "vend", "hstep",
                                                         "hsz")
    p.li(ip, a_idx)
    p.li(qp, a_q)
    p.li(kb, a_k)                                  # K of the head being loaded one query ahead
    p.li(vb, a_v)                                  # V of the head of the current query
    p.li(T, heads * seq_len * top_k)
    p.li(hstep, seq_len * top_k)                   # index elements per head
    p.li(hsz, seq_len * rb)                        # bytes of one head's K (V)
    p.li(kend, seq_len * top_k)                    # first element of the next head, for each gather
    p.li(vend, seq_len * top_k)
    pipe = Pipe(p, cfg, R, lay, tag="", chunk=top_k, total=T)
    s = pipe.stream(ip, 4)
    kg = pipe.gather(s, kb, rb, rb, skew=1, name="keys")      # K[h, idx]: used by stage 0
    vg = pipe.gather(s, vb, rb, rb, skew=0, name="values")    # V[h, idx]: used by stage 1
    qs = pipe.load(qp, 1, rb, step=rb, skew=1, name="q")

    def next_head(p, skew, a):
        base, end = (kb, kend) if skew == 1 else (vb, vend)
        same = p.new_label("hd")
        p.bne(a, end, same)                         # the loads cross into the next head
        p.add(base, base, hsz)
        p.add(end, end, hstep)
        p.label(same)
    pipe.hook(next_head)
    sc = [lay.alloc(f"scores{h}", rb, space=1) for h in (0, 1)]
    pr = [lay.alloc(f"p{h}", rb) for h in (0, 1)]
    o = [lay.alloc(f"o{h}", rb, space=1) for h in (0, 1)]
    win = OutWindow(p, cfg, R, lay, tag="o", a_out=a_out, row_floats=D, out_stride=rb, tmp=pipe.st)
    win.init()

    def scores(p, h, pos, n):                       # stage 0
        p.matmul(qs[h], kg[h], sc[h], 1, D, top_k, 2)          # s = q . K_g^T

    def attend(p, h, pos, n):                       # stage 1
        p.vscale(1, 0, sc[h], top_k, 0, c)
        p.vrelu(1, 0, sc[h], top_k)
        p.vmov(0, pr[h], 0, sc[h], top_k, 2)                    # scores -> scratchpad (A operand)
        p.matmul(pr[h], vg[h], o[h], 1, top_k, D, 0)            # o = p . V_g

    def store(p, h, pos, n):                        # stage 2
        p.vmov(win.row, 0, 0, o[h], D, 3)
        win.advance()
    pipe.stage(0, scores)
    pipe.stage(1, attend)
    pipe.stage(2, store)
    pipe.emit()
    win.flush()
    p.halt()
    return p
