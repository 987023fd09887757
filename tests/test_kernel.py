"""The simulation kernel: event order, exits, params, stats output, CLI."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import npusim
from npusim.objects import KernelProbe, Root, SrcClockDomain, System
from npusim.testing import stats_dict
from npusim import units

from helpers import npusim_cli


def build(**probe_params):
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.probe = KernelProbe(**probe_params)
    Root(full_system=False, system=system)
    npusim.instantiate()
    return system


def test_same_tick_events_run_by_priority_then_insertion_order():
    system = build(event_ticks=[100, 50, 100, 100, 50], event_priorities=[0, 0, -5, 0, 10])
    ev = npusim.simulate()
    assert ev.getCause() == "event queue empty"
    order = stats_dict(system.probe)
    got = [order[f"runOrder::{i}"] for i in range(5)]
    # tick 50: #1 (pri 0) before #4 (pri 10); tick 100: #2 (pri -5), then #0, #3 in insertion order
    assert got == [3, 0, 2, 4, 1]
    assert order["runOrder::total"] == sum(range(5))
    assert order["lastTick"] == 100 and npusim.curTick() == 100


def test_simulate_limit_then_continue():
    system = build(event_ticks=[1000, 5000])
    ev = npusim.simulate(2000)
    assert ev.getCause() == "simulate() limit reached"
    assert npusim.curTick() == 2000
    assert stats_dict(system.probe)["eventsRun"] == 1
    ev = npusim.simulate()
    assert ev.getCause() == "event queue empty" and npusim.curTick() == 5000


def test_explicit_exit_with_cause_and_code():
    system = build(event_ticks=[10, 3000], exit_tick=2500, exit_cause="checkpoint here")
    ev = npusim.simulate()
    assert (ev.getCause(), ev.getCode(), ev.tick) == ("checkpoint here", 7, 2500)
    assert stats_dict(system.probe)["eventsRun"] == 1


def test_distribution_average_formula_and_reset():
    system = build(event_ticks=[1000, 3000], samples=[0, 1, 2, 3, 8, 20, -1])
    npusim.simulate()
    s = stats_dict(system.probe)
    assert s["dist::samples"] == 7
    assert s["dist::underflows"] == 1 and s["dist::overflows"] == 1
    assert s["dist::0-1"] == 2 and s["dist::2-3"] == 2 and s["dist::8-9"] == 1
    assert s["dist::min_value"] == -1 and s["dist::max_value"] == 20
    assert math.isclose(s["dist::mean"], 33 / 7)
    # level = 1 from t=1000 to 3000, then 2 at t=3000: average over [0, 3000] = 2000/3000
    assert math.isclose(s["level"], 2000 / 3000)
    assert s["ratio"] == 1.0
    npusim.stats.reset()
    s = stats_dict(system.probe)
    assert s["eventsRun"] == 0 and s["dist::samples"] == 0
    # gem5's values for an empty distribution: mean and stdev nan, min and max 0
    assert math.isnan(s["dist::mean"]) and math.isnan(s["dist::stdev"])
    assert (s["dist::min_value"], s["dist::max_value"]) == (0, 0)


def test_distribution_of_one_sample_has_gem5s_nan_stdev():
    # gem5 divides by samples * (samples - 1): one sample gives 0/0, nan
    system = build(event_ticks=[1000], samples=[3])
    npusim.simulate()
    s = stats_dict(system.probe)
    assert (s["dist::samples"], s["dist::mean"], s["dist::min_value"], s["dist::max_value"]) == (1, 3, 3, 3)
    assert math.isnan(s["dist::stdev"])


def test_stats_txt_layout_matches_gem5(tmp_path):
    build(event_ticks=[500])
    npusim.simulate()
    npusim.stats.dump()
    npusim.stats.dump()
    text = open(os.path.join(npusim.simulation.outdir(), "stats.txt")).read()
    assert text.count("---------- Begin Simulation Statistics ----------") == 2
    assert text.count("---------- End Simulation Statistics   ----------") == 2
    lines = text.splitlines()
    assert "simTicks                                          500                       # Number of ticks simulated (Tick)" in lines
    assert "system.clk_domain.clock                           500                       # Clock period in ticks (Tick)" in lines
    assert any(line.startswith("system.probe.runOrder::total") for line in lines)
    assert not any("neverTouched" in line for line in lines)  # all-zero nozero vector: not even ::total
    data = json.load(open(os.path.join(npusim.simulation.outdir(), "stats.json")))
    assert len(data["dumps"]) == 2 and data["dumps"][0]["system.probe.eventsRun"] == 1


def _dumps_before_and_after_reset():
    """Runs the probe, dumps, resets, dumps; returns the two dumps' text."""
    npusim.simulate()
    npusim.stats.dump()
    npusim.stats.reset()
    npusim.stats.dump()
    text = open(os.path.join(npusim.simulation.outdir(), "stats.txt")).read()
    return text.split("---------- End Simulation Statistics")[:2]


