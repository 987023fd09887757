"""read_stats on every line form gem5 v24's text output (base/stats/text.cc)
can write, with hand-made fixtures whose expected values are worked out by
hand: scalars, vectors (with pdf/cdf columns, ``total``, the ``oneline``
flag), Vector2d, distributions/histograms (also ``oneline``), VectorDist,
SparseHist, formulas, and the ``spaces=False`` / ``desc=False`` variants;
odd values and names; file-level forms (several dumps, CRLF, gzip); and
malformed input, which must fail with the file and line named."""

import gzip
import math

import numpy as np
import pytest

from npusim.analysis.stats_reader import (BEGIN_MARKER, END_MARKER, StatsFormatError,
                                          read_stats, read_stats_descriptions)


def _file(tmp_path, *bodies, name="stats.txt"):
    """A stats file with one dump per body (gem5 writes a blank line before
    each marker)."""
    text = "".join(f"\n{BEGIN_MARKER}\n{b.strip(chr(10))}\n\n{END_MARKER}\n" for b in bodies)
    p = tmp_path / name
    p.write_text(text)
    return p


def _row(tmp_path, body, **kw):
    df = read_stats(_file(tmp_path, body), **kw)
    assert len(df) == 1
    return df


def _pad(name, value, pdf="", cdf=""):
    """A line as gem5 writes it with spaces=True (before the description)."""
    return f"{name:<40} {value:>12} {pdf:>10} {cdf:>10}"


# --------------------------------------------------------------------------
# scalars in the four spaces/desc variants
# --------------------------------------------------------------------------


SCALARS_SPACED = "\n".join([
    _pad("simTicks", "1000") + " # Number of ticks simulated (Tick)",
    _pad("simFreq", "1000000000000") + " # The number of ticks per simulated second ((Tick/Second))",
    _pad("system.cpu.ipc", "0.512345") + " # IPC (Ratio)",
])


@pytest.mark.parametrize("body", [
    SCALARS_SPACED,
    # spaces=False: no padding, no empty pct columns
    "simTicks 1000 # Number of ticks simulated (Tick)\n"
    "simFreq 1000000000000 # The number of ticks per simulated second ((Tick/Second))\n"
    "system.cpu.ipc 0.512345 # IPC (Ratio)",
    # desc=False (also no units), spaces=True
    "\n".join([_pad("simTicks", "1000"), _pad("simFreq", "1000000000000"),
               _pad("system.cpu.ipc", "0.512345")]),
    # desc=False, spaces=False
    "simTicks 1000\nsimFreq 1000000000000\nsystem.cpu.ipc 0.512345",
])
def test_scalars_all_variants(tmp_path, body):
    df = _row(tmp_path, body)
    assert list(df.columns) == ["simTicks", "simFreq", "system.cpu.ipc"]
    assert df["simTicks"][0] == 1000 and df["simTicks"].dtype == np.int64
    assert df["simFreq"][0] == 10**12
    assert df["system.cpu.ipc"][0] == 0.512345 and df["system.cpu.ipc"].dtype == np.float64


def test_stat_without_description_keeps_its_unit(tmp_path):
    """gem5 prints the unit even when the description is empty: no '#'."""
    body = "\n".join([
        _pad("system.a", "5") + " (Count)",
        "system.b 7 (Count)",
        "system.r 0.250000 ((Count/Second))",
        _pad("system.v::x", "1", "25.00%", "25.00%") + " (Count)",
        "system.v::y 3 75.00% 100.00% (Count)",
        "system.w::x 0 0.00% (Count)",
    ])
    df = _row(tmp_path, body, with_pdf=True)
    assert df.iloc[0].to_dict() == {
        "system.a": 5, "system.b": 7, "system.r": 0.25,
        "system.v::x::pdf": 0.25, "system.v::x::cdf": 0.25, "system.v::x": 1,
        "system.v::y::pdf": 0.75, "system.v::y::cdf": 1.0, "system.v::y": 3,
        "system.w::x::pdf": 0.0, "system.w::x": 0}
    d = read_stats_descriptions(_file(tmp_path, body)).set_index("name")
    assert d.loc["system.a", "description"] == "" and d.loc["system.a", "unit"] == "Count"
    assert d.loc["system.r", "unit"] == "(Count/Second)"
    assert d.loc["system.v::y", "unit"] == "Count"


