"""gem5 config-script idioms beyond learning_gem5's simple.py, each in a
minimal script of our own written the way gem5's configs use it (the source
is named on each test), run with a TrafficGen in place of the CPU: what
npusim supports works as in gem5, and what it does not have says so."""

import warnings

import pytest

import npusim
import npusim as m5
from npusim.objects import (AddrRange, Cache, DDR3_1600_8x8, IOXBar, MemCtrl, Root, SrcClockDomain, System,
                            TrafficGen, VoltageDomain)

from helpers import npusim_cli

# learning_gem5/part1/caches.py: cache subclasses with class-body defaults,
# an __init__ taking the parsed options, and connect helpers.
CACHES = """
from npusim.objects import Cache

class L1Cache(Cache):
    assoc = 2
    tag_latency = 2
    data_latency = 2
    response_latency = 2
    mshrs = 4
    tgts_per_mshr = 20
    def __init__(self, options=None):
        super(L1Cache, self).__init__()
    def connectBus(self, bus):
        self.mem_side = bus.cpu_side_ports

class L1DCache(L1Cache):
    size = '64kB'
    def __init__(self, opts=None):
        super(L1DCache, self).__init__(opts)
        if opts and opts.l1d_size:
            self.size = opts.l1d_size
    def connectCPU(self, cpu):
        self.cpu_side = cpu.port

class L2Cache(Cache):
    size = '256kB'
    assoc = 8
    tag_latency = 20
    data_latency = 20
    response_latency = 20
    mshrs = 20
    tgts_per_mshr = 12
    def __init__(self, opts=None):
        super(L2Cache, self).__init__()
        if opts and opts.l2_size:
            self.size = opts.l2_size
    def connectCPUSideBus(self, bus):
        self.cpu_side = bus.mem_side_ports
    def connectMemSideBus(self, bus):
        self.mem_side = bus.cpu_side_ports
"""

TWO_LEVEL = """
import argparse
import npusim as m5
from npusim.objects import *
m5.util.addToPath('.')
from caches import *
parser = argparse.ArgumentParser()
parser.add_argument('--l1d_size')
parser.add_argument('--l2_size')
args = parser.parse_args()
system = System()
system.clk_domain = SrcClockDomain()
system.clk_domain.clock = '1GHz'
system.clk_domain.voltage_domain = VoltageDomain()
system.mem_mode = 'timing'
system.mem_ranges = [AddrRange('512MB')]
system.cpu = TrafficGen(pattern='random', num_requests=200, end_addr='1MiB')
system.cpu.dcache = L1DCache(args)
system.cpu.dcache.connectCPU(system.cpu)
system.l2bus = L2XBar()
system.cpu.dcache.connectBus(system.l2bus)
system.l2cache = L2Cache(args)
system.l2cache.connectCPUSideBus(system.l2bus)
system.membus = SystemXBar()
system.l2cache.connectMemSideBus(system.membus)
system.system_port = system.membus.cpu_side_ports
system.mem_ctrl = MemCtrl()
system.mem_ctrl.dram = DDR3_1600_8x8()
system.mem_ctrl.dram.range = system.mem_ranges[0]
system.mem_ctrl.port = system.membus.mem_side_ports
root = Root(full_system=False, system=system)
m5.instantiate()
exit_event = m5.simulate()
print("Exiting @ tick %i because %s" % (m5.curTick(), exit_event.getCause()))
"""


def test_learning_gem5_two_level_runs_with_its_cache_classes_and_options(tmp_path):
    (tmp_path / "caches.py").write_text(CACHES)
    (tmp_path / "two_level.py").write_text(TWO_LEVEL)
    out = npusim_cli("-d", str(tmp_path / "m5out"), str(tmp_path / "two_level.py"), "--l2_size", "128kB")
    assert out.returncode == 0, out.stderr
    assert "because system.cpu finished" in out.stdout
    ini = (tmp_path / "m5out" / "config.ini").read_text()
    assert "[system.cpu.dcache]" in ini and "size=65536" in ini and "size=131072" in ini


def _dram_system():
    # configs/dram/sweep.py: the bus given to System(), a voltage in the
    # clock domain, mem_ctrls as a list, the DRAM reached through .dram.
    system = System(membus=IOXBar(width=32))
    system.clk_domain = SrcClockDomain(clock="2.0GHz", voltage_domain=VoltageDomain(voltage="1V"))
    mem_range = AddrRange("256MB")
    system.mem_ranges = [mem_range]
    system.mem_ctrls = [MemCtrl(dram=DDR3_1600_8x8(range=mem_range))]
    return system, mem_range


def test_dram_sweep_reads_parameters_through_value_in_gem5s_units():
    system, mem_range = _dram_system()
    assert isinstance(system.mem_ctrls[0], m5.objects.MemCtrl)
    dram = system.mem_ctrls[0].dram
    dram.ranks_per_channel = 1
    assert dram.banks_per_rank.value == 8
    burst_size = int(dram.devices_per_rank.value * dram.device_bus_width.value * dram.burst_length.value / 8)
    assert burst_size == 64
    assert dram.devices_per_rank.value * dram.device_rowbuffer_size.value == 8192
    # a latency's .value is in seconds, as in gem5; sweep.py turns it into ticks
    itt = getattr(dram.tBURST_MIN, "value", dram.tBURST.value) * 1000000000000
    assert itt == pytest.approx(5000)
    assert dram.tBURST == 5000 and dram.tCK == 1250   # defaults read converted (ticks), as set values do
    dram.tCK = "1ns"
    assert dram.tCK == 1000 and dram.tCK.value == pytest.approx(1e-9)   # set values: ticks
    assert system.clk_domain.clock.value == pytest.approx(0.5e-9)
    assert dram.page_policy.value == "open_adaptive" and dram.ranks_per_channel.value == 1
    assert mem_range.end == 256 * 2**20 and mem_range.size() == mem_range.end