def _probe_rows(dump, stat):
    """{suffix after the probe stat's name: rest of its line (value, description, unit)}"""
    prefix = f"system.probe.{stat}"
    return {l.split()[0][len(prefix):]: l.split(None, 1)[1] for l in dump.splitlines()
            if l.split() and (l.split()[0] == prefix or l.startswith(prefix + "::"))}


def test_counters_print_like_scalar_and_vector_and_reset():
    build(event_ticks=[5, 5, 70, 3])
    dumps = _dumps_before_and_after_reset()
    rows = _probe_rows
    for dump, events in zip(dumps, (4, 0)):
        assert rows(dump, "eventsCounted") == rows(dump, "eventsRun")
        assert rows(dump, "eventsCounted")[""].startswith(str(events))
        assert rows(dump, "runOrderCounted") == rows(dump, "runOrder")
        assert rows(dump, "neverCounted") == rows(dump, "neverTouched") == {}
        assert rows(dump, "zeroCounted") == {}  # nozero counter at zero: omitted
    assert rows(dumps[0], "runOrderCounted")["::total"].startswith(str(sum(range(4))))
    assert rows(dumps[1], "runOrderCounted")["::total"].startswith("0")


def test_int_distribution_prints_like_distribution():
    # whole, non-negative samples, one of them an overflow
    build(event_ticks=[5], samples=[0, 1, 2, 3, 3, 8, 20])
    dumps = _dumps_before_and_after_reset()
    full, empty = (_probe_rows(d, "intDist") for d in dumps)
    assert full and full == _probe_rows(dumps[0], "dist") and empty == _probe_rows(dumps[1], "dist")
    assert full["::samples"].split()[0] == "7" and full["::overflows"].split()[0] == "1"
    assert full["::2-3"].split()[0] == "3" and full["::max_value"].split()[0] == "20"
    assert empty["::samples"].split()[0] == "0"


def _values(rows):
    return {k: v.split()[0] for k, v in rows.items()}


def test_histogram_widens_its_buckets_as_gem5s_does():
    # gem5's Histogram with 4 buckets: width 1 (0..3); 4 doubles it to 2
    # (0..7), 8 to 4 (0..15). gmean = (1*2*4*8)^(1/4). No under/overflows or
    # min/max lines; a reset starts again from width 1.
    build(event_ticks=[5], samples=[1, 2, 4, 8])
    full, empty = (_values(_probe_rows(d, "hist")) for d in _dumps_before_and_after_reset())
    assert list(full) == ["::samples", "::mean", "::gmean", "::stdev", "::0-3", "::4-7", "::8-11", "::12-15", "::total"]
    assert (full["::samples"], full["::mean"], full["::gmean"]) == ("4", "3.750000", "2.828427")
    assert (full["::0-3"], full["::4-7"], full["::8-11"], full["::12-15"], full["::total"]) == ("2", "1", "1", "0", "4")
    assert list(empty) == ["::samples", "::mean", "::gmean", "::stdev", "::0", "::1", "::2", "::3", "::total"]
    assert empty["::samples"] == "0" and empty["::mean"] == "nan"


def test_histogram_of_a_zero_sample_has_gem5s_zero_gmean():
    build(event_ticks=[5], samples=[0, 3, 20])   # log(0) is -inf: gem5 prints gmean 0
    full = _values(_probe_rows(_dumps_before_and_after_reset()[0], "hist"))
    assert full["::gmean"] == "0" and full["::0-7"] == "2" and full["::16-23"] == "1"


def test_nozero_distribution_omits_zero_lines_and_empty_dumps():
    # gem5's DistPrint with nozero: no line whose value is 0 (underflows,
    # overflows, empty buckets), and nothing at all without samples
    build(event_ticks=[5], samples=[1, 4, 4])
    full, empty = (_values(_probe_rows(d, "quietDist")) for d in _dumps_before_and_after_reset())
    assert list(full) == ["::samples", "::mean", "::stdev", "::0-1", "::4-5", "::min_value", "::max_value", "::total"]
    assert empty == {}