# --------------------------------------------------------------------------
# vectors, Vector2d, formulas
# --------------------------------------------------------------------------


def test_vector_with_pdf_cdf_and_total(tmp_path):
    body = "\n".join([
        _pad("system.cache.hits::cpu.inst", "1", "10.00%", "10.00%") + " # hits (Count)",
        _pad("system.cache.hits::cpu.data", "9", "90.00%", "100.00%") + " # hits (Count)",
        _pad("system.cache.hits::total", "10") + " # hits (Count)",
        "system.q::0 3 # queue (Count)",   # spaces=False vector without pdf flag
        "system.q::1 -2 # queue (Count)",
    ])
    df = _row(tmp_path, body)
    assert df.iloc[0].to_dict() == {"system.cache.hits::cpu.inst": 1,
                                    "system.cache.hits::cpu.data": 9,
                                    "system.cache.hits::total": 10,
                                    "system.q::0": 3, "system.q::1": -2}
    df = _row(tmp_path, body, with_pdf=True)
    assert df["system.cache.hits::cpu.data::cdf"][0] == 1.0
    assert df["system.cache.hits::cpu.inst::pdf"][0] == pytest.approx(0.1)
    assert "system.cache.hits::total::pdf" not in df


def test_vector_pdf_without_cdf(tmp_path):
    """After an entry whose pdf is nan (inf/inf) the running cdf is nan, so
    gem5 prints the pdf alone."""
    body = ("system.v::a inf # v (Count)\n"
            "system.v::b 1 0.00% # v (Count)\n"
            + _pad("system.v::c", "2", "0.00%") + " # v (Count)")
    df = _row(tmp_path, body, with_pdf=True)
    assert df["system.v::a"][0] == math.inf
    assert df["system.v::b"][0] == 1 and df["system.v::c"][0] == 2
    assert df["system.v::b::pdf"][0] == 0.0 and "system.v::b::cdf" not in df


def test_vector2d(tmp_path):
    """name_x::y for each x, name_x::total with the total flag, name::total."""
    body = "\n".join([
        "system.mem.bw_rd::cpu 4 # bw (Byte)",
        "system.mem.bw_rd::dma 6 # bw (Byte)",
        "system.mem.bw_rd::total 10 # bw (Byte)",
        "system.mem.bw_wr::cpu 1 # bw (Byte)",
        "system.mem.bw_wr::dma 0 # bw (Byte)",
        "system.mem.bw_wr::total 1 # bw (Byte)",
        "system.mem.bw::total 11 # bw (Byte)",
        "system.m_0::0 2 # no subnames (Count)",
        "system.m_1::0 5 # no subnames (Count)",
    ])
    df = _row(tmp_path, body)
    assert df.shape == (1, 9)
    assert df["system.mem.bw_rd::dma"][0] == 6
    assert df["system.mem.bw_wr::total"][0] == 1
    assert df["system.mem.bw::total"][0] == 11
    assert df["system.m_1::0"][0] == 5


def test_formulas(tmp_path):
    body = "\n".join([
        _pad("system.cpu.cpi", "1.952380") + " # CPI ((Cycle/Count))",
        _pad("system.cpu.missRate", "nan") + " # miss rate (Ratio)",
        "system.cpu.f::a inf # per thread (Ratio)",
        "system.cpu.f::b -inf # per thread (Ratio)",
        "system.cpu.f::total nan # per thread (Ratio)",
    ])
    df = _row(tmp_path, body)
    row = df.iloc[0]
    assert row["system.cpu.cpi"] == 1.95238
    assert math.isnan(row["system.cpu.missRate"])
    assert row["system.cpu.f::a"] == math.inf and row["system.cpu.f::b"] == -math.inf
    assert math.isnan(row["system.cpu.f::total"])
    assert all(df[c].dtype == np.float64 for c in df)


# --------------------------------------------------------------------------
# the oneline flag
# --------------------------------------------------------------------------


