"""Malformed input files (traces, memory images, reference data, stats) and
malformed NPU programs: each must give an error naming the file and what is
wrong, never a bare exception from deep inside a library or a silently wrong
result."""

import gzip

import numpy as np
import pytest

from npusim.analysis.reference import ReferenceDataError, load_reference
from npusim.analysis.stats_reader import StatsFormatError, read_stats
from npusim.isa import NPUConfig, ProgramError, decode
from npusim.objects.requestors import replay_records
from npusim.traces import (MemoryImageError, TraceError, TraceHeader, load_memory_image, load_trace,
                           make_packets, read_csv_trace, write_gem5_trace)

TINY = make_packets(tick=[1000, 1100, 1200], cmd=1, addr=[0x40, 0x80, 0xc0], size=8)


def test_csv_max_packets_does_not_count_blank_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("tick,cmd,addr,size,pc\n\n\n1,1,0x40,8,0\n\n2,1,0x80,8,0\n3,1,0xc0,8,0\n")
    t = read_csv_trace(p, max_packets=2)
    assert t.packets["tick"].tolist() == [1, 2]


def test_gem5_trace_with_zero_tick_freq_is_refused(tmp_path):
    p = tmp_path / "t.pb"
    write_gem5_trace(p, TINY, TraceHeader(obj_id="x", tick_freq=0))
    with pytest.raises(TraceError, match=r"t\.pb: invalid PacketHeader: tick_freq is 0"):
        load_trace(p)


def test_trace_recorded_at_another_tick_frequency_is_not_replayed_as_picoseconds(tmp_path):
    """gem5's own trace players refuse a trace whose tick_freq is not the
    simulator's; reading nanosecond ticks as picoseconds would be 1000x off."""
    p = tmp_path / "ns.pb.gz"
    write_gem5_trace(p, TINY, TraceHeader(obj_id="x", tick_freq=10**9))
    for trace in (str(p), load_trace(p)):
        with pytest.raises(ValueError, match=r"ns\.pb\.gz: recorded at 1000000000 ticks per "
                                             r"second, but npusim's tick is 1 ps"):
            replay_records(trace)
    write_gem5_trace(p, TINY, TraceHeader(obj_id="x", tick_freq=10**12))
    assert replay_records(str(p))["tick"].tolist() == [1000, 1100, 1200]


def _kernel_dir(tmp_path, regions, pages, data):
    """A kernel folder with regions.txt, pages.csv and <name>.bin files."""
    (tmp_path / "regions.txt").write_bytes(regions.encode() if isinstance(regions, str) else regions)
    (tmp_path / "pages.csv").write_bytes(pages.encode() if isinstance(pages, str) else pages)
    for name, nbytes in data.items():
        (tmp_path / f"{name}.bin").write_bytes(bytes(nbytes))
    return tmp_path


PAGES_HEADER = "region,page,virtual,physical\n"


def test_well_formed_kernel_folder_loads(tmp_path):
    kdir = _kernel_dir(tmp_path, "a 0x1000 4 16\nb 0x1040 4 16\n",
                       PAGES_HEADER + "a,0,0x1000,0x9000\nb,0,0x1000,0x9000\n", {"a": 64, "b": 64})
    image = load_memory_image(kdir)
    assert image.translate(0x1040) == 0x9040 and image.nbytes == 128


@pytest.mark.parametrize("regions, pages, data, message", [
    # one virtual page, two physical pages: which one does the trace read?
    ("a 0x1000 4 16\nb 0x1040 4 16\n", "a,0,0x1000,0x9000\nb,0,0x1000,0xa000\n", {"a": 64, "b": 64},
     r"pages\.csv: virtual page 0x1000 maps to physical 0x9000 for region 'a' but to 0xa000 "
     r"for region 'b'"),
    ("a 0x1000 4 16\n", "a,0,0x1000,-0x9000\n", {"a": 64},
     r"pages\.csv: line 2: region 'a': .* must be non-negative .* got 0,0x1000,-0x9000"),
    ("a 0x1000 4 16\n", "a,0,0x1000,0x10000000000000000\n", {"a": 64},
     r"pages\.csv: line 2: region 'a': .*addresses below 2\*\*64"),
    ("a 0x1000 4 16\n", "a,-1,0x0,0x8000\na,0,0x1000,0x9000\n", {"a": 64},
     r"pages\.csv: line 2: region 'a': page index"),
    # a page the region does not have: regions.txt's count is probably wrong
    ("a 0x1000 4 16\n", "a,0,0x1000,0x9000\na,1,0x2000,0xa000\n", {"a": 64},
     r"pages\.csv: region 'a': page 1 is beyond the region's 1 pages"),
    ("a 0xfffffffffffff000 4 2048\n", "a,0,0xfffffffffffff000,0x9000\n", {"a": 8192},
     r"regions\.txt: line 1: region 'a': .* runs past the 64-bit address space"),
])
def test_inconsistent_memory_image_is_refused(tmp_path, regions, pages, data, message):
    kdir = _kernel_dir(tmp_path, regions, PAGES_HEADER + pages, data)
    with pytest.raises(MemoryImageError, match=message):
        load_memory_image(kdir)


