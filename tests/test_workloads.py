"""Workload suite: every kernel's interpreter result equals numpy's, the
programs use the idioms NVR learns from, and the data has the promised
structure."""

import numpy as np
import pytest

from npusim import workloads
from npusim.isa import NPUConfig, PagedMemory, decode, run, validate
from npusim.workloads.base import PAGE

REQUIRED = {"spmm", "spmv", "sddmm", "embedding_bag", "gnn", "moe", "sparse_attention",
            "pointcloud", "gemm", "conv"}
NAMES = workloads.names()
SPARSE = sorted(REQUIRED - {"gemm", "conv"})


def _run_ok(w):
    res, chk = w.run()
    assert chk.ok, chk.message
    assert chk.n_bad == 0
    return res


def test_registry():
    assert REQUIRED <= set(NAMES)
    with pytest.raises(KeyError, match="unknown workload 'nope'"):
        workloads.get("nope")
    with pytest.raises(KeyError, match="unknown size"):
        workloads.get("gemm", size="huge")
    for n in NAMES:
        assert workloads.entry(n).doc


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_matches_numpy(name, seed):
    w = workloads.get(name, size="small", seed=seed)
    assert w.name == name
    res = _run_ok(w)
    got = w.read_output(res.read)
    assert got.shape == w.expected.shape and got.dtype == w.expected.dtype
    # not vacuous: the answer is not all zero and the program did real work
    assert np.count_nonzero(w.expected) > w.expected.size // 4
    assert res.instructions > 50


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_matches_numpy(name, seed):
    w = workloads.get(name, seed=seed)
    res = _run_ok(w)
    assert res.instructions < 400_000          # defaults simulate in seconds
    assert w.info.get("gathered_rows", 0) <= 70_000


@pytest.mark.parametrize("name,kw", [
    ("spmm", dict(seed=1, sparsity=0.97)),
    ("spmm", dict(format="csc")),
    ("spmm", dict(pattern="nm", nm=(2, 4))),
    ("spmm", dict(size="small", pattern="nm", nm=(1, 8), N=40)),
    ("spmm", dict(size="small", format="csc", N=40, seed=4)),
    ("spmm", dict(size="small", format="csc", pattern="nm", seed=5)),
    ("spmv", dict(seed=3, pattern="nm", nm=(1, 4))),
    ("sddmm", dict(size="small", d=48, seed=2)),
    ("embedding_bag", dict(size="small", fixed_pooling=True, dim=40, num_tables=3)),
    ("embedding_bag", dict(index_bytes=8, seed=2)),
    ("gnn", dict(aggr="sum", seed=1)),
    ("gnn", dict(size="small", features=20, exponent=2.5)),
    ("moe", dict(size="small", top_k=1, experts=3, d_ff=48)),
    ("sparse_attention", dict(size="small", selection="window", top_k=16)),
    ("pointcloud", dict(order="morton")),
    ("gemm", dict(M=40, N=17, K=33)),
    ("conv", dict(size="small", C=20, F=8, W=5)),
])
def test_variants_match_numpy(name, kw):
    _run_ok(workloads.get(name, **kw))


def test_other_npu_geometry():
    cfg = NPUConfig(dim=8, spad_bytes=64 * 1024, acc_bytes=16 * 1024)
    for name in NAMES:
        kw = dict(size="small", config=cfg)
        w = workloads.get(name, **kw)
        validate(w.program, cfg)
        _run_ok(w)


# ---------------------------------------------------------------------------
# real (not random) structure
# ---------------------------------------------------------------------------

def test_digits_mlp_spmm_and_spmv():
    w = workloads.get("spmm", source="digits", sparsity=0.7)
    _run_ok(w)
    assert w.expected.shape == (64, 32)
    assert (w.expected >= 0).all()                          # hidden layer after ReLU
    assert w.info["dense_test_accuracy"] > 0.9              # a real trained network
    assert w.info["pruned_test_accuracy"] > 0.8
    assert abs(w.info["density"] - 0.3) < 0.02
    w = workloads.get("spmm", source="digits", pattern="nm", nm=(2, 4), format="csr")
    _run_ok(w)
    assert w.info["pruned_test_accuracy"] > 0.9
    for seed in (0, 1):
        _run_ok(workloads.get("spmv", source="digits", sparsity=0.8, seed=seed))
    _run_ok(workloads.get("spmm", source="digits", format="csc", N=16))


def test_digits_knn_graph_gnn():
    w = workloads.get("gnn", source="digits", knn=5)
    _run_ok(w)
    assert w.expected.shape == (1797, 64)
    assert w.info["max_degree"] > 2 * 5          # symmetrised kNN: uneven degrees
    assert w.info["isolated_nodes"] == 0


