"""Parameter defaults as gem5 scripts read them (per-object SimObject
defaults, class-level reads, converted values), the stats file URL's
separators, and output files that would overwrite each other."""

import pytest

import npusim
from npusim.objects import NPU, AddrRange, Root, SimpleMemory, SrcClockDomain, System, SystemXBar, TrafficGen
from npusim.objects import all_classes
from npusim.stats_file import parse_stats_file


def test_semicolon_between_stats_options_says_to_use_ampersand():
    # gem5's old docs wrote desc=False;spaces=False; Python's parse_qs splits at
    # '&' only, so the value is "False;spaces=False": say what to write instead
    with pytest.raises(ValueError, match=r"separate options with '&'"):
        parse_stats_file("stats.txt?desc=False;spaces=False")


def test_a_simobject_default_is_each_objects_own():
    # reading a SimObject default handed out the class's one template, so
    # setting one NPU's scratchpad size set every NPU's (gem5 clones per object)
    a, b = NPU(), NPU()
    a.scratchpad.size = "512KiB"
    assert a.scratchpad.size == 512 * 1024 and b.scratchpad.size == 256 * 1024 == NPU().scratchpad.size
    x, y = SystemXBar(), SystemXBar()
    assert x.snoop_filter is x.snoop_filter and x.snoop_filter is not y.snoop_filter


def test_a_simobject_default_read_before_instantiate_is_the_one_simulated():
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.mem = SimpleMemory(range="0:1MiB")
    system.membus = SystemXBar()
    system.membus.snoop_filter.max_capacity = "1MiB"
    system.cpu = TrafficGen(num_requests=4, end_addr=4096)
    system.cpu.port = system.membus.cpu_side_ports
    system.membus.mem_side_ports = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert system.membus.snoop_filter.path() == "system.membus.snoop_filter"
    assert system.membus.snoop_filter.max_capacity == 2**20
    assert SystemXBar().snoop_filter.max_capacity == 8 * 2**20


def test_class_level_default_reads_converted_as_gem5s_memconfig_does():
    # gem5's MemConfig.py: intf.device_rowbuffer_size.value * intf.devices_per_rank.value on the class
    ddr = all_classes()["DDR4_2400_8x8"]
    assert ddr.device_rowbuffer_size.value * ddr.devices_per_rank.value == 8192
    assert ddr.tCK == 833 and ddr.tCK.value == pytest.approx(0.833e-9)

    class Faster(ddr):
        tCK = "0.625ns"
    assert Faster.tCK == 625 and Faster().tCK == 625 and ddr.tCK == 833
    with pytest.raises(AttributeError, match="no attribute 'no_such_param'"):
        ddr.no_such_param


def test_stats_twin_over_config_json_is_refused_through_the_api(tmp_path):
    # the CLI refuses it; through set_output_files the stats twin (x.json)
    # silently replaced config.json (x.json)
    npusim.simulation.set_output_files(stats="text://x.txt?desc=False", config_json="x.json")
    try:
        system = System(clk_domain=SrcClockDomain(clock="1GHz"))
        system.mem = SimpleMemory(range=AddrRange("0:1MiB"))
        system.cpu = TrafficGen(num_requests=4, end_addr=4096)
        system.cpu.port = system.mem.port
        Root(full_system=False, system=system)
        with pytest.raises(npusim.ParamError, match=r"config_json and the stats file's JSON twin both name .*x\.json"):
            npusim.instantiate(str(tmp_path))
    finally:
        npusim.simulation.set_output_files(stats="stats.txt", config_json="config.json")