def test_distribution_bounds_print_as_gem5_writes_numbers():
    # bucket bounds in an ostream's default format (6 significant digits),
    # the last bucket's top cut at the distribution's max: 1e+08, not 100663295
    build(event_ticks=[5], samples=[5e7])
    full = _values(_probe_rows(_dumps_before_and_after_reset()[0], "wideDist"))
    assert [k for k in full if k[2].isdigit()] == ["::0-3.35544e+07", "::3.35544e+07-6.71089e+07",
                                                    "::6.71089e+07-1e+08"]
    assert full["::3.35544e+07-6.71089e+07"] == "1"


def _stats_without_host(path):
    return [l for l in open(path).read().splitlines() if not l.startswith(("host", "simRequests"))]


def test_two_runs_give_identical_stats(tmp_path):
    paths = []
    for run in range(2):
        npusim.reset()
        npusim.simulation.set_outdir(str(tmp_path / f"run{run}"))
        build(event_ticks=[5, 5, 70, 3], event_priorities=[1, 0, 0, 2], samples=[1, 4, 4])
        npusim.simulate()
        npusim.stats.dump()
        paths.append(tmp_path / f"run{run}" / "stats.txt")
    assert _stats_without_host(paths[0]) == _stats_without_host(paths[1])


def test_config_json_records_every_param():
    build(event_ticks=[1, 2])
    cfg = json.load(open(os.path.join(npusim.simulation.outdir(), "config.json")))
    probe = cfg["system"]["probe"]
    assert probe["type"] == "KernelProbe" and probe["event_ticks"] == [1, 2]
    assert probe["clk_domain"] == "system.clk_domain"
    assert cfg["system"]["clk_domain"]["clock"] == [500]   # gem5's clock is a vector


def test_config_json_in_gem5s_form():
    # what gem5's config.json holds for the same objects: ranges as
    # "start:end", each object's name, connected ports only, with gem5's
    # roles and a vector port's peers as a list, a single port's as a string
    from npusim.objects import Cache, SimpleMemory, TrafficGen
    system = System(clk_domain=SrcClockDomain(clock="1GHz"), mem_ranges=["0:1MiB"])
    system.cpu = TrafficGen(num_requests=2)
    system.l1 = Cache()
    system.mem = SimpleMemory(range="0:1MiB")
    system.cpu.port, system.l1.mem_side = system.l1.cpu_side, system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    cfg = json.load(open(os.path.join(npusim.simulation.outdir(), "config.json")))
    s = cfg["system"]
    assert (cfg["name"], s["name"], s["mem"]["name"], s["mem"]["path"]) == (None, "system", "mem", "system.mem")
    assert s["mem_ranges"] == ["0:1048576"] and s["mem"]["range"] == "0:1048576"
    assert s["l1"]["cpu_side"] == {"role": "GEM5 RESPONDER", "peer": "system.cpu.port", "is_source": "False"}
    assert s["l1"]["mem_side"] == {"role": "GEM5 REQUESTOR", "peer": "system.mem.port", "is_source": "True"}
    assert "system_port" not in s   # unconnected: gem5 writes no entry


def _config_objects(node):
    """Every object of a config.json tree (a dict with a path), children included."""
    if isinstance(node, list):
        return [obj for item in node for obj in _config_objects(item)]
    if not isinstance(node, dict) or "path" not in node:
        return []
    return [node] + [obj for value in node.values() for obj in _config_objects(value)]


def test_config_files_write_the_declared_type_as_gem5_does():
    # gem5 writes the type a class declares, which a script's subclass and a
    # preset inherit; npusim wrote the Python class name (L1DCache, DDR4_2400_8x8)
    import configparser
    from npusim.objects import Cache, DDR4_2400_8x8, MemCtrl, SystemXBar, TrafficGen

    class L1DCache(Cache):
        size = "1KiB"

    system = System(clk_domain=SrcClockDomain(clock="1GHz"), mem_ranges=["0:1MiB"])
    system.cpu = TrafficGen(num_requests=2)
    system.l1 = L1DCache()
    system.membus = SystemXBar()
    system.mem_ctrl = MemCtrl(dram=DDR4_2400_8x8(range="0:1MiB"))
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.membus.cpu_side_ports
    system.mem_ctrl.port = system.membus.mem_side_ports
    Root(full_system=False, system=system)
    npusim.instantiate()
    cfg = json.load(open(os.path.join(npusim.simulation.outdir(), "config.json")))
    s = cfg["system"]
    assert (s["l1"]["type"], s["mem_ctrl"]["dram"]["type"], s["membus"]["type"]) == \
        ("Cache", "DRAMInterface", "NoncoherentXBar")
    objects = _config_objects(cfg)
    assert {obj["path"] for obj in objects} == {
        "root", "system", "system.clk_domain", "system.cpu", "system.l1", "system.l1.replacement_policy",
        "system.membus", "system.membus.snoop_filter", "system.mem_ctrl", "system.mem_ctrl.dram"}
    assert all("type" in obj and "cxx_type" not in obj for obj in objects)
    # the C++ class actually built, with its namespace (npusim's, not gem5's)
    assert (s["l1"]["cxx_class"], s["mem_ctrl"]["dram"]["cxx_class"]) == \
        ("npusim::Cache", "npusim::memory::DRAMInterface")
    assert all(obj["cxx_class"].startswith("npusim::") for obj in objects)
    assert list(s["l1"])[:4] == ["type", "cxx_class", "name", "path"]
    # output forms of gem5's declarations: a clock vector, the cache's AllMemory
    assert s["clk_domain"]["clock"] == [1000]
    assert s["l1"]["addr_ranges"] == ["0:18446744073709551615"]
    ini = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    ini.read(os.path.join(npusim.simulation.outdir(), "config.ini"))
    assert (ini["system.l1"]["type"], ini["system.mem_ctrl.dram"]["type"]) == ("Cache", "DRAMInterface")
    assert ini["system.clk_domain"]["clock"] == "1000"
    assert ini["system.l1"]["addr_ranges"] == "0:18446744073709551615"
    assert list(ini["system.l1"])[:2] == ["type", "children"]   # gem5's order; it writes no cxx_class line


