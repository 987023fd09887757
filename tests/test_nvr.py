"""NVR (src_ext/nvr/, docs/nvr.md) on small programs whose right prefetches
can be listed by hand, on the workload suite (never changes a result), its
balanced stats, its hardware budget and the comparison script."""

import json
import types

import numpy as np
import pytest

import npusim
from npusim import workloads
from npusim.isa import Program
from npusim.objects import NSB, NVR
from npusim.objects.nvr import area_model, hardware_budget
from npusim.testing import fresh_sim, stats_dict

from helpers import load_config, run_npu_system

compare = load_config("nvr_compare")

A_BASE = 0x1000_0000   # gathered table: 64-byte rows
B_BASE = 0x2000_0000   # index array (int32)
ROW = 64
SPAD_G = 0x1000        # scratchpad: gathered rows
SPAD_I = 0x0           # scratchpad: index chunk


def args_for(**kw):
    a = compare.make_parser().parse_args(["--workload", "spmm"])
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def run_program(prog, memory, config="nvr+nsb", nvr=(), output=None):
    """Runs `prog` on the comparison system; returns (stats of the NVR object
    or None, npu stats, bytes of `output` (addr, size) read back)."""
    args = args_for(nvr=list(nvr))
    with fresh_sim():
        system = compare.build_system(args, types.SimpleNamespace(program=prog), config)
        run_npu_system(system, memory)
        pf = None
        if config == "nvr+nsb":
            pf = stats_dict(system.nsb.prefetcher)
        elif config == "nvr":
            pf = stats_dict(system.l2.prefetcher)
        out = npusim.functional_read(system.npu, "dma_port", *output) if output else None
        return pf, stats_dict(system.npu), out


def recorded(pf, pc=None):
    idx = sorted(int(k.split("::")[1]) for k in pf if k.startswith("recordLine::") and k != "recordLine::total")
    lines = [(int(pf[f"recordLine::{i}"]), int(pf.get(f"recordPC::{i}", 0))) for i in idx]
    lines = [(l_, p) for (l_, p) in lines if l_ != 0]
    return [l_ for (l_, p) in lines if pc is None or p == pc]


def balanced(pf):
    return pf["balanced.pfIssued"] == (pf["balanced.pfUseful"] + pf["balanced.pfLate"] + pf["balanced.pfUseless"]
                                       + pf["balanced.pfPending"])


# ---------------------------------------------------------------------------
# Hand-listed programs.

def ld_gather_program(n_iter):
    """for i < n: x = B[i] (ld); gather_r row A[x] -- the register chain."""
    p = Program(name="ld_gather_r")
    p.li(1, B_BASE)
    p.li(2, A_BASE)
    p.li(3, n_iter)
    p.li(4, 0)
    p.label("loop")
    p.ld(5, 1, 0, 4)
    p.gather_r(2, 5, SPAD_G, ROW, ROW)
    p.addi(1, 1, 4)
    p.addi(4, 4, 1)
    p.blt(4, 3, "loop")
    p.halt()
    return p


def chunk_gather_program(n_chunks, chunk):
    """for c < n_chunks: mvin B[c*chunk : (c+1)*chunk] -> spad; gather those
    `chunk` rows of A -- the scratchpad chain (index stream with stride = chunk)."""
    p = Program(name="mvin_gather")
    p.li(1, B_BASE)
    p.li(2, A_BASE)
    p.li(3, n_chunks)
    p.li(4, 0)
    p.li(6, chunk)
    p.label("loop")
    p.mvin(1, 0, SPAD_I, 1, 4 * chunk)
    p.gather(2, SPAD_G, SPAD_I, 4, 6, ROW, ROW)
    p.addi(1, 1, 4 * chunk)
    p.addi(4, 4, 1)
    p.blt(4, 3, "loop")
    p.halt()
    return p