def test_powerlaw_and_zipf_are_skewed():
    g = workloads.get("gnn")
    assert g.info["max_degree"] > 8 * 8          # hubs far above the mean degree
    e = workloads.get("embedding_bag")
    assert e.info["unique_rows"] < 0.6 * e.info["gathered_rows"]


# ---------------------------------------------------------------------------
# memory layout, checks, idioms
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_layout_and_check_sensitivity(name):
    w = workloads.get(name, size="small", seed=7)
    spans = sorted(w.regions.values())
    for (a0, n0), (a1, _) in zip(spans, spans[1:]):
        assert a0 % PAGE == 0 and a0 + n0 <= a1 - PAGE    # page-aligned, a guard page apart
    for addr, data in w.memory:
        assert any(a == addr and len(data) == n for a, n in w.regions.values())
    out = w.output
    assert (out.address, out.nbytes) in w.regions.values()
    assert not any(a == out.address for a, _ in w.memory)   # outputs are not preloaded
    # an untouched output region fails the check
    assert not w.check(PagedMemory(w.memory).read_bytes)
    # a single wrong element fails it
    res = run(w.program, w.memory_image(), w.config)
    mem = res.memory
    flat = w.read_output(res.read).copy().reshape(-1)
    k = int(np.argmax(np.abs(flat)))
    flat[k] = flat[k] * 1.001 + 1e-3
    mem.write(out.address, flat.tobytes())
    chk = w.check(mem.read_bytes)
    assert not chk and chk.n_bad == 1


@pytest.mark.parametrize("name", SPARSE)
def test_sparse_programs_use_nvr_idioms(name):
    w = workloads.get(name, size="small")
    p = w.program
    ops = [i.op for i in p]
    assert "gather" in ops or "gather_r" in ops           # the indirect access
    assert "mvin" in ops or "ld" in ops                   # index / bound loads
    backward = [i for i, ins in enumerate(p) if ins.op in ("blt", "bne", "bge", "beq")
                and p.target_index(i, ins["target"]) <= i]
    assert backward, "loops end in a compare + backward branch"
    # the loop bound of a backward branch lives in a register (not r0)
    assert any(p[i]["rs2"] != 0 for i in backward)
    res = run(p, w.memory_image())
    assert res.counts.get("gather", 0) + res.counts.get("gather_r", 0) > 10


def test_gather_indices_come_from_an_index_array():
    """The gather's index buffer is filled by an mvin whose DRAM address
    advances through the index array (a strided stream)."""
    w = workloads.get("spmm", size="small")
    idx_addr, _ = w.regions["colidx"]
    seen = []

    def trace(i, pc, regs):
        ins = w.program[i]
        if ins.op == "mvin" and ins["addr"] == w.program[_first("gather", w.program)]["idx_addr"]:
            seen.append(regs[ins["rs_dram"]] + ins["dram_off"])
    run(w.program, w.memory_image(), trace=trace)
    assert seen and seen[0] >= idx_addr
    steps = np.diff(seen)
    assert (steps > 0).all() and (steps % 4 == 0).all()


def _first(op, prog):
    return next(i for i, ins in enumerate(prog) if ins.op == op)


def test_encoded_workload_runs_identically():
    w = workloads.get("moe", size="small")
    q = decode(w.program.encode(), pc_base=w.program.pc_base)
    r1 = run(q, w.memory_image())
    assert w.check(r1.read)
    r0 = run(w.program, w.memory_image())
    assert r0.counts == r1.counts


def test_tolerance_is_tight():
    w = workloads.get("spmm")
    rel = w.tolerance / np.maximum(np.abs(w.expected), 1e-3)
    assert np.median(rel) < 1e-4
    pc = workloads.get("pointcloud", size="small")
    assert pc.tolerance is None                 # max pooling: exact


def test_shape_validation_errors():
    with pytest.raises(ValueError, match="multiple of DIM"):
        workloads.get("sddmm", d=20)
    with pytest.raises(ValueError, match="top_k"):
        workloads.get("sparse_attention", top_k=17)
    with pytest.raises(ValueError, match="unknown format"):
        workloads.get("spmm", size="small", format="coo")
    with pytest.raises(ValueError, match="sparsity"):
        workloads.get("spmm", size="small", sparsity=1.0)


