"""gem5-format stats.txt / npusim stats.json reader."""

import json
import math
import time

import numpy as np
import pandas as pd
import pytest

from npusim.analysis.reference import reference_root
from npusim.analysis.stats_reader import (BEGIN_MARKER, END_MARKER, StatsFormatError,
                                          read_stats, read_stats_descriptions,
                                          read_stats_json)

REF = reference_root()
STATS_FILES = sorted(REF.glob("*/stats/*.txt"))
needs_ref = pytest.mark.skipif(not STATS_FILES, reason=f"reference data not found at {REF}")
SPMV_NONE = REF / "spmv_csr" / "stats" / "none-l2.txt"

# summary.csv column -> stat name (prefetcher stats are under the level's prefetcher)
SUMMARY_STATS = {
    "sim_ticks": "simTicks",
    "l1d_demand_misses": "system.cpu.dcache.demandMisses::total",
    "l1d_demand_accesses": "system.cpu.dcache.demandAccesses::total",
    "l2_demand_misses": "system.l2.demandMisses::total",
    "l2_demand_mshr_misses": "system.l2.demandMshrMisses::total",
    "l2_overall_misses": "system.l2.overallMisses::total",
    "dram_reads": "system.mem_ctrl.readReqs",
}
PF_STATS = ("pfIssued", "pfUseful", "pfUnused", "pfLate", "accuracy", "coverage",
            "pfIdentified")
PF_PATH = {"l2": "system.l2.prefetcher", "l1d": "system.cpu.dcache.prefetcher"}


@needs_ref
def test_every_reference_stats_file_parses_and_matches_summary():
    assert len(STATS_FILES) == 63
    checked = 0
    summaries = {}
    for path in STATS_FILES:
        kernel = path.parent.parent.name
        pf, level = path.stem.rsplit("-", 1)
        df = read_stats(path)
        assert len(df) == 1 and df.shape[1] > 900, path
        if kernel not in summaries:
            summaries[kernel] = pd.read_csv(REF / kernel / "summary.csv")
        s = summaries[kernel]
        row = s[(s.prefetcher == pf) & (s.level == level)].iloc[0]
        for col, stat in SUMMARY_STATS.items():
            assert df[stat][0] == row[col], (path, stat)
            checked += 1
        for stat in PF_STATS:
            if not math.isnan(row[stat]):
                assert df[f"{PF_PATH[level]}.{stat}"][0] == pytest.approx(row[stat], rel=1e-6), \
                    (path, stat)
                checked += 1
    assert checked > 600


@needs_ref
def test_known_values_spmv_none_l2():
    df = read_stats(SPMV_NONE)
    row = df.iloc[0]
    assert row["system.cpu.dcache.demandMisses::total"] == 292017
    assert row["simTicks"] == 22286228000
    assert row["simSeconds"] == 0.022286
    assert row["simFreq"] == 10**12
    # vector entries
    assert row["system.cpu.dcache.demandHits::cpu.data"] == 592720
    assert row["system.cpu.commitStats0.committedInstType::FloatMemRead"] == 524288
    # distribution: samples/mean/stdev/buckets/min/max
    assert row["system.l2bus.snoopFanout::samples"] == 535376
    assert row["system.l2bus.snoopFanout::mean"] == 0.000049
    assert row["system.l2bus.snoopFanout::0"] == 535350
    assert row["system.l2bus.snoopFanout::1"] == 26
    assert row["system.l2bus.snoopFanout::max_value"] == 1
    assert row["system.mem_ctrl.rdPerTurnAround::0-63"] == 241
    assert row["system.mem_ctrl.rdPerTurnAround::gmean"] == 88.474987
    assert row["system.monitor.readLatencyHist::65536-98303"] == 199977
    assert row["system.monitor.readBandwidthHist::0-8.38861e+06"] == 0
    # nan and typing
    assert math.isnan(row["system.cpu.dcache.avgBlocked::no_mshrs"])
    assert df["simTicks"].dtype == np.int64 and df["simSeconds"].dtype == np.float64
    assert df["system.mem_ctrl.avgPriority_writebacks::samples"].dtype == np.float64  # "6047.00"
    assert row["system.mem_ctrl.avgPriority_writebacks::samples"] == 6047.0
    # pct columns are not stats
    assert not any(c.endswith(("::pdf", "::cdf")) for c in df.columns)
    assert "100.00%" not in df.columns


