"""Mixture-of-experts layer: top-k token dispatch, expert FFNs, combine."""

from __future__ import annotations

import numpy as np

from ..isa import NPUConfig, Program, validate
from .base import (Allocator, OutputSpec, Regs, SpadLayout, Workload, emit_min, rng_for,
                   summation_tolerance)
from .pipeline import Constants, Pipe
from .registry import register

I32 = np.int32
F32 = np.float32


@register("moe", small=dict(tokens=64, d_model=16, d_ff=16, experts=4, top_k=2),
          doc="MoE: gather tokens per expert, expert matmul + ReLU, gate-weighted combine")
def moe(tokens: int = 512, d_model: int = 32, d_ff: int = 32, experts: int = 8, top_k: int = 2,
        seed: int = 0, pipeline: bool = False, config=None) -> Workload:
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

    ``pipeline=True``: both phases software-pipelined and double-buffered
    (see pipeline.py). The dispatch step pads each expert's token list to a
    multiple of DIM (capacity padding, as GShard/Switch-style dispatch
    does) and emits one word per tile: expert id and valid token count.
    Phase 1 is then one flat loop over tiles: the token ids of tile i + 2
    are moved in, the X rows of tile i + 1 gathered (count from the tile
    word) and, when tile i + 1 starts a new expert, its weights moved into
    the other weight buffer, while tile i is multiplied (stage 0) and tile
    i - 1 is ReLU'd and stored (stage 1, all DIM rows: the padding slots
    are never read). Phase 2 is a flat loop over the (token, j) slot list in
    chunks of DIM // top_k tokens: the chosen expert-output rows are
    gathered (``gather``, no scalar load per pick) and combined on the
    array: a block-diagonal gate matrix (the chunk's gates masked by a
    constant pattern) times the gathered rows gives the chunk's output
    rows.
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

    params = dict(tokens=tokens, d_model=d_model, d_ff=d_ff, experts=experts, top_k=top_k, seed=seed,
                  pipeline=bool(pipeline))
    if pipeline:
        if top_k > D:
            raise ValueError(f"pipeline=True needs top_k <= DIM={D}")
        p, al, a_out, info = _pipelined(cfg, x, w, gates, tok_lists, top, experts, top_k, d_model, d_ff)
        validate(p, cfg)
        return Workload(
            name="moe", program=p, memory=al.memory,
            output=OutputSpec(a_out, np.dtype(F32), (tokens, d_ff)),
            expected=out.astype(F32), tolerance=summation_tolerance(mag, d_model + top_k + 2), params=params,
            config=cfg, regions=dict(al.regions), info=info)
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
        params=params,
        config=cfg, regions=dict(al.regions),
        info=dict(gathered_rows=int(tokens * top_k * (dt + 1)),
                  tokens_per_expert=counts.tolist()))