# The stream_sum replay's config.json beside gem5's of the traced run, for
# the objects both have: the same type (but for the crossbars: npusim has no
# coherence protocol, so both are noncoherent) and no parameter gem5 lacks
# but the cache's own line size (gem5's reads the system's) and prefetch
# switches (gem5's are the prefetcher's).
REPLAYED_OBJECTS = ("system.cpu.dcache", "system.l2", "system.l2bus", "system.membus", "system.mem_ctrl",
                    "system.mem_ctrl.dram")
NPUSIM_TYPES = {"system.l2bus": "NoncoherentXBar", "system.membus": "NoncoherentXBar"}
NPUSIM_ONLY_PARAMS = {"cache_line_size", "prefetch_on_access", "prefetch_on_pf_hit"}


def test_replay_config_json_has_gem5s_types_and_names(tmp_path):
    from helpers import ROOT, reference_or_skip
    reference = json.loads(reference_or_skip("stream_sum").file("config.json").read_text())
    # (run by this Python from the repository, so that it is this checkout's npusim)
    subprocess.run([sys.executable, "-c", "import sys; from npusim.cli import main; sys.exit(main())",
                    "-d", str(tmp_path), "configs/examples/trace_replay.py", "--kernel", "stream_sum",
                    "--max-requests", "10"], check=True, capture_output=True, cwd=ROOT)
    ours = {obj["path"]: obj for obj in _config_objects(json.loads((tmp_path / "config.json").read_text()))}
    gem5s = {obj["path"]: obj for obj in _config_objects(reference)}
    for path in REPLAYED_OBJECTS:
        assert ours[path]["type"] == NPUSIM_TYPES.get(path, gem5s[path]["type"]), path
        assert not set(ours[path]) - set(gem5s[path]) - NPUSIM_ONLY_PARAMS, path
        assert list(gem5s[path])[:2] == list(ours[path])[:2] == ["type", "cxx_class"]
    assert ours["system.l2"]["addr_ranges"] == gem5s["system.l2"]["addr_ranges"]
    assert ours["system.clk_domain"]["clock"] == gem5s["system.clk_domain"]["clock"] == [500]


def test_config_ini_as_gem5_writes_it():
    import configparser
    from npusim.objects import Cache, SimpleMemory, TrafficGen
    system = System(clk_domain=SrcClockDomain(clock="1GHz"), mem_ranges=["0:1MiB"])
    system.cpu = TrafficGen(num_requests=2)
    system.l1 = Cache(size="1KiB", assoc=2, tag_latency=1, data_latency=1, response_latency=1, mshrs=2,
                      tgts_per_mshr=2)
    system.mem = SimpleMemory(range="0:1MiB")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    ini = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    ini.optionxform = str  # keys keep their case
    ini.read(os.path.join(npusim.simulation.outdir(), "config.ini"))
    assert ini.sections()[:3] == ["root", "system", "system.clk_domain"]  # depth first, children by name
    assert ini["root"]["children"] == "system" and ini["root"]["full_system"] == "false"
    assert ini["system"]["children"] == "clk_domain cpu l1 mem"
    assert ini["system"]["mem_ranges"] == "0:1048576"
    assert ini["system.l1"]["type"] == "Cache" and ini["system.l1"]["size"] == "1024"
    assert ini["system.l1"]["clk_domain"] == "system.clk_domain"
    assert ini["system.l1"]["cpu_side"] == "system.cpu.port"          # ports name their peers
    assert ini["system.mem"]["port"] == "system.l1.mem_side"
    assert ini["system.mem"]["range"] == "0:1048576"
    keys = list(ini["system.l1"])
    params = [k for k in keys if k not in ("type", "children", "cpu_side", "mem_side")]
    assert params == sorted(params)


