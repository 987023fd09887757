"""The parts of gem5's m5 module that config scripts use beyond objects and
simulate(): m5.ticks, m5.util (addToPath, fatal, convert), m5.options."""

import pytest

import npusim
from npusim.units import UnitError

from helpers import npusim_cli


@pytest.mark.parametrize("seconds, ticks", [(0, 0), (1e-9, 1000), (1e-6, 10**6), (0.5, 5 * 10**11),
                                            (1.5e-12, 2), (1.49e-12, 1), (3, 3 * 10**12)])
def test_from_seconds_rounds_to_the_nearest_picosecond(seconds, ticks):
    assert npusim.ticks.fromSeconds(seconds) == ticks
    assert npusim.ticks.frequency() == 10**12


@pytest.mark.parametrize("bad, exc", [("1ms", TypeError), (True, TypeError), (-1e-9, ValueError),
                                      (float("nan"), ValueError), (float("inf"), ValueError)])
def test_from_seconds_refuses_what_is_not_a_time(bad, exc):
    with pytest.raises(exc, match="fromSeconds"):
        npusim.ticks.fromSeconds(bad)


def test_global_frequency_is_fixed_at_one_terahertz():
    for same in ("1THz", "1ps", 10**12):
        npusim.ticks.setGlobalFrequency(same)
    for other in ("1GHz", "1ns", "fast"):
        with pytest.raises(ValueError, match="setGlobalFrequency"):
            npusim.ticks.setGlobalFrequency(other)


def test_convert_returns_gem5s_units():
    c = npusim.util.convert
    assert c.toMemorySize("32kB") == 32768 and c.toMemorySize("1GiB") == 2**30
    assert c.toLatency("30ns") == pytest.approx(30e-9)
    assert c.toFrequency("2GHz") == 2e9
    assert c.toMemoryBandwidth("12.8GB/s") == pytest.approx(12.8e9)
    with pytest.raises(UnitError):
        c.toLatency(30)  # a latency without a unit is ambiguous
    with pytest.raises(UnitError):
        c.toMemorySize("32 apples")


def test_a_gem5_style_script_finds_its_helpers_output_directory_and_fails_with_fatal(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "mycaches.py").write_text("L1_SIZE = '32kB'\n")
    script = tmp_path / "run.py"
    script.write_text(
        "import os, sys\n"
        "import npusim as m5\n"
        "from npusim.util import addToPath, fatal\n"
        "addToPath('common')\n"
        "import mycaches\n"
        "print('size', m5.util.convert.toMemorySize(mycaches.L1_SIZE))\n"
        "with open(os.path.join(m5.options.outdir, 'notes.txt'), 'w') as f:\n"
        "    f.write('written beside stats.txt')\n"
        "if sys.argv[1:] == ['bad']:\n"
        "    fatal('no workload named %s', 'bad')\n")
    out = npusim_cli("-d", str(tmp_path / "out"), str(script), cwd=str(tmp_path.parent))
    assert out.returncode == 0, out.stderr
    assert "size 32768" in out.stdout
    assert (tmp_path / "out" / "notes.txt").read_text() == "written beside stats.txt"
    out = npusim_cli("-d", str(tmp_path / "out"), str(script), "bad")
    assert out.returncode == 1
    assert "fatal: no workload named bad" in out.stderr and "Traceback" not in out.stderr


def test_options_name_what_is_missing():
    assert isinstance(npusim.options.outdir, str)
    with pytest.raises(AttributeError, match="outdir"):
        npusim.options.no_such_option