def index_memory(n_used, n_garbage, rows, seed=0):
    """B: n_used indices into rows [0, rows/2), then n_garbage indices into
    rows [rows/2, rows) that a correct NVR never prefetches (past the bound)."""
    rng = np.random.default_rng(seed)
    used = rng.permutation(rows // 2)[:n_used].astype(np.int32)   # distinct rows: one line each
    garbage = (rows // 2 + rng.integers(0, rows // 2, n_garbage)).astype(np.int32)
    table = np.arange(rows * ROW // 4, dtype=np.float32)
    mem = [(A_BASE, table.tobytes()), (B_BASE, np.concatenate([used, garbage]).tobytes())]
    return used, mem


def pc_of(prog, mnemonic):
    return next(prog.pc(i) for i, ins in enumerate(prog) if ins.op == mnemonic)


def line_of(idx):
    return A_BASE + int(idx) * ROW


def assert_future_rows(got, used, detected_at, slack=3):
    """The generated lines are exactly rows used[k] for k from the first
    element the engine reached (right after the detecting gather, or a few
    later when the first index line is still on its way and the NPU has
    already issued those gathers itself) to the last iteration."""
    pos = {line_of(i): k for k, i in enumerate(used)}
    assert got and all(l_ in pos for l_ in got), "a generated line is not a row the loop gathers"
    first = min(pos[l_] for l_ in got)
    assert detected_at <= first <= detected_at + slack
    assert set(got) == {line_of(i) for i in used[first:]}


@pytest.mark.parametrize("config", ["nvr+nsb", "nvr"])
def test_ld_chain_prefetches_exactly_the_future_gathers(config):
    n = 40
    used, mem = index_memory(n, 64, rows=256)
    prog = ld_gather_program(n)
    pc_gather = pc_of(prog, "gather_r")
    pf, npu, _ = run_program(prog, mem, config, nvr=["record=512"])
    assert pf["chainsDetected"] == 1
    # RPT: 3 loads give two equal deltas / two stream hits; chain link seen 3 times.
    assert pf["detectionGathers"] == 3
    got = recorded(pf, pc_gather)
    # After the third gather (iteration 2) every later row is prefetched, once,
    # and nothing else: not the rows already gathered, not the garbage past
    # the loop bound.
    assert_future_rows(got, used, 3)
    assert len(got) == len(set(got))
    for l_ in recorded(pf):   # no garbage row; index lines only of the used part of B
        assert l_ < A_BASE + 128 * ROW or B_BASE <= l_ < B_BASE + 4 * n
    assert balanced(pf)
    assert pf["balanced.pfIssued"] > 0


def test_mvin_chain_prefetches_exactly_the_future_gathers():
    chunk, n_chunks = 8, 6
    used, mem = index_memory(chunk * n_chunks, 64, rows=256, seed=1)
    prog = chunk_gather_program(n_chunks, chunk)
    pc_gather = pc_of(prog, "gather")
    pf, _, _ = run_program(prog, mem, "nvr+nsb", nvr=["record=512"])
    assert pf["chainsDetected"] == 1
    assert pf["detectionGathers"] == 3
    got = recorded(pf, pc_gather)
    assert_future_rows(got, used, 3 * chunk, slack=chunk)
    # nothing past the loop bound: no row of the garbage half, no index line past B's used part
    assert all(l_ < A_BASE + 128 * ROW for l_ in got)
    idx_lines = [l_ for l_ in recorded(pf) if l_ >= B_BASE]
    assert all(l_ < B_BASE + 4 * chunk * n_chunks for l_ in idx_lines)
    assert balanced(pf)


def test_bound_limits_runahead_to_the_loop():
    # A loop of 5 iterations: detection at the third, then only iterations 3 and 4.
    n = 5
    used, mem = index_memory(n, 200, rows=512, seed=2)
    pf, _, _ = run_program(ld_gather_program(n), mem, "nvr+nsb", nvr=["record=256", "distance=64"])
    got = recorded(pf, pc_of(ld_gather_program(n), "gather_r"))
    assert set(got) <= {line_of(i) for i in used[3:]}
    assert pf["boundStops"] >= 1


def test_distance_limits_runahead():
    n = 200
    used, mem = index_memory(n, 0, rows=1024, seed=3)
    pf, _, _ = run_program(ld_gather_program(n), mem, "nvr+nsb",
                           nvr=["record=4096", "distance=16", "min_distance=16", "max_distance=16"])
    # at the trigger of iteration i, rows up to i + 16 only; all future rows eventually
    got = recorded(pf, pc_of(ld_gather_program(n), "gather_r"))
    assert_future_rows(got, used, 3)
    assert pf["distance::mean"] == 16


def multi_stream_program(streams, n_chunks, chunk):
    """for c < n_chunks: for each stream s: mvin B_s[c*chunk : (c+1)*chunk] ->
    its own index buffer; gather those rows of A -- `streams` chains at once,
    as an unrolled, software-pipelined kernel has (a chain per code copy and
    gather)."""
    p = Program(name="multi_stream")
    p.li(1, A_BASE)
    p.li(2, n_chunks)
    p.li(3, 0)
    p.li(4, chunk)
    for s in range(streams):
        p.li(10 + s, B_BASE + s * 0x10000)
    p.label("loop")
    for s in range(streams):
        p.mvin(10 + s, 0, SPAD_I + s * ROW, 1, 4 * chunk)
        p.gather(1, SPAD_G + s * chunk * ROW, SPAD_I + s * ROW, 4, 4, ROW, ROW)
        p.addi(10 + s, 10 + s, 4 * chunk)
    p.addi(3, 3, 1)
    p.blt(3, 2, "loop")
    p.halt()
    return p


def test_chains_share_a_small_index_buffer_without_thrashing():
    """More active chains than index-buffer lines: the engine must not evict
    a line another chain is still reading (it would re-read every line many
    times and fall behind); each index line is read about once."""
    streams, n_chunks, chunk = 4, 24, 16
    rng = np.random.default_rng(4)
    mem = [(A_BASE, np.zeros(1024 * ROW // 4, dtype=np.float32).tobytes())]
    for s in range(streams):
        mem.append((B_BASE + s * 0x10000, rng.permutation(1024)[:n_chunks * chunk].astype(np.int32).tobytes()))
    lines = streams * n_chunks * chunk * 4 // 64
    pf, _, _ = run_program(multi_stream_program(streams, n_chunks, chunk), mem, "nvr",
                           nvr=["index_buffer_lines=2", "max_index_loads=2"])
    assert pf["chainsDetected"] == streams
    assert pf["indexLoads"] <= 1.25 * lines
    # every chain ran ahead: rows of all but the first chunks of each stream were generated
    assert pf["elementsGenerated"] >= streams * (n_chunks - 8) * chunk
    assert balanced(pf)


def test_no_chain_without_indirection():
    # A strided load whose value is not used as an index: no chain, no episode.
    p = Program(name="strided")
    p.li(1, B_BASE)
    p.li(3, 32)
    p.li(4, 0)
    p.label("loop")
    p.ld(5, 1, 0, 4)
    p.addi(1, 1, 4)
    p.addi(4, 4, 1)
    p.blt(4, 3, "loop")
    p.halt()
    pf, _, _ = run_program(p, [(B_BASE, np.arange(64, dtype=np.int32).tobytes())], "nvr+nsb")
    assert pf["chainsDetected"] == 0
    assert pf["runaheadEpisodes"] == 0
    assert balanced(pf)


# ---------------------------------------------------------------------------
# The workload suite: NVR never changes a result; chains found; stats balance.

SPARSE = ["spmm", "spmv", "sddmm", "embedding_bag", "gnn", "moe", "sparse_attention", "pointcloud"]


@pytest.mark.parametrize("name", SPARSE)
def test_nvr_never_changes_a_result(name):
    w = workloads.get(name, size="small")
    out = (w.output.address, int(np.prod(w.output.shape)) * w.output.dtype.itemsize)
    results = {}
    for config in ("none", "nvr", "nvr+nsb"):
        pf, npu, data = run_program(w.program, w.memory, config, output=out)
        assert w.check(lambda a, n, d=data: d[a - out[0]: a - out[0] + n]).ok, config
        results[config] = data
        if pf is not None:
            assert balanced(pf), (name, config)
            assert pf["chainsDetected"] >= 1, (name, config)
    assert results["nvr"] == results["none"] == results["nvr+nsb"]
    expected = np.asarray(w.expected, dtype=w.output.dtype).reshape(w.output.shape)
    got = np.frombuffer(results["nvr+nsb"], dtype=w.output.dtype).reshape(w.output.shape)
    assert np.allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_nvr_speeds_up_spmm_and_prefetches_usefully():
    args = ["--workload", "spmm", "--configs", "none,nvr,nvr+nsb", "--executor", "serial"]
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        rows = {r["config"]: r for r in compare.run_sweep(args, d, progress=False)}
    assert all(r["check"] == "PASS" for r in rows.values())
    assert float(rows["nvr+nsb"]["speedup"]) > 1.5
    assert float(rows["nvr+nsb"]["accuracy"]) > 0.8
    assert float(rows["nvr"]["npu_first_level_misses"]) < 0.2 * float(rows["none"]["npu_first_level_misses"])


# ---------------------------------------------------------------------------
# The comparison script: resumable table, pluggable executor.

def test_compare_table_survives_interruption(tmp_path):
    argv = ["--workload", "gnn", "--size", "small", "--executor", "serial", "--configs", "none,nvr"]
    rows = compare.run_sweep(argv, str(tmp_path), progress=False)
    assert [r["config"] for r in rows] == ["none", "nvr"]
    path = compare.results_table(str(tmp_path), "gnn").path
    assert path.endswith("nvr_compare_gnn.jsonl")
    lines = open(path).read().splitlines()
    assert [json.loads(line)["config"] for line in lines] == ["none", "nvr"]
    # As if killed while writing nvr's row: a rerun with one more
    # configuration runs exactly nvr again and the new one, and keeps none.
    with open(path, "w") as f:
        f.write(lines[0] + "\n" + lines[1][:60])
    argv2 = argv[:-1] + ["none,nvr,l2+16KiB"]
    rows = compare.run_sweep(argv2, str(tmp_path), progress=False)
    assert sorted(r["config"] for r in rows) == ["l2+16KiB", "none", "nvr"]
    assert [r["config"] for r in compare.results_table(str(tmp_path), "gnn").rows()] == ["none", "nvr", "l2+16KiB"]
    assert all(r["check"] == "PASS" for r in rows)
    assert float(next(r for r in rows if r["config"] == "none")["speedup"]) == 1.0


def test_compare_names_every_configuration():
    names = compare.config_names(args_for(configs=None, npu_cache_size="0"))
    assert names[0] == "none" and names[-3:] == ["nvr", "nvr+nsb", "l2+16KiB"]
    assert "StridePrefetcher" in names and "NVR" not in names and "MultiPrefetcher" not in names


def test_l2_grown_by_16KiB():
    w = workloads.get("spmm", size="small")
    system = compare.build_system(args_for(), w, "l2+16KiB")
    assert (int(system.l2.size), system.l2.assoc) == ((256 + 16) * 1024, 17)


# ---------------------------------------------------------------------------
# Hardware budget.

def test_hardware_budget_from_parameters():
    nvr = NVR()
    b = nvr.hardware_budget()
    assert b["stride detector (RPT)"][0] == 16
    assert b["index line buffer"][2] == 4 * (6 + 64 + 1)
    total = sum(v[2] for v in b.values())
    bigger = sum(v[2] for v in hardware_budget({**{k: getattr(nvr, k) for k in type(nvr)._params
                                                   if k not in ("npu", "port")}, "rpt_entries": 32}).values())
    assert bigger - total == 16 * b["stride detector (RPT)"][1]
    area = area_model(b, lanes=16)
    assert 0 < area["overhead"] < 0.05
    assert NSB().size == 16 * 1024