@pytest.mark.parametrize("text,ticks", [("30ns", 30000), ("1.5us", 1500000), ("7ps", 7), (42, 42)])
def test_latency_units(text, ticks):
    assert units.to_ticks(text) == ticks


@pytest.mark.parametrize("text,nbytes", [("256KiB", 262144), ("32kB", 32768), ("1GiB", 2**30), ("64B", 64)])
def test_size_units(text, nbytes):
    assert units.to_bytes(text) == nbytes


def test_clock_and_bandwidth_units():
    assert units.clock_period_ticks("2GHz") == 500
    assert units.clock_period_ticks("1ns") == 1000
    assert units.to_bytes_per_second("12.8GiB/s") == 12.8 * 2**30


def test_wrong_unit_names_object_and_param():
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.probe = KernelProbe()
    Root(full_system=False, system=system)
    with pytest.raises(npusim.ParamError, match=r"system\.probe\.exit_tick: .*unknown time unit 'parsecs'"):
        system.probe.exit_tick = "3parsecs"
    with pytest.raises(npusim.ParamError, match=r"system\.clk_domain\.clock: cannot read 'fast' as a clock"):
        system.clk_domain.clock = "fast"
    with pytest.raises(npusim.ParamError, match=r"system\.cache_line_size: 'big' is not"):
        system.cache_line_size = "big"
    with pytest.raises(npusim.ParamError, match=r"system\.probe\.event_ticks: .*negative"):
        system.probe.event_ticks = [5, -1]
    with pytest.raises(AttributeError, match=r"system\.probe: KernelProbe has no parameter or port named 'colour'"):
        system.probe.colour = 3


def test_bad_value_set_before_root_is_reported_at_instantiate_with_full_path():
    system = System(clk_domain=SrcClockDomain(clock="2 gigahertz"))
    system.probe = KernelProbe(exit_tick="soon")
    Root(full_system=False, system=system)
    with pytest.raises(npusim.ParamError, match=r"system\.clk_domain\.clock: cannot read '2 gigahertz'"):
        npusim.instantiate()


def test_cxx_side_checks_name_object_and_param():
    system = System(clk_domain=SrcClockDomain(clock="2GHz"), cache_line_size=48)
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError, match=r"system\.cache_line_size: must be a power of two, got 48"):
        npusim.instantiate()


def test_probe_param_consistency_error():
    with pytest.raises(npusim.SimulationError, match=r"system\.probe\.event_priorities: needs one priority"):
        build(event_ticks=[1, 2], event_priorities=[0])


def test_missing_clock_domain_is_reported():
    system = System()
    system.probe = KernelProbe()
    Root(full_system=False, system=system)
    with pytest.raises(npusim.ParamError, match=r"system\.clk_domain: no ancestor has a 'clk_domain'"):
        npusim.instantiate()


def test_abstract_type_cannot_be_instantiated():
    from npusim.objects import ClockedObject
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.thing = ClockedObject()
    Root(full_system=False, system=system)
    with pytest.raises(npusim.ParamError, match=r"system\.thing: ClockedObject is abstract"):
        npusim.instantiate()


def test_cli_describe_and_list():
    out = npusim_cli("--describe", "KernelProbe")
    assert out.returncode == 0
    assert "exit_tick" in out.stdout and "Tick" in out.stdout and "Request an exit" in out.stdout
    out = npusim_cli("--list-objects")
    assert out.returncode == 0 and "KernelProbe" in out.stdout and "SrcClockDomain" in out.stdout
    assert npusim_cli("--describe", "NoSuchThing").returncode == 1
    # a misspelling gets the names npusim.objects suggests (case, substring,
    # close spelling); a gem5 type npusim lacks gets what to use instead
    for typed, meant in [("strideprefetcher", "StridePrefetcher"), ("DDR3_2133_8x8", "DDR3_1600_8x8")]:
        err = npusim_cli("--describe", typed).stderr
        assert f"did you mean {meant}" in err, err
    err = npusim_cli("--describe", "DerivO3CPU").stderr
    assert "no CPU models" in err and "TrafficGen" in err, err
    # gem5's --list-sim-objects: every type described, params and defaults
    out = npusim_cli("--list-sim-objects")
    assert out.returncode == 0
    listed = npusim_cli("--list-objects").stdout.count("\n")
    assert out.stdout.count("  C++ type: ") == listed > 50
    assert "KernelProbe (" in out.stdout and "exit_tick" in out.stdout


