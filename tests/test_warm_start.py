"""The warm start of the gem5 reference replay (configs/examples/warm_start.py,
trace_replay.py --warm-start): the reconstructed set-up stores what the C
code stores, where and at the size it stores it; the statistics are reset
exactly at the point standing for roi_begin(), so only the ROI is counted."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import npusim
from npusim.objects import Cache, CacheTestMemory, Root, SimpleMemory, SrcClockDomain, System, TraceReplayer
from npusim.objects.requestors import replay_records
from npusim.testing import stats_dict
from npusim.traces import make_packets

from helpers import npusim_cli, reference_or_skip

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("warm_start", ROOT / "configs" / "examples" / "warm_start.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ws = _module()


def fake_ref(tmp_path, name, args, requests, think, roi_begin=1000, pages=None):
    """A stand-in for a ReferenceRun: what kernel_setup() and warm_trace() read."""
    if pages:
        with open(tmp_path / "pages.csv", "w") as f:
            f.write("region,page,virtual,physical\n")
            for region, phys in pages.items():
                for i, p in enumerate(phys):
                    f.write(f"{region},{i},{0x1000 * i:#x},{p:#x}\n")
    return SimpleNamespace(name=name, args=[name] + [str(a) for a in args], path=tmp_path, requests=requests,
                           think=np.asarray(think), roi_begin=roi_begin)


def written(stores):
    """{byte address: number of stores that wrote it}."""
    out = {}
    for a, s in zip(stores["addr"].tolist(), stores["size"].tolist()):
        for b in range(a, a + s):
            out[b] = out.get(b, 0) + 1
    return out


# --- the reconstructed set-up --------------------------------------------------------

def test_stream_sum_setup_is_memset_mark_pages_and_the_init_loop(tmp_path):
    # n = 1501 floats = 6004 bytes on two pages, the second physically far
    # from the first is impossible here (a is located contiguous): 0x10000, 0x11000
    n = 1501
    roi = make_packets(tick=1500 + 10 * np.arange(n), cmd=1, addr=0x10000 + 4 * np.arange(n), size=4)
    ref = fake_ref(tmp_path, "stream_sum", [n], roi, think=[3000, 4000, 4000])
    phases = dict(ws.kernel_setup(ref))
    assert list(phases) == ["memset(a)", "mark_pages(a)", "a[i] = i & 3"]
    array = set(range(0x10000, 0x10000 + 4 * n))

    ms = phases["memset(a)"]
    # glibc's generic memset: 8-byte words (93 unrolled iterations of 8, then 6),
    # then 4 single bytes, ascending, each byte of the array once
    assert ms["size"].tolist() == [8] * 750 + [1] * 4
    assert (np.diff(ms["addr"].astype(np.int64)) > 0).all()
    assert written(ms) == {b: 1 for b in array}
    pcs = ms["pc"].tolist()
    assert pcs[:16] == ws.SETUP_PC["memset"] * 2
    assert pcs[744:750] == [ws.SETUP_PC["memset_word"]] * 6 and pcs[750:] == [ws.SETUP_PC["memset_byte"]] * 4
    assert (ms["cmd"] == 4).all() and (ms["has_pc"] == 1).all()

    mp = phases["mark_pages(a)"]
    assert mp["addr"].tolist() == [0x10000, 0x11000] and mp["size"].tolist() == [1, 1]

    # a[i] = i & 3: one 4-byte store per element, in index order = the ROI's reads
    init = phases["a[i] = i & 3"]
    assert init["addr"].tolist() == roi["addr"].tolist()
    assert init["size"].tolist() == [4] * n
    assert written(init) == {b: 1 for b in array}
    assert ws.pace(ref) == 4000   # the median ROI think time

    every = ws.setup_stores(ref)
    assert len(every) == 754 + 2 + n and (every["tick"] == ref.roi_begin).all()


def test_spmv_setup_uses_pages_csv_and_locates_the_other_arrays(tmp_path):
    rows, per_row, cols = 4, 2, 1100        # row_ptr 20 B, col/val 32 B, x 4400 B (2 pages), y 16 B
    x_pages = [0x50000, 0x58000]            # not contiguous: taken from pages.csv as they are
    pages = {"row_ptr": [0x40000], "col_idx": [0x41000], "x": x_pages}
    val, y = 0x43000, 0x47000
    # the ROI: row_ptr, col, val, x[col], y, plus an 8-byte access that belongs to no array
    roi = make_packets(tick=2000 + np.arange(6), cmd=[1, 1, 1, 1, 4, 1],
                       addr=[0x40000, 0x41004, val + 4, x_pages[1] + 8, y + 12, 0x6dcd0], size=[4, 4, 4, 4, 4, 8])
    ref = fake_ref(tmp_path, "spmv_csr", [rows, per_row, cols], roi, think=[500, 2000, 2500], pages=pages)
    phases = dict(ws.kernel_setup(ref))
    assert list(phases) == ["memset(row_ptr)", "mark_pages(row_ptr)", "memset(col)", "mark_pages(col)",
                            "memset(val)", "mark_pages(val)", "memset(x)", "mark_pages(x)", "memset(y)",
                            "mark_pages(y)", "x[c] = ...", "row_ptr[r] = ...", "col[j] = ...; val[j] = ..."]
    x_bytes = set(range(x_pages[0], x_pages[0] + 4096)) | set(range(x_pages[1], x_pages[1] + 4400 - 4096))
    assert written(phases["memset(x)"]) == {b: 1 for b in x_bytes}
    assert written(phases["x[c] = ..."]) == {b: 1 for b in x_bytes}
    assert phases["mark_pages(x)"]["addr"].tolist() == x_pages
    # row_ptr: 20 bytes = two words and four single bytes
    assert phases["memset(row_ptr)"]["size"].tolist() == [8, 8, 1, 1, 1, 1]
    assert phases["row_ptr[r] = ..."]["addr"].tolist() == [0x40000 + 4 * r for r in range(rows + 1)]
    # col[j] and val[j] alternate, each at its array's j-th element
    cv = phases["col[j] = ...; val[j] = ..."]
    j = np.arange(rows * per_row)
    assert cv["addr"][0::2].tolist() == (0x41000 + 4 * j).tolist()
    assert cv["addr"][1::2].tolist() == (val + 4 * j).tolist()
    assert phases["mark_pages(y)"]["addr"].tolist() == [y]
    assert ws.pace(ref) == 2000


def test_an_array_located_from_the_roi_must_hold_its_accesses(tmp_path):
    # 1501 floats fit two pages; a read three pages up cannot belong to a
    roi = make_packets(tick=[1500, 1600], cmd=1, addr=[0x10000, 0x13000], size=4)
    ref = fake_ref(tmp_path, "stream_sum", [1501], roi, think=[100])
    with pytest.raises(ValueError, match="span more than"):
        ws.kernel_setup(ref)


def test_unknown_kernel_is_an_error(tmp_path):
    ref = fake_ref(tmp_path, "gemm", [], make_packets(tick=[1], cmd=1, addr=[0], size=4), think=[])
    with pytest.raises(ValueError, match="no set-up known"):
        ws.setup_stores(ref)


# --- replay: the reset at roi_begin ---------------------------------------------------

def _replayer_system(trace, think, memory):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = TraceReplayer(trace=trace, think_times=think, trace_start=1000)
    system.mem = memory
    system.cpu.port = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    return system


def test_statistics_reset_exactly_at_roi_begin(tmp_path):
    # 30 ns memory; set-up: the 1501-float stream_sum (756 + 1501 stores),
    # pace 4000: every response at 30000 k + 4000 (k - 1) for store k = 1..n;
    # the reset 4000 after the last; the ROI's first read 500 after that
    # (its tick 1500 - roi_begin 1000), then 10 ns think times.
    n = 1501
    roi = make_packets(tick=1500 + 10 * np.arange(n), cmd=1, addr=0x10000 + 4 * np.arange(n), size=4)
    ref = fake_ref(tmp_path, "stream_sum", [n], roi, think=[4000] * 3)
    roi_think = np.full(n - 1, 10_000)
    trace, think, n_setup, p = ws.warm_trace(ref, replay_records(roi), roi_think)
    assert (n_setup, p) == (756 + n, 4000)
    assert think[n_setup - 1] == 4000 + 500 and (think[n_setup:] == 10_000).all()
    system = _replayer_system(trace, think, SimpleMemory(range="0:4GiB", latency="30ns",
                                                          bandwidth="1000000GiB/s"))
    last = 30_000 * n_setup + 4000 * (n_setup - 1)
    assert ws.run_setup(system.cpu, think, n_setup, p) == last + 4000
    assert npusim.curTick() == last + 4000
    s = stats_dict(system.cpu)
    assert s["numPackets"] == 0 and s["totalWrites"] == 0   # reset; nothing of the ROI sent yet
    npusim.simulate()
    s = stats_dict(system.cpu)
    assert (s["numPackets"], s["totalReads"], s["totalWrites"]) == (n, n, 0)
    # the set-up's think times are not counted; the first ROI request's is,
    # from the last set-up response (4000 before the reset, 500 after)
    assert s["thinkTicks"] == 4500 + 10_000 * (n - 1)
    assert npusim.curTick() == last + 4000 + 500 + 30_000 * n + 10_000 * (n - 1)


def test_the_setup_warms_the_cache_and_is_not_counted(tmp_path):
    # Through a 32 KiB cache: the ROI reads the lines the set-up wrote, so a
    # warm start has no demand miss where a cold one misses every line.
    n = 1501
    roi = make_packets(tick=1500 + 10 * np.arange(n), cmd=1, addr=0x10000 + 4 * np.arange(n), size=4)
    ref = fake_ref(tmp_path, "stream_sum", [n], roi, think=[4000] * 3)
    lines = len(set((0x10000 + 4 * np.arange(n)) // 64))
    for warm in (False, True):
        think = np.full(n - 1, 1000)
        trace, n_setup = replay_records(roi), 0
        if warm:
            trace, think, n_setup, p = ws.warm_trace(ref, trace, think)
        system = System(clk_domain=SrcClockDomain(clock="1GHz"))
        system.cpu = TraceReplayer(trace=trace, think_times=think, trace_start=1000)
        system.l1 = Cache(size="32KiB", assoc=8)
        system.mem = CacheTestMemory(latency="10ns")
        system.cpu.port = system.l1.cpu_side
        system.l1.mem_side = system.mem.port
        Root(full_system=False, system=system)
        npusim.instantiate()
        if warm:
            ws.run_setup(system.cpu, think, n_setup, p)
        npusim.simulate()
        s = stats_dict(system.l1)
        assert s["demandAccesses::total"] == n
        assert s.get("demandMisses::total", 0) == (0 if warm else lines)   # (a zero total is not listed)
        npusim.reset()


# --- the real reference kernels ----------------------------------------------------

@pytest.fixture(scope="module")
def stream_ref():
    return reference_or_skip("stream_sum")


def test_stream_sum_init_loop_writes_what_the_roi_reads(stream_ref):
    # kernel.c: a[i] = ... for every i, then the ROI reads a[i] for every i:
    # the rebuilt init loop must store to exactly the ROI's (address, size) list
    phases = dict(ws.kernel_setup(stream_ref))
    init, roi = phases["a[i] = i & 3"], stream_ref.requests
    assert np.array_equal(init["addr"], roi["addr"]) and np.array_equal(init["size"], roi["size"])
    assert written(phases["memset(a)"]).keys() == written(init).keys()
    assert len(phases["mark_pages(a)"]) == 256


def test_trace_replay_warm_start_counts_the_roi_only(stream_ref, tmp_path):
    out = tmp_path / "run"
    proc = npusim_cli("-d", str(out), str(ROOT / "configs" / "examples" / "trace_replay.py"), "--kernel", "stream_sum",
                      "--warm-start", "--max-requests", "4096", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "warm start: 393472 set-up stores, 4000 ticks" in proc.stdout
    from npusim.analysis.stats_reader import read_stats
    row = read_stats(out / "stats.txt").iloc[-1]
    # only the ROI's 4,096 reads (256 lines) are counted ...
    assert row["system.cpu.numPackets"] == 4096
    assert row["system.cpu.dcache.demandAccesses::total"] == 4096
    assert row["system.cpu.dcache.demandMisses::total"] == 256
    # ... in caches the set-up filled: the init loop wrote all 16,384 lines of
    # a, so the L2 is full of dirty lines from its end, and each line the ROI
    # brings in evicts one (cold: 256 lines in use, no writeback)
    assert row["system.l2.tags.tagsInUse"] == 4096
    assert row["system.l2.writebacks::total"] == 256
    assert row["system.l2.demandMisses::total"] == 256