@needs_ref
def test_inf_values_and_pdf_columns():
    df = read_stats(REF / "embedding_bag" / "stats" / "ampm-l1d.txt")
    assert df["system.cpu.dcache.HardPFReq.mshrMissRate::total"][0] == math.inf
    pdf = read_stats(SPMV_NONE, with_pdf=True)
    assert pdf["system.l2bus.snoopFanout::0::pdf"][0] == pytest.approx(1.0)
    assert pdf["system.monitor.readLatencyHist::32768-65535::cdf"][0] == pytest.approx(0.7616)


@needs_ref
def test_descriptions_and_units():
    d = read_stats_descriptions(SPMV_NONE).set_index("name")
    assert d.loc["simTicks", "description"] == "Number of ticks simulated"
    assert d.loc["simTicks", "unit"] == "Tick"
    assert d.loc["simFreq", "unit"] == "(Tick/Second)"
    assert d.loc["hostTickRate", "description"] == \
        "The number of ticks simulated per host second (ticks/s)"
    assert d.loc["system.l2bus.snoopFanout::0", "unit"] == "Count"
    assert len(d) == read_stats(SPMV_NONE).shape[1]


@needs_ref
def test_read_stats_is_fast():
    path = SPMV_NONE
    assert sum(1 for _ in open(path)) > 1300
    best = min(_timed(read_stats, path) for _ in range(5))
    assert best < 0.025, f"read_stats took {best * 1e3:.1f} ms"