@pytest.mark.parametrize("bad_file", ["regions.txt", "pages.csv"])
def test_binary_memory_image_description_names_the_file(tmp_path, bad_file):
    kdir = _kernel_dir(tmp_path, "a 0x1000 4 16\n", PAGES_HEADER + "a,0,0x1000,0x9000\n", {"a": 64})
    (kdir / bad_file).write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(MemoryImageError, match=rf"{bad_file}: byte \d+: not UTF-8 text"):
        load_memory_image(kdir)


@pytest.mark.parametrize("code", [
    np.array([[1.5, 0, 0, 0, 0, 0, 0, 0]]),                        # read as halt
    np.array([[0x10, 1, 1.7, 0, 0, 0, 0, 0]]),                      # read as li r1, 1
    np.array([["16", "1", "5", "0", "0", "0", "0", "0"]]),
])
def test_encoded_program_that_is_not_integers_is_not_truncated(code):
    with pytest.raises(ProgramError, match=r"encoded program must be an integer array, got dtype"):
        decode(code)


@pytest.mark.parametrize("config, message", [
    ({"dim": 16.7}, r"dim=16\.7 is not an integer"),
    ({"spad_size": "256KiB"}, r"spad_size='256KiB' is not an integer"),
    ({"mem_bytes": 0}, r"mem_bytes=0 must be >= 1"),
])
def test_npu_config_that_would_be_truncated_or_empty_is_refused(config, message):
    with pytest.raises(ValueError, match=message):
        NPUConfig.coerce(config)
    assert NPUConfig.coerce({"dim": 8.0, "spad_size": np.int64(4096)}).dim == 8


@pytest.mark.parametrize("file, content, attribute, message", [
    ("roi.txt", b"begin_tick 200\nend_tick 100\n", "roi",
     r"roi\.txt: region of interest from tick 200 to tick 100: .*begin_tick <= end_tick"),
    ("roi.txt", b"\xff\xfe begin_tick", "roi", r"roi\.txt: byte 0: not UTF-8 text"),
    ("config.json", b'{"system": {"cache_line_size": 64,', "config",
     r"config\.json: line 1: invalid JSON: "),
    ("config.json", b"[]", "hierarchy", r"config\.json: expected gem5's config\.json object"),
    ("summary.csv", b"", "summary", r"summary\.csv: not a readable CSV"),
])
def test_broken_reference_files_name_the_file(tmp_path, file, content, attribute, message):
    (tmp_path / "roi.txt").write_text("begin_tick 100\nend_tick 200\n")
    (tmp_path / file).write_bytes(content)
    with pytest.raises(ReferenceDataError, match=message):
        getattr(load_reference(tmp_path), attribute)


BEGIN = "---------- Begin Simulation Statistics ----------\n"
END = "---------- End Simulation Statistics   ----------\n"


@pytest.mark.parametrize("value", ["1_000", "\u0661\u0662", "1_0.5"])
def test_stats_value_python_reads_but_gem5_never_writes_is_an_error(tmp_path, value):
    p = tmp_path / "stats.txt"
    p.write_text(BEGIN + "a   1   # fine\n" + f"system.x   {value}   # d\n" + END, encoding="utf-8")
    with pytest.raises(StatsFormatError, match=rf"stats\.txt: line 3: value '{value}' of "
                                               r"'system\.x' is not a number"):
        read_stats(p)


def test_gzipped_stats_file_without_gz_suffix_is_read(tmp_path):
    p = tmp_path / "stats.txt"
    p.write_bytes(gzip.compress((BEGIN + "simTicks  1234  # t\n" + END).encode()))
    assert read_stats(p)["simTicks"].tolist() == [1234]