def test_command_line(tmp_path, capsys):
    from npusim.workloads.__main__ import main
    assert main(["list"]) == 0
    assert "embedding_bag" in capsys.readouterr().out
    assert main(["run", "spmm", "--size", "small", "-p", "format=csc", "-p", "seed=3"]) == 0
    out = capsys.readouterr().out
    assert "within tolerance" in out and "vmacc=" in out
    assert main(["export", "gnn", "--size", "small", "-o", str(tmp_path)]) == 0
    code = np.load(tmp_path / "program.npy")
    assert code.shape[1] == 8
    raw = (tmp_path / "memory.bin").read_bytes()
    mem, pos = PagedMemory(), 0
    while pos < len(raw):
        addr, n = np.frombuffer(raw[pos:pos + 16], dtype="<u8")
        mem.write(int(addr), raw[pos + 16:pos + 16 + int(n)])
        pos += 16 + int(n)
    import json
    meta = json.loads((tmp_path / "workload.json").read_text())
    res = run(decode(code, pc_base=meta["pc_base"]), mem)
    got = res.read_array(meta["output"]["address"], np.float32, tuple(meta["output"]["shape"]))
    exp = np.load(tmp_path / "expected.npy")
    assert np.all(np.abs(got - exp) <= np.load(tmp_path / "tolerance.npy"))


# ---------------------------------------------------------------------------
# software-pipelined variants (pipeline=True)
# ---------------------------------------------------------------------------

def test_pipeline_is_an_option_default_off():
    for name in SPARSE:
        assert workloads.get(name, size="small").params["pipeline"] is False
        assert workloads.get(name, size="small", pipeline=True).params["pipeline"] is True
    with pytest.raises(ValueError, match="format='csr'"):
        workloads.get("spmm", size="small", format="csc", pipeline=True)


@pytest.mark.parametrize("name", SPARSE)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pipelined_small_matches_numpy(name, seed):
    w = workloads.get(name, size="small", seed=seed, pipeline=True)
    res = _run_ok(w)
    assert np.count_nonzero(w.expected) > w.expected.size // 4
    assert res.counts.get("gather", 0) > 4


@pytest.mark.parametrize("name", SPARSE)
def test_pipelined_default_matches_numpy(name):
    w = workloads.get(name, pipeline=True)
    res = _run_ok(w)
    assert res.instructions < 400_000


@pytest.mark.parametrize("name,kw", [
    ("spmm", dict(seed=1, sparsity=0.97)),
    ("spmm", dict(pattern="nm", nm=(2, 4))),
    ("spmm", dict(size="small", pattern="nm", nm=(1, 8), N=40)),
    ("spmm", dict(size="small", N=40, seed=4)),
    ("spmm", dict(size="small", N=1, sparsity=0.5)),
    ("spmm", dict(source="digits", sparsity=0.7)),
    ("spmv", dict(seed=3, pattern="nm", nm=(1, 4))),
    ("spmv", dict(source="digits", sparsity=0.8)),
    ("spmv", dict(M=40, K=30, sparsity=0.97, seed=5)),          # empty rows, rows shorter than a chunk
    ("sddmm", dict(size="small", d=48, seed=2)),
    ("sddmm", dict(M=20, N=30, d=16, sparsity=0.99, seed=1)),   # fewer nonzeros than three chunks
    ("embedding_bag", dict(size="small", fixed_pooling=True, dim=40, num_tables=3)),
    ("embedding_bag", dict(index_bytes=8, seed=2)),
    ("embedding_bag", dict(size="small", pooling=1, fixed_pooling=True)),  # a bag per index
    ("gnn", dict(aggr="sum", seed=1)),
    ("gnn", dict(size="small", features=20, exponent=2.5)),
    ("gnn", dict(source="digits", knn=5)),
    ("moe", dict(size="small", top_k=1, experts=3, d_ff=48)),
    ("moe", dict(size="small", top_k=3, experts=5, seed=2)),
    ("moe", dict(tokens=37, experts=6, top_k=2, seed=3)),        # experts with a partial tile
    ("sparse_attention", dict(size="small", selection="window", top_k=16)),
    ("sparse_attention", dict(heads=3, seq_len=40, top_k=6)),
    ("pointcloud", dict(order="morton")),
    ("pointcloud", dict(size="small", k=5, channels=20)),
])
def test_pipelined_variants_match_numpy(name, kw):
    _run_ok(workloads.get(name, pipeline=True, **kw))


@pytest.mark.parametrize("dim", [8, 32])
def test_pipelined_other_npu_geometry(dim):
    cfg = NPUConfig(dim=dim, spad_bytes=256 * 1024, acc_bytes=64 * 1024)
    extra = {"moe": dict(d_model=32, d_ff=32), "sddmm": dict(d=32),
             "sparse_attention": dict(top_k=min(8, dim)), "pointcloud": dict(k=min(8, dim))}
    for name in SPARSE:
        w = workloads.get(name, size="small", pipeline=True, config=cfg, **extra.get(name, {}))
        validate(w.program, cfg)
        _run_ok(w)