def test_cli_output_cut_short_by_its_reader_ends_without_a_traceback():
    exe = os.path.join(os.path.dirname(sys.executable), "npusim")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "npusim.cli"]
    proc = subprocess.Popen([*cmd, "--list-sim-objects"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err, err


def test_cli_runs_script_and_reports_config_errors_cleanly(tmp_path):
    script = tmp_path / "cfg.py"
    script.write_text(
        "import sys, npusim\nfrom npusim.objects import *\n"
        "system = System(clk_domain=SrcClockDomain(clock=sys.argv[1]))\n"
        "system.probe = KernelProbe(event_ticks=[100])\n"
        "root = Root(full_system=False, system=system)\n"
        "npusim.instantiate()\nprint(npusim.simulate().getCause())\n")
    out = npusim_cli("-d", str(tmp_path / "out"), str(script), "1GHz")
    assert out.returncode == 0, out.stderr
    assert "event queue empty" in out.stdout
    assert (tmp_path / "out" / "stats.txt").exists() and (tmp_path / "out" / "config.json").exists()
    out = npusim_cli("-d", str(tmp_path / "out2"), str(script), "1 GHz please")
    assert out.returncode == 1
    assert "npusim: error: system.clk_domain.clock:" in out.stderr and "Traceback" not in out.stderr


def test_cli_output_file_options_as_gem5s(tmp_path):
    # --stats-file, --dump-config, --json-config, -r/-e with --stdout-file and
    # --stderr-file: gem5's names and defaults, relative to -d.
    from npusim.analysis import read_stats
    script = tmp_path / "cfg.py"
    script.write_text(
        "import sys, npusim\nfrom npusim.objects import *\n"
        "system = System(clk_domain=SrcClockDomain(clock='1GHz'))\n"
        "system.probe = KernelProbe(event_ticks=[100])\n"
        "root = Root(full_system=False, system=system)\n"
        "npusim.instantiate()\nprint(npusim.simulate().getCause())\nprint('to stderr', file=sys.stderr)\n")
    out_dir = tmp_path / "out"
    out = npusim_cli("-d", str(out_dir), "--stats-file", "run.txt", "--dump-config", "", "--json-config", "cfg.json",
                     "-r", "-e", "--stderr-file", "err.log", str(script))
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["cfg.json", "err.log", "run.json", "run.txt", "simout.txt"]
    assert read_stats(out_dir / "run.txt").iloc[-1]["simTicks"] == 100
    assert (out_dir / "simout.txt").read_text().strip() == "event queue empty"
    assert (out_dir / "err.log").read_text().strip() == "to stderr"
    assert f"Redirecting stdout to {out_dir / 'simout.txt'}" in out.stdout and "event queue empty" not in out.stdout
    assert npusim_cli("-d", str(tmp_path / "x"), "--stats-file", "", str(script)).returncode == 2


def test_gem5s_first_config_runs_unchanged(tmp_path):
    # learning_gem5's simple.py, with a traffic generator for the core:
    # VoltageDomain, mem_mode, system_port and a DDR3 controller on the membus.
    script = tmp_path / "simple.py"
    script.write_text("""
import npusim as m5
from npusim.objects import *
system = System()
system.clk_domain = SrcClockDomain()
system.clk_domain.clock = '1GHz'
system.clk_domain.voltage_domain = VoltageDomain()
system.mem_mode = 'timing'
system.mem_ranges = [AddrRange('512MB')]
system.cpu = TrafficGen(num_requests=100)
system.membus = SystemXBar()
system.cpu.port = system.membus.cpu_side_ports
system.mem_ctrl = MemCtrl()
system.mem_ctrl.dram = DDR3_1600_8x8()
system.mem_ctrl.dram.range = system.mem_ranges[0]
system.mem_ctrl.port = system.membus.mem_side_ports
system.system_port = system.membus.cpu_side_ports
root = Root(full_system = False, system = system)
m5.instantiate()
exit_event = m5.simulate()
print('Exiting @ tick {} because {}'.format(m5.curTick(), exit_event.getCause()))
""")
    out = npusim_cli("-d", str(tmp_path / "m5out"), str(script))
    assert out.returncode == 0, out.stderr
    assert "because system.cpu finished" in out.stdout
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    assert "system.clk_domain.voltage_domain.voltage            1" in stats   # gem5's line
    ini = (tmp_path / "m5out" / "config.ini").read_text()
    # A vector port lists its peers in index order, as gem5's config.ini does.
    assert "cpu_side_ports=system.cpu.port system.system_port" in ini
    assert "mem_mode=timing" in ini


def test_gem5_params_npusim_cannot_honour_are_refused_by_name():
    from npusim.objects import VoltageDomain
    system = System(clk_domain=SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain(voltage=["900mV"])))
    Root(full_system=False, system=system)
    with pytest.raises(npusim.ParamError, match=r"system\.mem_mode: 'atomic' is not one of timing"):
        system.mem_mode = "atomic"
    with pytest.raises(npusim.ParamError, match=r"system\.clk_domain\.voltage_domain\.voltage: .*not a voltage"):
        system.clk_domain.voltage_domain.voltage = ["high"]
    npusim.instantiate()
    assert stats_dict(system.clk_domain.voltage_domain)["voltage"] == pytest.approx(0.9)


def test_addr_range_forms_and_vector_of_ranges_reach_cxx():
    from npusim.objects import AddrRange
    assert AddrRange("512MB") == AddrRange(0, 512 * 2**20)
    assert AddrRange("0x1000:0x2000").size() == 0x1000
    system = System(clk_domain=SrcClockDomain(clock="1GHz"), mem_ranges=["512MB", "1GiB:2GiB"])
    Root(full_system=False, system=system)
    npusim.instantiate()
    cfg = json.load(open(os.path.join(npusim.simulation.outdir(), "config.json")))
    assert cfg["system"]["mem_ranges"] == [f"0:{512 * 2**20}", f"{2**30}:{2**31}"]   # gem5's "start:end"


def test_interleaved_addr_range_is_refused_by_name():
    from npusim.objects import AddrRange
    # gem5's MemConfig interleaves channels; npusim has no such ranges (was a bare TypeError)
    with pytest.raises(units.UnitError, match=r"AddrRange\(intlvHighBit, intlvBits=...\): npusim has no interleaved"):
        AddrRange(0, size="1GiB", intlvHighBit=7, intlvBits=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'sise'"):
        AddrRange(0, sise="1GiB")


def test_periodic_stat_dumps():
    from npusim.analysis import read_stats, read_stats_json
    # Events at 1500 and 4200; an exit requested at 3000, a dump every 1000 ticks.
    build(event_ticks=[1500, 4200], exit_tick=3000, exit_cause="stop")
    npusim.stats.periodicStatDump(1000)
    ev = npusim.simulate()
    # The dump due at 3000 comes before the exit at 3000, as in gem5.
    assert (ev.getCause(), ev.tick) == ("stop", 3000)
    ev = npusim.simulate(500)           # no dump due by 3500
    assert (ev.getCause(), ev.tick) == ("simulate() limit reached", 3500)
    ev = npusim.simulate()              # the dump at 4000, then the last event
    assert (ev.getCause(), ev.tick) == ("event queue empty", 4200)
    npusim.stats.periodicStatDump(0)    # stops them
    assert npusim.stats.next_periodic_dump() is None
    outdir = npusim.simulation.outdir()
    txt = read_stats(os.path.join(outdir, "stats.txt"))
    assert list(txt["simTicks"]) == [1000, 2000, 3000, 4000]
    assert list(txt["system.probe.eventsRun"]) == [0, 1, 1, 1]    # cumulative: no reset between dumps
    assert read_stats_json(os.path.join(outdir, "stats.json"))["simTicks"].tolist() == [1000, 2000, 3000, 4000]
    with pytest.raises(ValueError, match="period must be a whole number of ticks"):
        npusim.stats.periodicStatDump(-1)


def test_periodic_stat_dump_asked_for_before_instantiate_starts_with_it():
    # gem5's configs/dram/sweep.py asks before instantiate(); npusim refused
    from npusim.analysis import read_stats
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.probe = KernelProbe(event_ticks=[1500, 2500])
    Root(full_system=False, system=system)
    npusim.stats.periodicStatDump(1000)
    npusim.instantiate()
    assert npusim.stats.next_periodic_dump() == 1000
    assert npusim.simulate().getCause() == "event queue empty"
    txt = read_stats(os.path.join(npusim.simulation.outdir(), "stats.txt"))
    assert list(txt["simTicks"]) == [1000, 2000]


def test_periodic_dumps_leave_the_final_dump_unchanged(tmp_path):
    from npusim.objects import Cache, SimpleMemory, TrafficGen

    def final_dump(period):
        npusim.reset()
        system = System(clk_domain=SrcClockDomain(clock="1GHz"))
        system.cpu = TrafficGen(pattern="random", num_requests=2000, max_outstanding=4, seed=3)
        system.l1 = Cache(size="4KiB", assoc=4, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                          tgts_per_mshr=4)
        system.mem = SimpleMemory(range="0:1MiB", latency="30ns")
        system.cpu.port = system.l1.cpu_side
        system.l1.mem_side = system.mem.port
        Root(full_system=False, system=system)
        outdir = str(tmp_path / f"p{period}")
        npusim.instantiate(outdir)
        if period:
            npusim.stats.periodicStatDump(period)
        assert npusim.simulate().getCause() == "system.cpu finished"
        npusim.stats.dump()
        text = open(os.path.join(outdir, "stats.txt")).read()
        last = text.split("---------- Begin Simulation Statistics ----------")[1:]
        return len(last), [line for line in last[-1].splitlines() if line.strip() and "host" not in line.split()[0]]

    plain_dumps, plain = final_dump(0)
    periodic_dumps, periodic = final_dump(1_000_000)
    assert plain_dumps == 1 and periodic_dumps == 17   # 16.9 us of simulated time
    assert periodic == plain


def test_stats_file_url_options_as_gem5s(tmp_path):
    # gem5's --stats-file URL: text://FILE?desc=False&spaces=False. The same
    # run three ways: the numbers read back equal; the lines differ only in
    # padding and in the "# description (Unit)" tail.
    from npusim.analysis import read_stats
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "examples",
                          "traffic_gen.py")
    runs = {"plain": "stats.txt", "bare": "stats.txt?desc=False&spaces=False", "url": "text://run.txt?desc=False"}
    for name, spec in runs.items():
        out = npusim_cli("-d", str(tmp_path / name), "--stats-file", spec, script, "--requests", "200")
        assert out.returncode == 0, out.stderr
    files = {"plain": tmp_path / "plain" / "stats.txt", "bare": tmp_path / "bare" / "stats.txt",
             "url": tmp_path / "url" / "run.txt"}
    assert (tmp_path / "url" / "run.json").exists()
    frames = {name: read_stats(path).drop(columns=[c for c in read_stats(path).columns if c.startswith("host")])
              for name, path in files.items()}
    assert frames["plain"].equals(frames["bare"]) and frames["plain"].equals(frames["url"])
    line = {name: next(l for l in open(path) if l.startswith("simTicks")).rstrip("\n") for name, path in files.items()}
    assert line["bare"] == "simTicks " + line["plain"].split()[1]
    assert line["url"] == line["plain"].split(" #")[0] and "#" in line["plain"] and "(Tick)" in line["plain"]
    dist = next(l for l in open(files["bare"]) if "latencyDist::" in l and "%" in l)
    assert dist.count(" ") == 3 and dist.rstrip().endswith("%")   # name value pdf cdf


@pytest.mark.parametrize("spec,fragment", [
    ("h5://stats.h5", "text only"), ("stats.txt?desc=maybe", "desc=maybe is not True or False"),
    ("stats.txt?colour=1", "unknown option 'colour'"), ("ftp://host/stats", "unknown stats file type 'ftp'"),
    ("", "needs a name"), ("stats#2.txt", "'#' would end the file name"),
])
def test_stats_file_url_errors_name_the_option(tmp_path, spec, fragment):
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "examples",
                          "traffic_gen.py")
    out = npusim_cli("-d", str(tmp_path), "--stats-file", spec, script)
    assert out.returncode == 2 and "--stats-file" in out.stderr and fragment in out.stderr, out.stderr