def _timed(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


# --------------------------------------------------------------------------
# multiple dumps, npusim's own output shape
# --------------------------------------------------------------------------

DUMP = """
---------- Begin Simulation Statistics ----------
simSeconds                                   0.000010                       # Number of seconds simulated (Second)
simTicks                                     {ticks:>10}                       # Number of ticks simulated (Tick)
system.cache.hits::cpu.data                        {hits}                       # hits (Count)
system.cache.hits::total                           {hits}                       # hits (Count)
system.cache.lat::samples                          10                       # latency (Tick)
system.cache.lat::mean                    {mean}                       # latency (Tick)
system.cache.lat::0-3                               4     40.00%     40.00% # latency (Tick)
system.cache.lat::4-7                               6     60.00%    100.00% # latency (Tick)
system.cache.ratio                                {ratio}                       # ratio (Ratio)
{extra}
---------- End Simulation Statistics   ----------
"""


def _dump(ticks=1000, hits=5, mean="3.500000", ratio="nan", extra=""):
    return DUMP.format(ticks=ticks, hits=hits, mean=mean, ratio=ratio, extra=extra)


def test_multi_dump_file_gives_one_row_per_dump(tmp_path):
    p = tmp_path / "stats.txt"
    p.write_text(_dump() + "\n" + _dump(ticks=2000, hits=7, mean="-inf", ratio="0.25",
                                        extra="system.late                 3      # late (Count)"))
    df = read_stats(p)
    assert len(df) == 2
    assert list(df["simTicks"]) == [1000, 2000]
    assert list(df["system.cache.hits::total"]) == [5, 7]
    assert df["system.cache.hits::total"].dtype == np.int64
    assert list(df["system.cache.lat::0-3"]) == [4, 4]
    assert df["system.cache.lat::mean"][1] == -math.inf
    assert math.isnan(df["system.cache.ratio"][0]) and df["system.cache.ratio"][1] == 0.25
    assert math.isnan(df["system.late"][0]) and df["system.late"][1] == 3
    assert list(df.columns[:3]) == ["simSeconds", "simTicks", "system.cache.hits::cpu.data"]
    assert df.columns[-1] == "system.late"


def test_read_stats_json_same_shape(tmp_path):
    txt = tmp_path / "stats.txt"
    txt.write_text(_dump() + _dump(ticks=2000, hits=7, mean="1.000000", ratio="0.5"))
    doc = {"dumps": [
        {"simSeconds": 0.00001, "simTicks": 1000, "system.cache.hits::cpu.data": 5,
         "system.cache.hits::total": 5, "system.cache.lat::samples": 10,
         "system.cache.lat::mean": 3.5, "system.cache.lat::0-3": 4, "system.cache.lat::4-7": 6,
         "system.cache.ratio": "nan"},
        {"simSeconds": 0.00001, "simTicks": 2000, "system.cache.hits::cpu.data": 7,
         "system.cache.hits::total": 7, "system.cache.lat::samples": 10,
         "system.cache.lat::mean": 1.0, "system.cache.lat::0-3": 4, "system.cache.lat::4-7": 6,
         "system.cache.ratio": 0.5},
    ]}
    js = tmp_path / "stats.json"
    js.write_text(json.dumps(doc))
    a, b = read_stats(txt), read_stats_json(js)
    pd.testing.assert_frame_equal(a, b)
    bad = tmp_path / "bad.json"
    bad.write_text('{"dumps": [{"x": 1,}]}')
    with pytest.raises(StatsFormatError, match=r"bad\.json: line 1: invalid JSON"):
        read_stats_json(bad)
    bad.write_text('{"dumps": [{"x": "many"}]}')
    with pytest.raises(StatsFormatError, match=r"bad\.json: dump 0: stat 'x'"):
        read_stats_json(bad)
    bad.write_text('[1, 2]')
    with pytest.raises(StatsFormatError, match=r"bad\.json: expected an object with a 'dumps'"):
        read_stats_json(bad)


def test_big_integers_stay_exact(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text(_dump(extra="system.addrMask      18446744073709551615     # mask (Count)"))
    assert read_stats(p)["system.addrMask"][0] == 2**64 - 1


# --------------------------------------------------------------------------
# malformed files
# --------------------------------------------------------------------------


@pytest.mark.parametrize("text,line,what", [
    ("", 1, "no '-+ Begin Simulation Statistics"),
    ("\n\n", 1, "no '-+ Begin Simulation Statistics"),
    ("simTicks 5 # ticks (Tick)\n", 1, "outside a Begin/End block"),
    (f"{BEGIN_MARKER}\nsimTicks 5 # t (Tick)\n", 2, "dump begun at line 1 has no End marker"),
    (f"{BEGIN_MARKER}\nsimTicks 5 # t (Tick)\n{BEGIN_MARKER}\n", 3, "missing End marker"),
    (f"{BEGIN_MARKER}\nsimTicks 5 # t\n{END_MARKER}\n{END_MARKER}\n", 4, "End marker without"),
    (f"{BEGIN_MARKER}\nsimTicks 5 # t\nsystem.x abc # bad\n{END_MARKER}\n", 3,
     "value 'abc' of 'system.x' is not a number"),
    (f"{BEGIN_MARKER}\nsimTicks 5 # t\nsystem.x 1 2 # three\n{END_MARKER}\n", 3,
     "cannot parse stat line"),
    (f"{BEGIN_MARKER}\nsystem.x # nothing\n{END_MARKER}\n", 2, "cannot parse stat line"),
    (f"{BEGIN_MARKER}\nsystem.v::a 1 10% x # pct\n{END_MARKER}\n", 2, "two percentages"),
    (f"{BEGIN_MARKER}\nsimTicks 5 # t\nsimTicks 6 # t\n{END_MARKER}\n", 3, "appears twice"),
    (f"{_dump()}\ntrailing 1 # x\n", 15, "outside a Begin/End block"),
    # truncated: gem5 killed before the End marker (the last line may be cut)
    (f"\n{BEGIN_MARKER}\nsimTicks 5\nsystem.x 12", 4, "begun at line 2 has no End marker"),
    # a Begin without End followed by another Begin
    (f"{BEGIN_MARKER}\nsimTicks 5\n{BEGIN_MARKER}\nsimTicks 6\n{END_MARKER}\n", 3,
     "Begin marker inside the dump begun at line 1"),
    (f"{BEGIN_MARKER}\nsimTicks 5\n{END_MARKER}\ngarbage here\n", 4, "outside a Begin/End"),
    ("\x00\x01binary\n", 1, "outside a Begin/End"),
])
def test_malformed_files_name_file_and_line(tmp_path, text, line, what):
    p = tmp_path / "broken.txt"
    p.write_text(text)
    with pytest.raises(StatsFormatError, match=rf"broken\.txt: line {line}: .*{what}"):
        read_stats(p)


def test_duplicates_policy(tmp_path):
    p = tmp_path / "dup.txt"
    p.write_text(f"{BEGIN_MARKER}\nsimTicks 5 # t\nsimTicks 6 # t\n{END_MARKER}\n")
    assert read_stats(p, duplicates="first")["simTicks"][0] == 5
    assert read_stats(p, duplicates="last")["simTicks"][0] == 6