def _spad_reads(ins, regs):
    """Scratchpad byte ranges an execute instruction reads (None if not one)."""
    op = ins.op
    if op == "matmul":
        return [(ins["a"], ins["a"] + 1), (ins["b"], ins["b"] + 1)]
    if op in ("vadd", "vmul", "vmax", "vmov") and not ins["spaces"] & 2:
        a = regs[ins["rs_src"]] + ins["src_off"]
        return [(a, a + 4 * ins["n"])]
    if op == "vmacc":
        a = regs[ins["rs_src"]] + ins["src_off"]
        return [(a, a + 4 * ins["n"])]
    return None


@pytest.mark.parametrize("name", SPARSE)
def test_pipelined_programs_overlap_dma_and_compute(name):
    """The structure a software-pipelining compiler emits: (1) the index
    stream is moved in by mvins whose DRAM address advances by a constant
    stride per instruction (two code copies, 2 x chunk elements each), (2)
    the gathers alternate between two destination buffers and read index
    buffers filled by those mvins, (3) the indices of chunk k + 1 are moved in
    before chunk k is gathered, and (4) the rows of chunk k + 1 are gathered
    before the first execute instruction reads chunk k's rows."""
    w = workloads.get(name, pipeline=True)
    p = w.program
    gathers = [i for i, ins in enumerate(p) if ins.op == "gather"]
    idx_bufs = {p[i]["idx_addr"] for i in gathers}
    events, mvin_addrs, dst_seq = [], {}, []
    last_fill = {}                  # index buffer -> sequence number of the mvin that filled it
    chunk_of = {}                   # gather destination -> index-load sequence number it came from
    first_read = {}                 # index-load seq -> event number of the first read of its rows

    def trace(i, pc, regs):
        ins = p[i]
        if ins.op == "mvin" and ins["addr"] in idx_bufs:
            mvin_addrs.setdefault(i, []).append(regs[ins["rs_dram"]] + ins["dram_off"])
            last_fill[ins["addr"]] = len(events)
            events.append(("I", len(events)))
        elif ins.op == "gather":
            k = last_fill[ins["idx_addr"]]
            pitch = w.config.pitch(ins["row_bytes"])
            chunk_of[ins["addr"]] = (k, ins["addr"] + regs[ins["rs_n"]] * pitch)
            dst_seq.append(ins["addr"])
            events.append(("G", k))
        else:
            reads = _spad_reads(ins, regs)
            for lo, hi in reads or ():
                for dst, (k, end) in chunk_of.items():
                    if lo < end and dst < hi and k not in first_read:
                        first_read[k] = len(events)
            if reads:
                events.append(("X", None))
    run(p, w.memory_image(), trace=trace)
    # (1) constant strides, in the loop's two copies
    strided = [a for a in mvin_addrs.values() if len(a) >= 4]
    assert len(strided) >= 2
    for a in strided:
        d = np.diff(a)
        assert (d > 0).all() and len(set(d.tolist())) == 1
    # (2) ping-pong buffers
    assert len(set(dst_seq)) >= 2
    loads = [k for e, k in events if e == "I"]
    gathered = [k for e, k in events if e == "G"]
    # (3) index loads run ahead of the gathers: when chunk k is gathered,
    # the indices of the next chunk are already being moved in; (4) the next
    # chunk's gather is issued before this chunk is computed. Only the last
    # chunk of each pipelined loop has no next chunk (embedding_bag: one loop
    # per table; moe: dispatch and combine).
    loops = 2 if name in ("embedding_bag", "moe") else 1
    pos = {k: n for n, (e, k) in enumerate(events) if e == "I"}
    gpos = {}
    for n, (e, k) in enumerate(events):
        if e == "G":
            gpos.setdefault(k, n)
    ks = sorted(set(gathered))
    late_index = sum(1 for a, b in zip(ks, ks[1:]) if not pos[b] < gpos[a])
    late_gather = sum(1 for a, b in zip(ks, ks[1:]) if a in first_read and not gpos[b] < first_read[a])
    assert late_index <= loops - 1 and late_gather <= loops - 1, (late_index, late_gather)
    assert len(loads) > 4 and len(first_read) > len(ks) // 2


@pytest.mark.parametrize("name", SPARSE)
def test_pipelined_programs_keep_nvr_idioms(name):
    """Register loop bound with compare + backward branch, strided index
    mvins feeding gathers, and no scalar load per gathered element."""
    w = workloads.get(name, pipeline=True)
    p = w.program
    backward = [i for i, ins in enumerate(p) if ins.op in ("blt", "bne") and p.target_index(i, ins["target"]) < i]
    assert any(p[i]["rs2"] != 0 for i in backward)
    res = run(p, w.memory_image())
    lds = res.counts.get("ld", 0)
    assert lds < w.info["gathered_rows"] / 2        # loop bounds only: no scalar load per element
    plain = workloads.get(name)
    assert lds <= 1.1 * run(plain.program, plain.memory_image()).counts.get("ld", 0) + 8