def _gem5_histogram(samples, size):
    """gem5's HistStor for non-negative samples, step by step: the last
    bucket's lower bound doubles with the width (growUp), pairs merge."""
    buckets, width, top = [0] * size, 1, size - 1
    for v in samples:
        while v >= top + width:
            half = (size + 1) // 2
            buckets = [buckets[2 * i] + (buckets[2 * i + 1] if 2 * i + 1 < size else 0) for i in range(half)] + \
                      [0] * (size - half)
            top, width = top * 2, width * 2
        buckets[int(v // width)] += 1
    return width, buckets


@pytest.mark.parametrize("seed", range(5))
def test_histogram_buckets_match_gem5s_growth_step_by_step(seed):
    rng = np.random.default_rng(seed)
    samples = [float(x) for x in rng.integers(0, 10 ** int(rng.integers(1, 6)), size=int(rng.integers(1, 60)))]
    build(event_ticks=[5], samples=samples)
    rows = _values(_probe_rows(_dumps_before_and_after_reset()[0], "hist"))
    width, buckets = _gem5_histogram(samples, 4)
    labels = [f"::{i * width}" if width == 1 else f"::{i * width}-{i * width + width - 1}" for i in range(4)]
    assert [k for k in rows if k[2].isdigit()] == labels
    assert [int(rows[k]) for k in labels] == buckets