def _pipelined(cfg, x, w, gates, tok_lists, top, experts, top_k, d_model, d_ff):
    D, rb = cfg.dim, cfg.row_bytes
    tokens = x.shape[0]
    dt, ht = d_model // D, d_ff // D
    # dispatch tables with capacity padding to a multiple of DIM
    counts = np.array([len(t) for t in tok_lists])
    pcounts = -(-counts // D) * D
    pstart = np.concatenate([[0], np.cumsum(pcounts)[:-1]]).astype(np.int64)
    total = int(pcounts.sum())
    padded = np.zeros(max(total, 1), dtype=np.int64)
    meta = []
    for e in range(experts):
        lst = tok_lists[e]
        if len(lst):
            padded[pstart[e]:pstart[e] + pcounts[e]] = lst[-1]      # padding: a token of the expert
            padded[pstart[e]:pstart[e] + len(lst)] = lst
        for c in range(pcounts[e] // D):
            meta.append((e << 16) | min(D, len(lst) - c * D))
    slot = np.zeros((tokens, top_k), dtype=np.int64)
    for e in range(experts):
        for pos, t in enumerate(tok_lists[e]):
            j = int(np.flatnonzero(top[t] == e)[0])
            slot[t, j] = pstart[e] + pos

    al = Allocator()
    a_x = al.place("X", x)
    a_w = al.place("W", w)
    a_meta = al.place("tile_meta", np.array(meta or [0], dtype=I32))
    a_tok = al.place("expert_tokens", padded.astype(I32))
    a_slot = al.place("slot", slot.astype(I32))
    a_gate = al.place("gate", gates)
    a_ybuf = al.reserve("expert_out", max(total, 1) * d_ff * 4)
    a_out = al.reserve("out", tokens * d_ff * 4)

    p = Program(name="moe_pipelined")
    lay = SpadLayout(cfg)
    R = Regs(cfg)
    cpt = D // top_k                      # tokens per combine chunk
    chunk2 = cpt * top_k
    mask = np.zeros((cpt, D), dtype=F32)
    for t in range(cpt):
        mask[t, t * top_k:(t + 1) * top_k] = 1
    sp_mask = Constants(p, cfg, al, lay, R).place("gate_mask", mask)

    # ---- phase 1: expert tiles -------------------------------------------------
    tokb, xb, wp, yb, T = R.many("tok", "x", "w", "ybuf", "T")
    metaL, eL, wparL, metaC, eC, wparC = R.many("metaL", "eL", "wparL", "metaC", "eC", "wparC")
    p.li(tokb, a_tok)
    p.li(xb, a_x)
    p.li(wp, a_w)
    p.li(yb, a_ybuf)
    p.li(T, total)
    p.li(metaL, a_meta)
    p.li(metaC, a_meta)
    p.li(eL, -1)
    p.li(eC, -1)
    p.li(wparL, 1)
    p.li(wparC, 1)
    pipe = Pipe(p, cfg, R, lay, tag="e_", chunk=D, total=T, count_loads=True)
    s = pipe.stream(tokb, 4)
    xg = [pipe.gather(s, xb, rb, d_model * 4, base_off=a * rb, name=f"x{a}_") for a in range(dt)]
    wbuf = [[[lay.alloc(f"w{k}_{a}_{b}", D * rb) for b in range(ht)] for a in range(dt)] for k in (0, 1)]
    ytile = [[lay.alloc(f"y{h}_{b}", D * rb, space=1) for b in range(ht)] for h in (0, 1)]
    m, tmp = pipe.su, pipe.st

    def toggle(reg):
        p.li(tmp, 1)
        p.sub(reg, tmp, reg)

    def load_tile(p, skew, a):            # loads of tile i + 1: its word, maybe its expert's weights
        same, one = p.new_label("we"), p.new_label("w1")
        p.ld(m, metaL, 0, 4)
        p.addi(metaL, metaL, 4)
        p.andi(pipe.n, m, 0xFFFF)         # valid tokens: the gather count
        p.shri(m, m, 16)
        p.beq(m, eL, same)
        p.mov(eL, m)
        toggle(wparL)
        p.li(tmp, d_model * d_ff * 4)
        p.mul(pipe.g, m, tmp)
        p.add(pipe.g, wp, pipe.g)         # &W[e]
        p.bne(wparL, 0, one)
        for k in (0, 1):
            for a_ in range(dt):
                for b in range(ht):       # W_e tile (a, b): DIM x DIM
                    p.mvin(pipe.g, (a_ * D * d_ff + b * D) * 4, wbuf[k][a_][b], D, rb, d_ff * 4)
            if k == 0:
                p.j(same)
                p.label(one)
        p.label(same)
    pipe.hook(load_tile)

    def expert_matmul(p, h, pos, n):      # stage 0: tile i through its expert
        same, one, done = p.new_label("me"), p.new_label("m1"), p.new_label("md")
        p.ld(m, metaC, 0, 4)
        p.addi(metaC, metaC, 4)
        p.shri(m, m, 16)
        p.beq(m, eC, same)
        p.mov(eC, m)
        toggle(wparC)
        p.label(same)
        p.bne(wparC, 0, one)
        for k in (0, 1):
            for b in range(ht):
                for a_ in range(dt):
                    p.matmul(xg[a_][h], wbuf[k][a_][b], ytile[h][b], D, D, D, 1 if a_ else 0)
            if k == 0:
                p.j(done)
                p.label(one)
        p.label(done)

    def relu_store(p, h, pos, n):         # stage 1: tile i - 1 to its slots (padding slots included)
        p.li(tmp, d_ff * 4)
        p.mul(tmp, pos, tmp)
        p.add(tmp, yb, tmp)
        for b in range(ht):
            p.vrelu(1, 0, ytile[h][b], D * D)
            p.mvout_acc(tmp, b * rb, ytile[h][b], D, rb, d_ff * 4)
    pipe.stage(0, expert_matmul)
    pipe.stage(1, relu_store)
    pipe.emit()

    # ---- phase 2: combine ----------------------------------------------------------
    slotb, gp, outp, rem = R.many("slot", "gate", "outp", "rem")
    p.li(slotb, a_slot)
    p.li(gp, a_gate)
    p.li(outp, a_out)
    p.li(rem, tokens)
    p.li(T, tokens * top_k)
    pipe2 = Pipe(p, cfg, R, lay, tag="c_", chunk=chunk2, total=T)
    s2 = pipe2.stream(slotb, 4)
    yg = [pipe2.gather(s2, yb, rb, d_ff * 4, base_off=b * rb, name=f"yg{b}_") for b in range(ht)]
    gl = pipe2.load(gp, 1, chunk2 * 4, step=chunk2 * 4, name="g")
    amat = [lay.alloc(f"gates{h}", cpt * rb) for h in (0, 1)]
    otile = [[lay.alloc(f"o{h}_{b}", cpt * rb, space=1) for b in range(ht)] for h in (0, 1)]

    def combine(p, h, pos, n):            # stage 0: block-diagonal gates . gathered rows
        for t in range(cpt):
            p.vmov(0, amat[h] + t * rb, 0, gl[h], chunk2, 0)
        p.vmul(0, amat[h], 0, sp_mask, cpt * D, 0)
        for b in range(ht):
            p.matmul(amat[h], yg[b][h], otile[h][b], cpt, chunk2, D, 0)

    def store(p, h, pos, n):              # stage 1
        emit_min(p, pipe2.st, rem, pipe2.rch if cpt == chunk2 else _reg_const(p, pipe2.su, cpt))
        for b in range(ht):
            p.mvout_acc(outp, b * rb, otile[h][b], cpt, rb, d_ff * 4, pipe2.st)
        p.addi(outp, outp, cpt * d_ff * 4)
        p.addi(rem, rem, -cpt)
    pipe2.stage(0, combine)
    pipe2.stage(1, store)
    pipe2.emit()
    p.halt()
    info = dict(gathered_rows=int(sum(counts) * dt + tokens * top_k * ht), tokens_per_expert=counts.tolist(),
                padded_slots=total, kernel="pipelined")
    return p, al, a_out, info


def _reg_const(p, reg, value):
    p.li(reg, value)
    return reg
