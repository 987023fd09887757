"""Config-layer and API misuse (the Python side of tests/test_bad_input.py):
each case was silently accepted, crashed or gave an unnamed error before the
check it covers existed."""

import os
import subprocess
import sys

import pytest

import npusim
from npusim import _core
from npusim.objects import NSB, AddrRange, Cache, Root, Self, SimpleMemory, SystemXBar, TrafficGen
from npusim.units import UnitError

from test_bad_input import ROOT, raises_naming, system_with


# --- None given to a parameter that has no "unset" -------------------------

@pytest.mark.parametrize("make,param,fragment", [
    (SystemXBar, "point_of_coherency", "the default is True"),   # C++ fell back to false
    (NSB, "demand_mshr_reserve", "the default is 8"),            # C++ fell back to 1
    (Cache, "size", "the default is '32KiB'"),
])
def test_none_is_not_silently_replaced_by_a_cxx_fallback(make, param, fragment):
    system = system_with()
    system.x = make()
    with raises_naming(npusim.ParamError, f"system.x.{param}", "None is not a value", fragment):
        setattr(system.x, param, None)


def test_none_is_refused_at_instantiate_when_set_before_the_object_had_a_path():
    system_with(cache=Cache(assoc=None))
    with raises_naming(npusim.ParamError, "system.l2.assoc", "None is not a value"):
        npusim.instantiate()


def test_none_stays_a_value_where_it_means_something():
    system = system_with(cache=Cache())
    system.l2.prefetcher = None            # a SimObject parameter: gem5's NULL
    system.l2.prefetch_on_access = None    # declared default None: "the prefetcher's own"
    npusim.instantiate()


def test_addr_range_with_both_end_and_size_is_refused():
    # the size silently won: AddrRange(0, 10, size=20) was [0, 20)
    with pytest.raises(UnitError, match="an end or a size, not both"):
        AddrRange(0, 10, size=20)


# --- the object tree and its lifecycle -----------------------------------------

def test_a_second_root_does_not_silently_replace_the_first():
    system_with()
    with raises_naming(npusim.ParamError, "root", "a Root already exists"):
        system_with()


def test_a_new_root_after_a_finished_run_may_take_the_same_system():
    system = system_with()
    npusim.instantiate()
    npusim.simulate()
    Root(full_system=False, system=system)   # was: not adopted, an empty tree that ran nothing
    npusim.instantiate()
    assert "system.cpu" in [o.path() for o in npusim.simulation.objects()]


@pytest.mark.parametrize("change", [
    lambda s: setattr(s.cpu, "num_requests", 5000),             # was ignored: the run used 20
    lambda s: setattr(s, "cpu2", TrafficGen()),
    lambda s: setattr(s.mem, "port", s.cpu.port),
])
def test_changes_after_instantiate_are_refused(change):
    system = system_with()
    npusim.instantiate()
    with raises_naming(npusim.ParamError, "system.", "cannot be changed after instantiate()"):
        change(system)


def test_a_failed_instantiate_leaves_the_tree_editable():
    system = system_with(cache=Cache(assoc=3))
    with raises_naming(npusim.SimulationError, "system.l2.size", "not a multiple"):
        npusim.instantiate()
    system.l2.assoc = 8
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.cpu finished"


@pytest.mark.parametrize("where", ["system.mem2", "system.sub.mem"])
def test_one_object_cannot_take_two_places_in_the_tree(where):
    # the second assignment was dropped without a word; system.mem2 then did not exist
    system = system_with()
    system.sub = SimpleMemory(range="64MiB:128MiB")
    owner, name = where.rsplit(".", 1)
    target = system if owner == "system" else system.sub
    with raises_naming(npusim.ParamError, where, "already system.mem", "one place in the tree"):
        setattr(target, name, system.mem)


def test_replacing_an_object_whose_ports_are_connected_is_refused():
    # was "system.l2.cpu_side: port is not connected" at instantiate, though the script connected it
    system = system_with(cache=Cache())
    with raises_naming(npusim.ParamError, "system.l2", "port system.l2.cpu_side is already connected"):
        system.l2 = Cache(size="64KiB")
    system.l3 = Cache()
    system.l3 = Cache(size="64KiB")        # not connected yet: may be replaced
    assert system.l3.size == 64 * 1024


