"""Mixture-of-experts layer: top-k token dispatch, expert FFNs, combine."""

from __future__ import annotations

import numpy as np

from ..isa import NPUConfig, Program, validate
from .base import (Allocator, OutputSpec, Regs, SpadLayout, Workload, emit_min, rng_for,
                   summation_tolerance)
from .registry import register

I32 = np.int32
F32 = np.float32


@register("moe", small=dict(tokens=64, d_model=16, d_ff=16, experts=4, top_k=2),
          doc="MoE: gather tokens per expert, expert matmul + ReLU, gate-weighted combine")
def moe(tokens: int = 512, d_model: int = 32, d_ff: int = 32, experts: int = 8, top_k: int = 2,
        seed: int = 0, config=None) -> Workload:
    """One MoE layer with single-matrix ReLU experts:
    ``out[t] = sum_{j<top_k} g[t,j] * relu(X[t] . W[e[t,j]])``.

    Routing is computed from the data: router logits ``X . Wg``, the top-k
    experts per token, softmax over the chosen logits as gates. Memory
    holds what a framework's dispatch step produces: per expert the list of
    its tokens (sorted) and its (slot start, count); per (token, j) the slot
    of its expert output and its gate.

    Phase 1, per expert: load its weights into the scratchpad, then per tile
    of up to DIM of its tokens gather their rows of X (indices streamed from
    the expert's token list, count in a register), ``matmul``, ReLU and
    store the rows to the expert-output slots (register row count).
    Phase 2, per token: for each of its top_k slots, ``ld`` the slot id,
    ``gather_r`` that expert-output row, ``ld`` the gate and ``vmacc`` it
    into the output row.
    """
    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    if d_model % D or d_ff % D:
        raise ValueError(f"d_model={d_model} and d_ff={d_ff} must be multiples of DIM={D}")
    if not 1 <= top_k <= experts:
        raise ValueError("need 1 <= top_k <= experts")
    rng = rng_for(seed, 30)
    x = rng.standard_normal((tokens, d_model)).astype(F32)
    wg = rng.standard_normal((d_model, experts))
    w = (rng.standard_normal((experts, d_model, d_ff)) / np.sqrt(d_model)).astype(F32)
    logits = x.astype(np.float64) @ wg
    top = np.argsort(-logits, axis=1, kind="stable")[:, :top_k]          # tokens x k
    tl = np.take_along_axis(logits, top, axis=1)
    g = np.exp(tl - tl.max(axis=1, keepdims=True))
    gates = (g / g.sum(axis=1, keepdims=True)).astype(F32)

    # dispatch tables
    counts = np.bincount(top.ravel(), minlength=experts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    tok_lists = [np.sort(np.flatnonzero((top == e).any(axis=1))) for e in range(experts)]
    expert_tokens = np.concatenate(tok_lists) if tokens else np.zeros(0, np.int64)
    slot = np.zeros((tokens, top_k), dtype=np.int64)
    for e in range(experts):
        for pos, t in enumerate(tok_lists[e]):
            j = int(np.flatnonzero(top[t] == e)[0])
            slot[t, j] = starts[e] + pos
    meta = np.stack([starts, counts], axis=1)

    # reference
    xf, wf, gf = x.astype(np.float64), w.astype(np.float64), gates.astype(np.float64)
    out = np.zeros((tokens, d_ff))
    mag = np.zeros((tokens, d_ff))
    for j in range(top_k):
        e = top[:, j]
        pre = np.einsum("td,tdf->tf", xf, wf[e])
        premag = np.einsum("td,tdf->tf", np.abs(xf), np.abs(wf[e]))
        out += gf[:, j:j + 1] * np.maximum(pre, 0)
        mag += gf[:, j:j + 1] * premag

    al = Allocator()
    a_x = al.place("X", x)
    a_w = al.place("W", w)
    a_meta = al.place("expert_meta", meta.astype(I32))
    a_tok = al.place("expert_tokens", expert_tokens.astype(I32))
    a_slot = al.place("slot", slot.astype(I32))
    a_gate = al.place("gate", gates)
    a_ybuf = al.reserve("expert_out", max(tokens * top_k, 1) * d_ff * 4)
    a_out = al.reserve("out", tokens * d_ff * 4)

    dt, ht = d_model // D, d_ff // D
    lay = SpadLayout(cfg)
    sp_idx = lay.alloc("idx", D * 4)
    sp_w = [[lay.alloc(f"w{a}_{b}", D * rb) for b in range(ht)] for a in range(dt)]
    sp_x = [lay.alloc(f"x{a}", D * rb) for a in range(dt)]
    sp_r = lay.alloc("yrow", cfg.pitch(d_ff * 4))
    acc_y = [lay.alloc(f"y{b}", D * rb, space=1) for b in range(ht)]
    acc_o = lay.alloc("out", d_ff * 4, space=1)

    R = Regs(cfg)
    metap, tokb, xb, wp, yb, e, ne, seg, cnt, dim, off, ta, ya, done, n, xt, tmp = R.many(
        "meta", "tok", "x", "w", "ybuf", "e", "E", "seg", "cnt", "dim", "off", "ta", "ya", "done",
        "n", "xt", "tmp")
    p = Program(name="moe")
    # ---- phase 1: experts ---------------------------------------------------
    p.li(metap, a_meta); p.li(tokb, a_tok); p.li(xb, a_x); p.li(wp, a_w); p.li(yb, a_ybuf)
    p.li(ne, experts); p.li(dim, D); p.li(e, 0)
    p.label("expert")
    p.ld(seg, metap, 0, 4)                        # first slot of this expert
    p.ld(cnt, metap, 4, 4)                        # number of its tokens
    p.beq(cnt, 0, "next_expert")
    for a in range(dt):
        for b in range(ht):                       # W_e tile (a, b): DIM x DIM
            p.mvin(wp, (a * D * d_ff + b * D) * 4, sp_w[a][b], D, rb, d_ff * 4)
    p.shli(off, seg, 2)
    p.add(ta, tokb, off)                          # &expert_tokens[seg]
    p.li(tmp, d_ff * 4)
    p.mul(ya, seg, tmp)
    p.add(ya, yb, ya)                             # &expert_out[seg]
    p.li(done, 0)
    p.label("tile")
    p.sub(n, cnt, done)
    emit_min(p, n, n, dim)
    p.mvin(ta, 0, sp_idx, 1, D * 4)               # token ids of this tile
    for a in range(dt):
        p.addi(xt, xb, a * rb)
        p.gather(xt, sp_x[a], sp_idx, 4, n, rb, d_model * 4)   # X[token, slice a]
    for b in range(ht):
        for a in range(dt):
            p.matmul(sp_x[a], sp_w[a][b], acc_y[b], D, D, D, 1 if a else 0)
        p.vrelu(1, 0, acc_y[b], D * D)
        p.mvout_acc(ya, b * rb, acc_y[b], D, rb, d_ff * 4, n)
    p.addi(ta, ta, D * 4)
    p.addi(ya, ya, D * d_ff * 4)
    p.addi(done, done, D)
    p.blt(done, cnt, "tile")
    p.label("next_expert")
    p.addi(metap, metap, 8)
    p.addi(wp, wp, d_model * d_ff * 4)
    p.addi(e, e, 1)
    p.blt(e, ne, "expert")
    # ---- phase 2: combine ---------------------------------------------------
    slotp, gatep, outp, t, nt, j, k, sl, gt = R.many("slotp", "gatep", "outp", "t", "T", "j", "k",
                                                     "sl", "gt")
    p.li(slotp, a_slot); p.li(gatep, a_gate); p.li(outp, a_out); p.li(nt, tokens)
    p.li(k, top_k); p.li(t, 0)
    p.label("token")
    p.vzero(1, 0, acc_o, d_ff)
    p.li(j, 0)
    p.label("pick")
    p.ld(sl, slotp, 0, 4)                         # slot of (t, j)
    p.gather_r(yb, sl, sp_r, d_ff * 4, d_ff * 4)  # expert_out[slot]
    p.ld(gt, gatep, 0, 4)                         # gate bits
    p.vmacc(0, acc_o, 0, sp_r, d_ff, gt)
    p.addi(slotp, slotp, 4)
    p.addi(gatep, gatep, 4)
    p.addi(j, j, 1)
    p.blt(j, k, "pick")
    p.mvout_acc(outp, 0, acc_o, 1, d_ff * 4)
    p.addi(outp, outp, d_ff * 4)
    p.addi(t, t, 1)
    p.blt(t, nt, "token")
    p.halt()
    validate(p, cfg)
    return Workload(
        name="moe", program=p, memory=al.memory,
        output=OutputSpec(a_out, np.dtype(F32), (tokens, d_ff)),
        expected=out.astype(F32), tolerance=summation_tolerance(mag, d_model + top_k + 2),
        params=dict(tokens=tokens, d_model=d_model, d_ff=d_ff, experts=experts, top_k=top_k,
                    seed=seed),
        config=cfg, regions=dict(al.regions),
        info=dict(gathered_rows=int(tokens * top_k * (dt + 1)),
                  tokens_per_expert=counts.tolist()))
