"""NPU timing: hand-worked cycle counts for dense tiles (WS and OS), preload
overlap, the SCALE-Sim cross-check, gathers, the DMA in-flight bound, bank
conflicts, scalar loads, and that the NPU sleeps while it waits.

Every program here runs against a SimpleMemory with a fixed latency and no
bandwidth limit, so each line request takes exactly LAT NPU cycles: the
"every line hits" case in which times can be worked out by hand. The rules
the hand computations use (docs/npu.md has them in full):

* the front end issues one instruction per cycle; a dispatched instruction
  may start in the next cycle;
* the DMA engine sends one request per cycle; a response that arrives in
  cycle c frees its in-flight slot for a request in cycle c and writes its
  line into the scratchpad in cycle c (if the bank is free), so the data is
  usable from cycle c + 1;
* one transfer per queue issues at a time: the next load starts in the
  cycle after the previous one sent its last request;
* WS tile: preload R cycles, stream m rows, drain R + C - 2;
  OS tile: stream k beats, drain R + C - 2 (R = C = DIM).
"""

import math

import numpy as np
import pytest

import npusim
from npusim import _core
from npusim.isa import Program
from npusim.objects import NPU, Root, Scratchpad, SimpleMemory, SrcClockDomain, System
from npusim.testing import stats_dict

D = 16
RB = 4 * D            # scratchpad row bytes
LAT = 20              # memory latency in NPU cycles (1 GHz: 1 cycle = 1 ns)
BASE = 0x100000       # DRAM data
BANK1 = 0x10000       # first byte of scratchpad bank 1 (4 banks of 64 KiB)


def build(program, latency=f"{LAT}ns", clock="1GHz", **npu_kw):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(clk_domain=SrcClockDomain(clock=clock), **npu_kw)
    system.npu.program = program
    system.mem = SimpleMemory(range="0:64MiB", latency=latency, bandwidth="0GiB/s")
    system.npu.dma_port = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    return system


def run(program, data=(), **kw):
    system = build(program, **kw)
    for addr, blob in data:
        npusim.functional_write(system.npu, "dma_port", addr, blob)
    ev = npusim.simulate()
    assert ev.getCause() == "system.npu finished", ev.getCause()
    s = stats_dict(system.npu)
    assert s["numCycles"] == s["busyCycles"] + s["stallCycles::total"]
    return system, s