def test_vector_oneline(tmp_path):
    """With oneline a vector's entries share one line, ' |value' each, and
    their names are not printed: the columns are name::0, name::1, ..."""
    spaced = ("system.bus.occ" + " " * 26 + "".join(
        f" |{v:>12} {'':>10} {'':>10}" for v in ("3", "0", "5")) + " # occupancy (Count)")
    body = "\n".join([
        spaced,
        _pad("system.bus.occ::total", "8") + " # occupancy (Count)",
        "system.x.q |1 25.00% 25.00% |3 75.00% 100.00% # q (Count)",
        "system.x.r |0.500000 |nan |-2",
        "system.x.s |7 |8 (Count)",
    ])
    df = _row(tmp_path, body, with_pdf=True)
    assert df.iloc[0].to_dict() == pytest.approx({
        "system.bus.occ::0": 3, "system.bus.occ::1": 0, "system.bus.occ::2": 5,
        "system.bus.occ::total": 8,
        "system.x.q::0::pdf": 0.25, "system.x.q::0::cdf": 0.25, "system.x.q::0": 1,
        "system.x.q::1::pdf": 0.75, "system.x.q::1::cdf": 1.0, "system.x.q::1": 3,
        "system.x.r::0": 0.5, "system.x.r::1": math.nan, "system.x.r::2": -2,
        "system.x.s::0": 7, "system.x.s::1": 8}, nan_ok=True)
    assert df["system.bus.occ::2"].dtype == np.int64


def test_distribution_oneline_gets_the_bucket_names_of_the_plain_form(tmp_path):
    """oneline adds bucket_size/min_bucket/max_bucket lines and puts the
    buckets on one line; the columns are named as without oneline."""
    oneline = "\n".join([
        "system.l.lat::bucket_size 4 # latency (Tick)",
        "system.l.lat::min_bucket 0 # latency (Tick)",
        "system.l.lat::max_bucket 11 # latency (Tick)",
        "system.l.lat::samples 10 # latency (Tick)",
        "system.l.lat::mean 5.100000 # latency (Tick)",
        "system.l.lat::stdev 2.330000 # latency (Tick)",
        "system.l.lat::underflows 0 0.00% 0.00% # latency (Tick)",
        "system.l.lat |3 30.00% 30.00% |7 70.00% 100.00% |0 0.00% 100.00% # latency (Tick)",
        "system.l.lat::overflows 0 0.00% 100.00% # latency (Tick)",
        "system.l.lat::min_value 1 # latency (Tick)",
        "system.l.lat::max_value 7 # latency (Tick)",
        "system.l.lat::total 10 # latency (Tick)",
    ])
    plain = "\n".join([
        "system.l.lat::samples 10 # latency (Tick)",
        "system.l.lat::mean 5.100000 # latency (Tick)",
        "system.l.lat::stdev 2.330000 # latency (Tick)",
        "system.l.lat::underflows 0 0.00% 0.00% # latency (Tick)",
        "system.l.lat::0-3 3 30.00% 30.00% # latency (Tick)",
        "system.l.lat::4-7 7 70.00% 100.00% # latency (Tick)",
        "system.l.lat::8-11 0 0.00% 100.00% # latency (Tick)",
        "system.l.lat::overflows 0 0.00% 100.00% # latency (Tick)",
        "system.l.lat::min_value 1 # latency (Tick)",
        "system.l.lat::max_value 7 # latency (Tick)",
        "system.l.lat::total 10 # latency (Tick)",
    ])
    a = _row(tmp_path, oneline)
    b = _row(tmp_path, plain)
    assert list(a.columns) == ["system.l.lat::bucket_size", "system.l.lat::min_bucket",
                               "system.l.lat::max_bucket"] + list(b.columns)
    assert a[b.columns].equals(b)
    assert b["system.l.lat::4-7"][0] == 7


def test_distribution_oneline_large_and_unit_buckets(tmp_path):
    """Bucket bounds are printed like C++'s default ostream (6 significant
    digits): 33554432 -> 3.35544e+07.  With nozero a zero min_bucket line is
    left out; spaces=True puts the value apart from the '|'."""
    body = "\n".join([
        "system.m.bw::bucket_size 33554432 # bw ((Byte/Second))",
        "system.m.bw::max_bucket 134217727 # bw ((Byte/Second))",
        "system.m.bw::samples 4 # bw ((Byte/Second))",
        "system.m.bw" + " " * 29 + "".join(f" |{v:>12} {'':>10} {'':>10}" for v in "1012")
        + " # bw ((Byte/Second))",
        "system.m.h::bucket_size 1 # h (Count)",
        "system.m.h::min_bucket -1",
        "system.m.h::max_bucket 1",
        "system.m.h |2 |0 |9",
    ])
    df = _row(tmp_path, body)
    assert [c for c in df.columns if c.startswith("system.m.bw::")][3:] == [
        "system.m.bw::0-3.35544e+07", "system.m.bw::3.35544e+07-6.71089e+07",
        "system.m.bw::6.71089e+07-1.00663e+08", "system.m.bw::1.00663e+08-1.34218e+08"]
    assert df["system.m.bw::6.71089e+07-1.00663e+08"][0] == 1
    assert df["system.m.bw::1.00663e+08-1.34218e+08"][0] == 2
    assert df["system.m.h::-1"][0] == 2 and df["system.m.h::0"][0] == 0
    assert df["system.m.h::1"][0] == 9