@pytest.mark.parametrize("values,fragment", [
    (dict(size=Self.nonexistent), "has no parameter 'nonexistent'"),                   # was a bare KeyError
    (dict(assoc=Self.assoc), "cycle (Self.assoc)"),                                    # was RecursionError
    (dict(assoc=Self.tag_latency, tag_latency=Self.assoc), "cycle (Self.tag_latency -> Self.assoc)"),
])
def test_bad_self_references_are_named(values, fragment):
    system = system_with(cache=Cache())
    for k, v in values.items():
        setattr(system.l2, k, v)
    with raises_naming(npusim.ParamError, "system.l2.", fragment):
        npusim.instantiate()


# --- functional access -----------------------------------------------------

@pytest.mark.parametrize("call,exc,fragment", [
    (lambda s: npusim.functional_read(s.cpu, "port", -1, 8), ValueError, "addr must be an integer"),
    (lambda s: npusim.functional_read(s.cpu, "port", 0, -8), ValueError, "size must be an integer"),
    (lambda s: npusim.functional_write(s.cpu, "port", 0, "abc"), TypeError, "data must be bytes"),
    (lambda s: npusim.functional_write(s.cpu, "port", 0, 5), TypeError, "data must be bytes"),  # bytes(5): 5 zeros
])
def test_functional_access_arguments_are_checked(call, exc, fragment):
    system = system_with()
    npusim.instantiate()
    with raises_naming(exc, "system.cpu.port", fragment):
        call(system)


def test_functional_read_past_the_memory_fails_at_its_end_without_allocating_the_size():
    # 2**50 bytes from 0 run past the 64 MiB memory: the read stops at the
    # first unmapped chunk (before, the whole size was allocated first) and
    # leaves no packet behind.
    system = system_with()
    npusim.instantiate()
    with raises_naming(npusim.SimulationError, "system.mem", "[0x4000000:0x4001000]", "outside this memory's range"):
        npusim.functional_read(system.cpu, "port", 0, 2**50)
    assert _core.packets_live() == 0


# --- the command line --------------------------------------------------------

@pytest.mark.parametrize("option,value", [("--stats-file", "no/such/dir/stats.txt"), ("--dump-config", "."),
                                          ("--json-config", "/proc/config.json")])
def test_cli_output_file_that_cannot_be_written(tmp_path, option, value):
    # was a FileNotFoundError traceback at instantiate(), after the script's own work
    script = tmp_path / "config.py"
    script.write_text("raise SystemExit('the script ran')\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "npusim.cli", "-d", str(tmp_path / "out"), option, value, str(script)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2, r.stderr
    assert f"{option} {value!r}: cannot write" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "the script ran" not in r.stderr


@pytest.mark.parametrize("args,fragment", [
    (["--json-config", "stats.json"], "--json-config and --stats-file's JSON twin both name"),
    (["--dump-config", "run.txt", "--stats-file", "run.txt"], "--dump-config and --stats-file both name"),
    (["-r", "--stdout-file", "config.json"], "--stdout-file and --json-config both name"),
])
def test_cli_outputs_sharing_one_file_are_refused(tmp_path, args, fragment):
    # each silently overwrote the other
    script = tmp_path / "config.py"
    script.write_text("raise SystemExit('the script ran')\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "npusim.cli", "-d", str(tmp_path / "out"), *args, str(script)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and fragment in r.stderr and "the script ran" not in r.stderr, r.stderr


# --- the reference system's builder ------------------------------------------

@pytest.mark.parametrize("kwargs,fragment", [
    (dict(prefetcher="STRIDE"), "not a prefetcher"),        # was a bare RuntimeError
    (dict(prefetcher="Cache"), "not a prefetcher"),         # a SimObject, but not a prefetcher
    (dict(prefetcher="stride", level="L1D"), "level='L1D'"),  # silently went to the L2
])
def test_reference_system_builder_names_a_bad_choice(kwargs, fragment):
    sys.path.insert(0, os.path.join(ROOT, "configs", "examples"))
    from reference_system import build_hierarchy, make_system, DEFAULT_HIERARCHY
    system = make_system(DEFAULT_HIERARCHY)
    system.cpu = TrafficGen(num_requests=1)
    with pytest.raises(ValueError, match=fragment):
        build_hierarchy(system, system.cpu, **kwargs)