def test_simulate_loop_with_dump_and_reset_and_setmaxtick():
    # The stats loop of gem5 scripts (e.g. configs/dram/low_power_sweep.py),
    # bounded by m5.setMaxTick (gem5's simulate.py).
    system, _ = _dram_system()
    system.tgen = TrafficGen(num_requests=10**6)
    system.tgen.port = system.membus.cpu_side_ports
    system.mem_ctrls[0].port = system.membus.mem_side_ports
    system.system_port = system.membus.cpu_side_ports
    Root(full_system=False, system=system)
    m5.instantiate()
    period = m5.ticks.fromSeconds(1e-6)
    m5.setMaxTick(5 * period // 2)
    assert m5.getMaxTick() == 5 * period // 2 and m5.getTicksUntilMax() == 5 * period // 2
    ticks = []
    for _ in range(4):
        assert m5.simulate(period).getCause() == "simulate() limit reached"
        ticks.append(m5.curTick())
        m5.stats.dump()
        m5.stats.reset()
    # the max tick ends one run early, once (gem5's limit event fires once)
    assert ticks == [period, 2 * period, 5 * period // 2, 7 * period // 2]
    assert m5.getTicksUntilMax() == 0
    with pytest.warns(RuntimeWarning, match="past"):
        m5.setMaxTick(period)


def test_max_tick_is_forgotten_by_reset():
    m5.setMaxTick(1000)
    npusim.reset()
    assert m5.getMaxTick() == m5.MaxTick


@pytest.mark.parametrize("name, says", [
    ("TimingSimpleCPU", "no CPU models.*TrafficGen"), ("X86O3CPU", "no CPU models"),
    ("RiscvMinorCPU", "no CPU models"), ("Process", "runs no programs"),
    ("PyTrafficGen", "createLinear"), ("MemTest", "verify_data"), ("CommMonitor", "no CommMonitor"),
    ("CoherentXBar", "SystemXBar"), ("DRAMCtrl", "MemCtrl"), ("BaseSetAssoc", "no tags object")])
def test_gem5_types_npusim_lacks_refuse_by_name(name, says):
    cls = getattr(m5.objects, name)
    with pytest.raises(npusim.ParamError, match=f"^{name}: .*{says}"):
        cls()


def test_an_unknown_type_names_the_nearest_ones():
    with pytest.raises(AttributeError, match="'DDR3_2133_8x8' .*nearest: DDR3_1600_8x8"):
        m5.objects.DDR3_2133_8x8
    with pytest.raises(ImportError):
        exec("from npusim.objects import NoSuchThing")


def test_a_cpu_script_stops_with_the_message_not_a_traceback(tmp_path):
    script = tmp_path / "se.py"
    script.write_text("import npusim as m5\nfrom npusim.objects import *\n"
                      "system = System()\nsystem.cpu = TimingSimpleCPU()\n")
    out = npusim_cli(str(script))
    assert out.returncode == 1
    assert "TimingSimpleCPU: npusim has no CPU models" in out.stderr and "Traceback" not in out.stderr


def test_m5_functions_npusim_lacks_say_why():
    m5.disableAllListeners()   # nothing to disable: a no-op, as gem5 scripts call it first thing
    with pytest.raises(AttributeError, match="no checkpoints"):
        m5.checkpoint("cpt")
    with pytest.raises(AttributeError, match="no CPU models"):
        m5.switchCpus
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        m5.nope


def test_more_of_gem5s_convert():
    c = m5.util.convert
    assert c.anyToLatency("1GHz") == pytest.approx(1e-9) and c.anyToLatency("2ns") == pytest.approx(2e-9)
    assert c.anyToFrequency("1ns") == 1e9 and c.anyToFrequency("2GHz") == 2e9
    assert c.toVoltage("900mV") == pytest.approx(0.9)
    assert c.toBool("Yes") is True and c.toBool("f") is False
    assert c.toInteger("0x2a") == 42 and c.toInteger("3.0") == 3
    for bad, fn in (("maybe", c.toBool), ("2.5", c.toInteger), ("9 apples", c.toVoltage)):
        with pytest.raises(ValueError):
            fn(bad)


def test_value_wrapping_changes_nothing_that_reaches_cxx():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        system, _ = _dram_system()
        cache = Cache(size="16kB")
        assert cache.size == 16384 and type(cache.size + 0) is int and cache.size.value == 16384
        assert cache.prefetch_on_access is None and cache.is_read_only is False


def test_system_cache_line_size_applies_to_every_cache():
    # gem5's caches take their line size from the system; npusim's ignored it
    import json
    from npusim.objects import SimpleMemory
    system = System(clk_domain=SrcClockDomain(clock="1GHz"), cache_line_size=128)
    system.cpu = TrafficGen(num_requests=16, block_size=128, pattern="linear", end_addr=4096)
    system.l1 = Cache(size="4KiB", assoc=4)
    system.mem = SimpleMemory(range="0:1MiB")
    system.cpu.port, system.l1.mem_side = system.l1.cpu_side, system.mem.port
    Root(full_system=False, system=system)
    m5.instantiate()
    cfg = json.load(open(f"{m5.options.outdir}/config.json"))
    assert cfg["system"]["l1"]["cache_line_size"] == 128
    assert m5.simulate().getCause() == "system.cpu finished"


def test_a_default_that_is_not_a_number_reads_back_with_its_value():
    # reading SimpleMemory().range raised a UnitError: .value was made by
    # calling the converted value's type on itself
    from npusim.objects import SimpleMemory
    memory = SimpleMemory()
    assert memory.range == AddrRange(0, 128 * 2**20)   # read converted, as a range that was set