# --------------------------------------------------------------------------
# distributions, VectorDist, SparseHist
# --------------------------------------------------------------------------


def test_histogram_and_distribution(tmp_path):
    body = "\n".join([
        _pad("system.mon.lat::samples", "4") + " # latency (Tick)",
        _pad("system.mon.lat::mean", "2.500000") + " # latency (Tick)",
        _pad("system.mon.lat::gmean", "2.213364") + " # latency (Tick)",
        _pad("system.mon.lat::stdev", "1.290994") + " # latency (Tick)",
        _pad("system.mon.lat::0-1", "1", "25.00%", "25.00%") + " # latency (Tick)",
        _pad("system.mon.lat::2-3", "3", "75.00%", "100.00%") + " # latency (Tick)",
        _pad("system.mon.lat::total", "4") + " # latency (Tick)",
        _pad("system.mon.bw::0-3.35544e+07", "2", "100.00%", "100.00%") + " # bw (Byte)",
        "system.d::underflows 1 10.00% 10.00% # d (Count)",
        "system.d::5 9 90.00% 100.00% # d (Count)",
        "system.d::overflows 0 0.00% 100.00% # d (Count)",
        "system.d::min_value -3 # d (Count)",
        "system.d::max_value 5 # d (Count)",
        "system.dev::samples 0 # deviation (Count)",
        "system.dev::mean nan # deviation (Count)",
        "system.dev::stdev nan # deviation (Count)",
    ])
    df = _row(tmp_path, body)
    assert df.shape == (1, 16)
    row = df.iloc[0]
    assert row["system.mon.lat::gmean"] == 2.213364
    assert row["system.mon.lat::2-3"] == 3
    assert row["system.mon.bw::0-3.35544e+07"] == 2
    assert row["system.d::underflows"] == 1 and row["system.d::min_value"] == -3
    assert math.isnan(row["system.dev::mean"])


def test_vector_dist(tmp_path):
    body = "\n".join([
        "system.q.lat_rd::samples 2 # per-kind latency (Tick)",
        "system.q.lat_rd::mean 3 # per-kind latency (Tick)",
        "system.q.lat_rd::0-4 2 100.00% 100.00% # per-kind latency (Tick)",
        "system.q.lat_1::samples 0 # per-kind latency (Tick)",
        "system.q.lat_1::mean nan # per-kind latency (Tick)",
    ])
    df = _row(tmp_path, body)
    assert list(df.columns) == ["system.q.lat_rd::samples", "system.q.lat_rd::mean",
                                "system.q.lat_rd::0-4", "system.q.lat_1::samples",
                                "system.q.lat_1::mean"]
    assert df["system.q.lat_rd::0-4"][0] == 2 and math.isnan(df["system.q.lat_1::mean"][0])


def test_sparse_hist(tmp_path):
    """name::samples, then one name::<key> line per key (keys printed %g)."""
    body = "\n".join([
        "system.s.h::samples 6 # sparse (Count)",
        "system.s.h::-5 1 # sparse (Count)",
        "system.s.h::1.5 2 # sparse (Count)",
        "system.s.h::1e+06 3 # sparse (Count)",
    ])
    df = _row(tmp_path, body)
    assert df.iloc[0].to_dict() == {"system.s.h::samples": 6, "system.s.h::-5": 1,
                                    "system.s.h::1.5": 2, "system.s.h::1e+06": 3}


# --------------------------------------------------------------------------
# values and names
# --------------------------------------------------------------------------