def rand_f32(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------------------
# one dense tile, by hand
# ---------------------------------------------------------------------------

def one_tile_program(b_spad, m=D, k=D, n=D):
    p = Program()
    p.li(1, BASE)                                        # cycle 0
    p.mvin(1, 0, 0, D, RB, RB)                           # 1: A (16 rows) -> spad 0, starts 2
    p.mvin(1, D * RB, b_spad, D, RB, RB)                 # 2: B -> b_spad, starts when A has sent all
    p.matmul(0, b_spad, 0, m, k, n, 0)                   # 3
    p.halt()                                             # 4
    return p


@pytest.mark.parametrize("dataflow,b_spad,fold", [
    ("WS", D * RB, 2 * D + D + D - 2),   # preload R + stream m + drain R+C-2 = 62
    ("WS", BANK1, 2 * D + D + D - 2),
    ("OS", BANK1, D + D + D - 2),        # stream k + drain R+C-2 = 46
])
def test_one_dense_tile_hand_computed(dataflow, b_spad, fold):
    a, b = rand_f32((D, D), 1), rand_f32((D, D), 2)
    _, s = run(one_tile_program(b_spad), [(BASE, a.tobytes() + b.tobytes())], dataflow=dataflow,
               dma_max_inflight=64)
    # A: requests in cycles 2..17, B: 18..33; B's last line lands in cycle
    # 33 + LAT, usable from 34 + LAT, when the matmul starts.
    start = 34 + LAT
    assert s["numCycles"] == start + fold
    assert s["arrayActiveCycles"] == s["busyCycles"] == fold
    assert s["MACs"] == D ** 3 and s["matmuls"] == 1
    assert s["arrayUtilization"] == pytest.approx(D ** 3 / (D * D * (start + fold)))
    assert s["stallCycles::memory"] == start - 4  # cycles 4.. start: waiting for the loads
    assert s["stallCycles::frontend"] == 4
    assert s["dmaReadReqs"] == 2 * D and s["dmaBytesRead"] == 2 * D * RB


def test_os_operands_in_one_bank_conflict_for_k_cycles():
    a, b = rand_f32((D, D), 1), rand_f32((D, D), 2)
    system, s = run(one_tile_program(D * RB), [(BASE, a.tobytes() + b.tobytes())], dataflow="OS",
                    dma_max_inflight=64)
    # A and B both in bank 0 with one read port: B's k beats go after A's.
    assert s["numCycles"] == 34 + LAT + (D + D + D - 2) + D
    sp = stats_dict(system.npu.scratchpad)
    assert sp["bankConflicts"] == 1 and sp["bankConflictCycles"] == D
    # the array is occupied all along, but waits D cycles for the bank
    assert s["arrayActiveCycles"] == D + D + D + D - 2
    assert s["stallCycles::scratchpad"] == D and s["busyCycles"] == D + D + D - 2
    # two read ports per bank remove the conflict
    npusim.reset()
    system, s = run(one_tile_program(D * RB), [(BASE, a.tobytes() + b.tobytes())], dataflow="OS",
                    dma_max_inflight=64, scratchpad=Scratchpad(read_ports=2))
    assert s["numCycles"] == 34 + LAT + (D + D + D - 2)
    assert stats_dict(system.npu.scratchpad)["bankConflicts"] == 0


@pytest.mark.parametrize("m,k,n", [(16, 16, 16), (5, 16, 9), (16, 3, 16), (1, 1, 1)])
def test_partial_tiles(m, k, n):
    """A tile smaller than DIM still takes the full fill and drain (the array
    is DIM x DIM): WS R + m + R + C - 2, OS k + R + C - 2."""
    for dataflow, fold in (("WS", D + m + 2 * D - 2), ("OS", k + 2 * D - 2)):
        npusim.reset()
        _, s = run(one_tile_program(BANK1, m, k, n), [(BASE, bytes(2 * D * RB))], dataflow=dataflow,
                   dma_max_inflight=64)
        assert s["arrayActiveCycles"] == fold
        assert s["numCycles"] == 34 + LAT + fold
        assert s["MACs"] == m * k * n


# ---------------------------------------------------------------------------
# several tiles: preload overlap (Gemmini) versus folds back to back
# ---------------------------------------------------------------------------

def many_weights_program(folds):
    p = Program()
    p.li(1, BASE)                                       # 0
    p.li(2, BASE + D * RB)                              # 1
    p.mvin(1, 0, BANK1, D, RB, RB)                      # 2: A -> bank 1, starts 3
    p.mvin(2, 0, 0, D * folds, RB, RB)                  # 3: all B tiles -> bank 0
    for f in range(folds):
        p.matmul(BANK1, f * D * RB, f * D * RB, D, D, D, 0)
    p.halt()
    return p


@pytest.mark.parametrize("folds", [1, 3, 8])
def test_ws_preload_overlap(folds):
    data = [(BASE, rand_f32((D * (folds + 1), D), 3).tobytes())]
    # A: requests 3..18; B: 16*folds requests from 19; all usable at T0.
    t0 = 19 + D * folds + LAT
    _, off = run(many_weights_program(folds), data, overlap_preload=False, dma_max_inflight=256)
    assert off["numCycles"] == t0 + folds * (2 * D + D + D - 2)
    assert off["arrayActiveCycles"] == folds * (4 * D - 2)
    npusim.reset()
    _, on = run(many_weights_program(folds), data, overlap_preload=True, dma_max_inflight=256)
    # preload of tile f+1 runs while tile f streams: R + folds*m + R + C - 2
    assert on["numCycles"] == t0 + D + folds * D + 2 * D - 2
    assert on["weightPreloads"] == folds


def test_ws_same_weights_stream_back_to_back():
    """Tiles that reuse the stationary weights skip the preload (one fold)."""
    p = Program()
    p.li(1, BASE)
    p.li(2, BASE + 4 * D * RB)
    p.mvin(1, 0, BANK1, 4 * D, RB, RB)      # four A tiles
    p.mvin(2, 0, 0, D, RB, RB)              # one B tile
    for t in range(4):
        p.matmul(BANK1 + t * D * RB, 0, t * D * RB, D, D, D, 0)
    p.halt()
    _, s = run(p, [(BASE, rand_f32((5 * D, D), 4).tobytes())], overlap_preload=False, dma_max_inflight=256)
    assert s["weightPreloads"] == 1
    assert s["arrayActiveCycles"] == 2 * D + D + 4 * D - 2   # 2R + C + T - 2 with T = 64


# ---------------------------------------------------------------------------
# SCALE-Sim cross-check
# ---------------------------------------------------------------------------

def scalesim_compute_cycles(M, K, N, R, C, dataflow):
    """Compute cycles of SCALE-Sim (v2/v3, scalesim/compute/systolic_compute_
    {ws,os}.py) for a GEMM with no memory stalls, rebuilt from how it sizes
    its demand matrices, fold by fold (not from our formula):

    WS: Sr = K (rows), Sc = N (cols), T = M. Each fold's ifmap demand matrix
        has R rows of weight-load gap, then T rows of inputs, then C - 1 rows
        for the outputs to drain; skewing it across the R array rows adds
        R - 1 rows.
    OS: Sr = M, Sc = N, T = K. Each fold has T rows of inputs then C - 1
        rows of drain gap; skewing across R rows adds R - 1.
    Folds run back to back: ceil(Sr / R) * ceil(Sc / C) of them."""
    if dataflow == "WS":
        sr, sc, t = K, N, M
        prefix = R
    else:
        sr, sc, t = M, N, K
        prefix = 0
    folds = math.ceil(sr / R) * math.ceil(sc / C)
    rows_per_fold = prefix + t + (C - 1)        # demand-matrix rows before the skew
    rows_per_fold += R - 1                     # skew_matrix() over R columns
    return folds * rows_per_fold


def gemm_program(M, K, N, dataflow, with_matmuls=True):
    """Dense GEMM with every tile moved into the scratchpad first (A tiles in
    bank 0, B tiles in bank 1, pre-tiled in DRAM so that one mvin each
    loads them), then the tiles in SCALE-Sim's fold order, then halt."""
    mt, kt, nt = (math.ceil(x / D) for x in (M, K, N))
    a_rows, b_rows = mt * kt * D, kt * nt * D
    p = Program()
    p.li(1, BASE)
    p.li(2, BASE + a_rows * RB)
    p.mvin(1, 0, 0, a_rows, RB, RB)
    p.mvin(2, 0, BANK1, b_rows, RB, RB)
    a_tile = lambda i, k: (i * kt + k) * D * RB
    b_tile = lambda k, j: BANK1 + (k * nt + j) * D * RB
    c_tile = lambda i, j: (i * nt + j) * D * RB
    size = lambda t, total: min(D, total - t * D)

    def mm(i, k, j):
        p.matmul(a_tile(i, k), b_tile(k, j), c_tile(i, j), size(i, M), size(k, K), size(j, N), 1 if k else 0)

    if with_matmuls:
        if dataflow == "WS":          # fold = one (k, j) weight tile, all of M streamed through it
            for j in range(nt):
                for k in range(kt):
                    for i in range(mt):
                        mm(i, k, j)
        else:                         # fold = one (i, j) output tile, all of K streamed into it
            for i in range(mt):
                for j in range(nt):
                    for k in range(kt):
                        mm(i, k, j)
    p.halt()
    return p, (mt, kt, nt)


def tiled(mat, rows, cols):
    """Tiles of D x D (zero padded), tile-major, each as D rows of D floats."""
    r, c = math.ceil(mat.shape[0] / D), math.ceil(mat.shape[1] / D)
    out = np.zeros((r, c, D, D), np.float32)
    for i in range(r):
        for j in range(c):
            blk = mat[i * D:(i + 1) * D, j * D:(j + 1) * D]
            out[i, j, :blk.shape[0], :blk.shape[1]] = blk
    return out.reshape(-1, D)


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
@pytest.mark.parametrize("M,K,N", [(16, 16, 16), (64, 64, 64), (40, 72, 24), (100, 20, 33), (16, 128, 48)])
def test_dense_gemm_equals_scalesim_without_overlap(dataflow, M, K, N):
    a, b = rand_f32((M, K), 5), rand_f32((K, N), 6)
    data = [(BASE, tiled(a, M, K).tobytes() + tiled(b, K, N).tobytes())]
    kw = dict(dataflow=dataflow, overlap_preload=False, dma_max_inflight=64)
    expected = scalesim_compute_cycles(M, K, N, D, D, dataflow)

    loads_only, _ = gemm_program(M, K, N, dataflow, with_matmuls=False)
    _, s0 = run(loads_only, data, **kw)
    npusim.reset()
    prog, (mt, kt, nt) = gemm_program(M, K, N, dataflow)
    system, s = run(prog, data, **kw)
    # The first tile starts the cycle the operands are in; the folds then run
    # back to back, so the whole matmul phase is SCALE-Sim's compute time.
    assert s["numCycles"] - s0["numCycles"] == expected
    assert s["arrayActiveCycles"] == expected
    assert s["MACs"] == M * K * N
    assert s["weightPreloads"] == (kt * nt if dataflow == "WS" else mt * nt)

    # The same program with the C tiles moved out computes A . B.
    npusim.reset()
    prog.instrs.pop()                     # halt
    prog.li(3, BASE + 0x80000)
    for i in range(mt):
        for j in range(nt):
            prog.mvout_acc(3, (i * nt + j) * D * RB, (i * nt + j) * D * RB, D, RB, RB)
    prog.halt()
    system, s2 = run(prog, data, **kw)
    assert s2["arrayActiveCycles"] == expected
    raw = npusim.functional_read(system.npu, "dma_port", BASE + 0x80000, mt * nt * D * RB)
    c = np.frombuffer(raw, np.float32).reshape(mt, nt, D, D).transpose(0, 2, 1, 3).reshape(mt * D, nt * D)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    assert np.allclose(c[:M, :N], ref, rtol=1e-5, atol=1e-5)


def test_scalesim_formula_closed_forms():
    """The demand-matrix count above equals the closed forms of docs/npu.md."""
    for (M, K, N) in [(16, 16, 16), (40, 72, 24), (1, 1, 1), (300, 17, 65)]:
        R = C = D
        ws = math.ceil(K / R) * math.ceil(N / C) * (2 * R + C + M - 2)
        os_ = math.ceil(M / R) * math.ceil(N / C) * (R + C + K - 2)
        assert scalesim_compute_cycles(M, K, N, R, C, "WS") == ws
        assert scalesim_compute_cycles(M, K, N, R, C, "OS") == os_


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
def test_overlap_only_ever_shortens(dataflow):
    M, K, N = 64, 48, 40
    data = [(BASE, tiled(rand_f32((M, K), 7), M, K).tobytes() + tiled(rand_f32((K, N), 8), K, N).tobytes())]
    prog, _ = gemm_program(M, K, N, dataflow)
    _, off = run(prog, data, dataflow=dataflow, overlap_preload=False, dma_max_inflight=64)
    npusim.reset()
    _, on = run(prog, data, dataflow=dataflow, overlap_preload=True, dma_max_inflight=64)
    assert on["numCycles"] < off["numCycles"]
    assert on["MACs"] == off["MACs"]


# ---------------------------------------------------------------------------
# gathers and the DMA engine
# ---------------------------------------------------------------------------

TABLE = BASE + 0x10000
IDX = BASE


def gather_program(n):
    p = Program()
    p.li(1, TABLE)                        # 0
    p.li(2, n)                            # 1
    p.li(3, IDX)                          # 2
    p.mvin(3, 0, BANK1, 1, 4 * n, 4 * n)  # 3: the index vector (one line), starts 4
    p.gather(1, 0, BANK1, 4, 2, RB, RB)   # 4: n rows of the table
    p.halt()                              # 5
    return p


def gather_data(n, seed=9):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(256)[:n].astype(np.int32)
    table = rng.standard_normal((256, D)).astype(np.float32)
    return idx, table, [(IDX, idx.tobytes()), (TABLE, table.tobytes())]


@pytest.mark.parametrize("n,inflight", [(16, 64), (16, 16), (16, 4), (16, 1), (8, 3)])
def test_gather_hand_computed(n, inflight):
    idx, table, data = gather_data(n)
    # The index line: request in cycle 4, lands in 4 + LAT, usable 5 + LAT:
    # the gather starts, reads the first index row (one cycle), and sends
    # request j in cycle 6 + LAT + (j mod F) + (j div F) * LAT when F
    # (in-flight limit) <= LAT, one per cycle otherwise. Done one cycle
    # after the last line lands.
    def issue(j):
        if inflight > LAT:
            return 6 + LAT + j
        return 6 + LAT + (j % inflight) + (j // inflight) * LAT
    system, s = run(gather_program(n), data, dma_max_inflight=inflight)
    assert s["numCycles"] == issue(n - 1) + LAT + 1
    assert s["dmaReadReqs"] == n + 1
    assert s["dmaRequestsInFlight::max_value"] == min(inflight, n)


def test_gather_result_lands_in_scratchpad():
    """The gathered rows are real data: mvout them and compare."""
    n = 12
    idx, table, data = gather_data(n)
    p = gather_program(n)
    p.instrs.pop()                       # drop halt
    p.li(4, BASE + 0x40000)
    p.mvout(4, 0, 0, n, RB, RB)
    p.halt()
    system, _ = run(p, data)
    out = np.frombuffer(npusim.functional_read(system.npu, "dma_port", BASE + 0x40000, n * RB), np.float32)
    assert np.array_equal(out.reshape(n, D), table[idx])


@pytest.mark.parametrize("limit", [1, 2, 5, 16, 32])
def test_dma_inflight_limit_respected_and_reached(limit):
    rows = 256
    p = Program()
    p.li(1, BASE)
    p.mvin(1, 0, 0, rows, RB, RB)
    p.halt()
    _, s = run(p, [(BASE, bytes(rows * RB))], latency="100ns", dma_max_inflight=limit)
    assert s["dmaRequestsInFlight::max_value"] == limit
    # throughput bound: `limit` lines per 100-cycle round trip
    rounds = math.ceil(rows / limit)
    assert s["numCycles"] >= (rounds - 1) * 100 + 100
    assert s["dmaRequestsInFlight::samples"] == s["numCycles"]
    assert s["dmaRequestsInFlight::mean"] == pytest.approx(rows * 100 / s["numCycles"], rel=0.02)


def test_unaligned_rows_split_at_line_boundaries():
    """A 3-row mvin of 100-byte rows starting 8 bytes into a line: each row
    becomes the pieces between line boundaries."""
    p = Program()
    p.li(1, BASE + 8)
    p.mvin(1, 0, 0, 3, 100, 200)
    p.halt()
    _, s = run(p, [(BASE, bytes(range(256)) * 4)])
    pieces = 0
    for r in range(3):
        lo, hi = BASE + 8 + 200 * r, BASE + 8 + 200 * r + 100
        pieces += (hi - 1) // 64 - lo // 64 + 1
    assert s["dmaReadReqs"] == pieces
    assert s["dmaBytesRead"] == 300


# ---------------------------------------------------------------------------
# front end, scalar loads, clocks, sleeping
# ---------------------------------------------------------------------------

def ld_program():
    p = Program()
    p.li(1, BASE)        # 0
    p.ld(2, 1, 0, 8)     # 1: read sent in cycle 1, value back in 1 + LAT
    p.addi(2, 2, 1)      # 2 + LAT
    p.halt()             # 3 + LAT
    return p


def test_scalar_ld_stalls_front_end_for_the_round_trip():
    _, s = run(ld_program(), [(BASE, (41).to_bytes(8, "little"))])
    assert s["numCycles"] == 3 + LAT
    assert s["scalarLoads"] == 1 and s["stallCycles::memory"] == LAT


def test_npu_sleeps_while_waiting_for_memory():
    """The NPU schedules no event per cycle while stalled: a 1000x longer
    memory latency costs no extra events."""
    counts = []
    for lat in ("10ns", "10000ns"):
        npusim.reset()
        build(ld_program(), latency=lat)
        before = _core.events_processed()
        npusim.simulate()
        counts.append(_core.events_processed() - before)
    assert counts[0] == counts[1]
    assert counts[0] < 12


def test_scalar_loop_costs_one_cycle_per_instruction_and_few_events():
    p = Program()
    p.li(1, 0)
    p.li(2, 1000)
    p.label("loop")
    p.addi(1, 1, 1)
    p.blt(1, 2, "loop")
    p.halt()
    build(p)
    before = _core.events_processed()
    npusim.simulate()
    events = _core.events_processed() - before
    st = stats_dict(Root.getInstance().system.npu)
    assert st["numCycles"] == 2 + 2 * 1000   # halt issues in cycle 2002; nothing left to drain
    assert st["stallCycles::frontend"] == st["numCycles"]
    assert events < 10


def test_npu_clock_domain_scales_ticks_not_cycles():
    results = {}
    for clock in ("1GHz", "500MHz"):
        npusim.reset()
        p = many_weights_program(2)
        system = build(p, latency="0ns", clock=clock)
        npusim.functional_write(system.npu, "dma_port", BASE, bytes(3 * D * RB))
        npusim.simulate()
        results[clock] = (stats_dict(system.npu)["numCycles"], npusim.curTick())
    assert results["1GHz"][0] == results["500MHz"][0]
    assert results["500MHz"][1] == 2 * results["1GHz"][1]
