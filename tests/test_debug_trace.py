"""Debug tracing (gem5's --debug-flags): what each flag prints, the tick
window, the output file, bad flags, and that tracing changes no result."""

import re

import pytest

import npusim
from npusim import _core
from npusim.objects import Cache, Root, SimpleMemory, SrcClockDomain, System, TrafficGen
from npusim.testing import stats_dict

from helpers import npusim_cli

pytestmark = pytest.mark.skipif(not _core.tracing, reason="module built without trace points (make fast)")

LINE = re.compile(r"^ *(\d+): (\S+): (.*)$")


@pytest.fixture(autouse=True)
def _tracing_off_afterwards():
    yield
    npusim.debug.set_flags([])
    npusim.debug.set_window()
    npusim.debug.set_file(None)


def _run(tmp_path, flags, window=(0, None)):
    """TrafficGen (blocking, eight 32-byte reads over four lines) -> 1 KiB
    L1 -> SimpleMemory, traced into a file; returns (trace lines, stats)."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = TrafficGen(pattern="linear", start_addr=0, end_addr=256, block_size=32, num_requests=8)
    system.l1 = Cache(size="1KiB", assoc=2, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                      tgts_per_mshr=4)
    system.mem = SimpleMemory(range="0:1MiB", latency="10ns", bandwidth="0GiB/s")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    trace = tmp_path / "trace.out"
    npusim.debug.set_flags(flags)
    npusim.debug.set_window(*window)
    npusim.debug.set_file(trace)
    assert npusim.simulate().getCause() == "system.cpu finished"
    npusim.debug.set_file(None)  # closes the file
    return trace.read_text().splitlines(), {"cpu": stats_dict(system.cpu), "l1": stats_dict(system.l1)}


def test_each_flag_prints_its_events_once(tmp_path):
    lines, stats = _run(tmp_path, "Cache,Requestor")
    parsed = [LINE.match(line).groups() for line in lines]
    ticks = [int(t) for t, _, _ in parsed]
    assert ticks == sorted(ticks)
    cache = [msg for _, who, msg in parsed if who == "system.l1"]
    cpu = [msg for _, who, msg in parsed if who == "system.cpu"]
    # Two 32-byte reads per 64-byte line: the first misses, the second hits.
    accesses = [m for m in cache if m.startswith("access for ")]
    assert [m.split()[-3] for m in accesses] == ["miss", "hit"] * 4
    assert [m.split()[3] for m in accesses] == [f"[{a:#x}:{a + 32:#x}]" for a in range(0, 256, 32)]
    assert sum(m.startswith("fill ") for m in cache) == 4
    assert not any(m.startswith("replacing") for m in cache)  # four lines fit in 1 KiB
    assert stats["l1"]["overallHits::total"] == 4 and stats["l1"]["overallMisses::total"] == 4
    # The requestor: one send and one response per request, in that order.
    assert sum(m.startswith("sending ReadReq") for m in cpu) == 8
    assert sum(m.startswith("response ReadResp") for m in cpu) == 8 == stats["cpu"]["numPackets"]
    # The first miss: sent at 0, missed in the L1 at 0, filled 2 + 10 ns later.
    assert parsed[0] == ("0", "system.cpu", "sending ReadReq [0x0:0x20] id " + parsed[0][2].split()[-1])
    assert parsed[1][:2] == ("0", "system.l1") and parsed[1][2].endswith("miss (2 cycles)")
    fill = next(p for p in parsed if p[2].startswith("fill "))
    assert fill[0] == str(12_000)


def test_window_and_flags_select_lines(tmp_path):
    everything, _ = _run(tmp_path, ["Cache", "Requestor"])
    npusim.reset()
    windowed, _ = _run(tmp_path, ["Cache", "Requestor"], window=(20_000, 40_000))
    assert windowed == [line for line in everything if 20_000 <= int(LINE.match(line).group(1)) < 40_000]
    assert 0 < len(windowed) < len(everything)
    npusim.reset()
    cache_only, _ = _run(tmp_path, ["Cache"])
    assert cache_only == [line for line in everything if ": system.l1: " in line]
    npusim.reset()
    nothing, _ = _run(tmp_path, [])
    assert nothing == []


def test_tracing_changes_no_result_and_repeats_exactly(tmp_path):
    first, stats_traced = _run(tmp_path, ["Cache", "Requestor"])
    npusim.reset()
    second, _ = _run(tmp_path, ["Cache", "Requestor"])
    npusim.reset()
    _, stats_plain = _run(tmp_path, [])
    assert first == second
    host = ("hostSeconds", "hostTickRate", "hostMemory")

    def results(stats):  # (repr: NaN entries compare equal)
        return {k: {n: repr(v) for n, v in s.items() if not n.startswith(host)} for k, s in stats.items()}
    assert results(stats_traced) == results(stats_plain)


def test_unknown_flag_is_an_error_naming_it_and_the_known_ones():
    with pytest.raises(npusim.SimulationError, match=r"unknown debug flag 'Cahce' \(known: .*Cache.*DRAM"):
        npusim.debug.set_flags("Cahce")
    with pytest.raises(ValueError, match="debug window start"):
        npusim.debug.set_window(-5)


def test_cli_flags_file_in_outdir_and_help(tmp_path):
    out = tmp_path / "m5out"
    r = npusim_cli("-d", str(out), "--debug-flags=Requestor", "--debug-file=trace.out",
                   "configs/examples/traffic_gen.py", "--requests", "5")
    assert r.returncode == 0, r.stderr
    lines = (out / "trace.out").read_text().splitlines()
    assert len(lines) == 10 and all(": system.cpu: " in line for line in lines)
    assert (out / "stats.txt").exists()
    r = npusim_cli("--debug-help")
    assert r.returncode == 0 and {"Cache", "DRAM", "MemCtrl", "Requestor", "XBar"} <= set(r.stdout.split())
    r = npusim_cli("-d", str(out), "--debug-flags=Nope", "configs/examples/traffic_gen.py")
    assert r.returncode == 2 and "unknown debug flag 'Nope'" in r.stderr


def test_plugin_flags_trace_what_the_stats_count(tmp_path):
    # NVR lives in src_ext (the plugin side) and declares its flag itself.
    from test_nvr import index_memory, ld_gather_program, run_program
    assert {"NVR", "NPU", "HWPrefetch"} <= set(npusim.debug.flags())
    trace = tmp_path / "nvr.out"
    npusim.debug.set_flags(["NVR"])
    npusim.debug.set_file(trace)
    used, mem = index_memory(40, 64, rows=256)
    pf, _, _ = run_program(ld_gather_program(40), mem, "nvr+nsb", nvr=["record=512"])
    npusim.debug.set_file(None)
    messages = [LINE.match(line).group(3) for line in trace.read_text().splitlines()]
    assert all(LINE.match(line).group(2) == "system.nsb.prefetcher" for line in trace.read_text().splitlines())
    assert sum(m.startswith("runahead episode") for m in messages) == pf["runaheadEpisodes"] == 1
    assert sum(m.endswith("filtered (in the cache or its MSHRs)") for m in messages) == pf["linesFiltered"]
    assert sum(m.endswith("merged (requested recently)") for m in messages) == pf["linesMerged"]
    assert sum(m.startswith("prefetch line") for m in messages) > 0


def test_read_trace_gives_one_row_per_trace_line(tmp_path):
    from npusim.analysis import read_trace
    lines, stats = _run(tmp_path, ["Cache", "Requestor"])
    (tmp_path / "mixed.out").write_text("\n".join(lines[:5] + ["Exiting @ tick 5 because done"] + lines[5:]) + "\n")
    t = read_trace(tmp_path / "mixed.out")
    assert len(t) == len(lines) and str(t.tick.dtype) == "int64"   # the script's own line is skipped
    assert list(t.tick) == sorted(t.tick)
    misses = t[(t.object == "system.l1") & t.message.str.startswith("access for") & t.message.str.contains(" miss ")]
    assert len(misses) == stats["l1"]["overallMisses::total"] == 4
    assert t.iloc[0].to_dict() == {"tick": 0, "object": "system.cpu", "message": lines[0].split(": ", 2)[2]}