def test_value_forms(tmp_path):
    body = "\n".join([
        "a.neg -42 # x (Count)",
        "a.negf -0.500000 # x (Count)",
        "a.negzero -0 # x (Count)",
        "a.exp 1.5e+10 # x (Count)",
        "a.exp2 2E-3 # x (Count)",
        "a.nan nan # x (Count)",
        "a.inf inf # x (Count)",
        "a.minf -inf # x (Count)",
        "a.big 9007199254740993 # 2^53 + 1 (Count)",
        "a.huge 18446744073709551617 # 2^64 + 1 (Count)",
        "a.prec 6047.00 # precision 2 (Count)",
    ])
    df = _row(tmp_path, body)
    row = df.iloc[0]
    assert row["a.neg"] == -42 and df["a.neg"].dtype == np.int64
    assert row["a.negf"] == -0.5 and row["a.negzero"] == 0
    assert row["a.exp"] == 1.5e10 and df["a.exp"].dtype == np.float64
    assert row["a.exp2"] == 0.002
    assert math.isnan(row["a.nan"]) and row["a.inf"] == math.inf and row["a.minf"] == -math.inf
    assert int(df["a.big"][0]) == 2**53 + 1 and df["a.big"].dtype == np.int64
    assert int(df["a.huge"][0]) == 2**64 + 1
    assert row["a.prec"] == 6047.0 and df["a.prec"].dtype == np.float64


def test_big_integers_stay_exact_across_dumps(tmp_path):
    """A column that is not an int in every dump (missing with nozero, or a
    float elsewhere) must not round an integer beyond 2^53 to float64."""
    p = _file(tmp_path,
              "a.x 9007199254740993\na.y 9007199254740993\na.z 12345678901234567890123\n"
              f"a.w 1{'0' * 400}",
              "a.x 0.500000\nsimTicks 1")
    df = read_stats(p)
    assert len(df) == 2
    # int(): numpy would compare a float64 to an int after rounding the int
    assert int(df["a.x"][0]) == 2**53 + 1 and df["a.x"][1] == 0.5
    assert int(df["a.y"][0]) == 2**53 + 1 and math.isnan(df["a.y"][1])
    assert int(df["a.z"][0]) == 12345678901234567890123 and math.isnan(df["a.z"][1])
    assert int(df["a.w"][0]) == 10**400 and math.isnan(df["a.w"][1])
    # exact small ints next to NaN stay float64 as before
    assert df["simTicks"].dtype == np.float64 and df["simTicks"][1] == 1


def test_name_forms(tmp_path):
    body = "\n".join([
        "system.ruby.l1_cntrl0.L1Dcache.m_demand_hits 12 # hits (Count)",
        "system.ruby.network.routers0.port_buffers03.m_buf_msgs 0.250000 # msgs ((Count/Cycle))",
        "system.ruby.L1Cache_Controller.Load::I::total 3 # two separators (Count)",
        "system.cpu[1].dtb-walker.x::a::b 4 # brackets and dashes (Count)",
        "system.switch_cpus.op_class_0::No_OpClass 0 0.00% 0.00% # ops (Count)",
    ])
    df = _row(tmp_path, body)
    assert df.iloc[0].to_dict() == {
        "system.ruby.l1_cntrl0.L1Dcache.m_demand_hits": 12,
        "system.ruby.network.routers0.port_buffers03.m_buf_msgs": 0.25,
        "system.ruby.L1Cache_Controller.Load::I::total": 3,
        "system.cpu[1].dtb-walker.x::a::b": 4,
        "system.switch_cpus.op_class_0::No_OpClass": 0}


def test_descriptions_with_hash_and_parentheses(tmp_path):
    body = "\n".join([
        "system.a 5 # number of #misses (per set (or way)) (Count)",
        "system.b 6 # ## (a) # b ((Tick/Second))",
        "system.c 7 #",
        "system.d 8",
    ])
    p = _file(tmp_path, body)
    assert read_stats(p).iloc[0].to_dict() == {"system.a": 5, "system.b": 6, "system.c": 7,
                                               "system.d": 8}
    d = read_stats_descriptions(p).set_index("name")
    assert d.loc["system.a", "description"] == "number of #misses (per set (or way))"
    assert d.loc["system.a", "unit"] == "Count"
    assert d.loc["system.b", "description"] == "## (a) # b"
    assert d.loc["system.b", "unit"] == "(Tick/Second)"
    assert d.loc["system.d", "description"] == "" and d.loc["system.d", "unit"] == ""


# --------------------------------------------------------------------------
# file-level forms
# --------------------------------------------------------------------------


def test_dumps_with_nozero_stats_blank_lines_and_several_blocks(tmp_path):
    first = "simTicks 100\n\nsystem.c.hits::total 0"
    second = "\n\nsimTicks 200\n   \nsystem.c.hits::total 4\nsystem.c.late::0-1 2 100.00% 100.00%"
    third = "simTicks 300\nsystem.c.hits::total 5"
    df = read_stats(_file(tmp_path, first, second, third))
    assert len(df) == 3
    assert list(df.columns) == ["simTicks", "system.c.hits::total", "system.c.late::0-1"]
    assert list(df["simTicks"]) == [100, 200, 300]
    assert list(df["system.c.hits::total"]) == [0, 4, 5]
    late = df["system.c.late::0-1"]
    assert math.isnan(late[0]) and late[1] == 2 and math.isnan(late[2])


def test_crlf_and_gzip(tmp_path):
    plain = _file(tmp_path, "simTicks 100 # t (Tick)\nsystem.v::a 1 50.00% 50.00% # v (Count)",
                  "simTicks 200 # t (Tick)")
    text = plain.read_text()
    expected = read_stats(plain)
    assert list(expected["simTicks"]) == [100, 200]
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    assert read_stats(crlf).equals(expected)
    assert read_stats_descriptions(crlf).equals(read_stats_descriptions(plain))
    gz = tmp_path / "stats.txt.gz"
    with gzip.open(gz, "wt") as f:
        f.write(text)
    assert read_stats(gz).equals(expected)
    gz_crlf = tmp_path / "crlf.gz.bin"          # gzip found by its magic, not its name
    gz_crlf.write_bytes(gzip.compress(text.replace("\n", "\r\n").encode()))
    assert read_stats(gz_crlf).equals(expected)
    bom = tmp_path / "bom.txt"                   # a file saved by a Windows editor
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert read_stats(bom).equals(expected)


# --------------------------------------------------------------------------
# malformed input: a clear error naming file and line
# --------------------------------------------------------------------------


@pytest.mark.parametrize("body,line,what", [
    ("simTicks 5\nsystem.x 1.2.3", 4, "value '1.2.3' of 'system.x' is not a number"),
    ("simTicks 5\nsystem.x 0x10", 4, "value '0x10' of 'system.x' is not a number"),
    ("simTicks 5\nsystem.x 1_000", 4, "not a number"),
    ("simTicks 5\nsystem.x 12abc # d (Count)", 4, "not a number"),
    ("this is garbage", 3, "cannot parse stat line"),
    ("simTicks 5\n???", 4, "cannot parse stat line"),
    ("simTicks 5\nsystem.x 1 (Count", 4, "cannot parse stat line"),
    ("simTicks 5\nsystem.x 1 2 3 4 # five", 4, "cannot parse stat line"),
    ("system.v |1 |x # bad", 3, "value 'x' of 'system.v' is not a number"),
    ("system.v |1 | # bad", 3, "cannot parse"),
    ("system.v 1 |2", 3, "cannot parse"),
    ("system.v |1 10% x", 3, "percentage"),
    ("system.x 5 abc%", 3, "percentage"),
])
def test_malformed_stat_lines(tmp_path, body, line, what):
    p = _file(tmp_path, body, name="bad.txt")
    with pytest.raises(StatsFormatError, match=rf"bad\.txt: line {line}: .*{what}"):
        read_stats(p)


def test_names_gem5_rounds_together_are_a_clear_error(tmp_path):
    """gem5 prints SparseHist keys and bucket bounds with 6 significant
    digits, so keys 1000000 and 1000001 both print as '1e+06'.  Two stats of
    one name cannot be two columns: the default is an error that says how to
    keep one, never a silent merge."""
    body = "system.s.h::samples 2\nsystem.s.h::1e+06 1\nsystem.s.h::1e+06 4"
    p = _file(tmp_path, body, name="dup.txt")
    with pytest.raises(StatsFormatError, match=r"dup\.txt: line 5: stat 'system\.s\.h::1e\+06' "
                                               r"appears twice .*duplicates='first' or 'last'"):
        read_stats(p)
    assert read_stats(p, duplicates="last")["system.s.h::1e+06"][0] == 4
