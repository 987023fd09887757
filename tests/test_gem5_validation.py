"""Smoke-size check of benchmarks/gem5_validation.py: the first 20,000
packets of spmv_csr through the real harness (two processes), then

- the results table has the documented columns, one row per run;
- npusim's L1D demand misses on that slice equal those of an LRU model of
  the same L1D written here in Python (32 KiB, 8 ways, 64 B lines, read from
  gem5's config.json): a blocking core has one access in flight, so every
  access that misses the LRU model is exactly one L1D demand miss;
- a prefetcher at L2 leaves the L1D misses alone, and one at L1D removes some;
- a second sweep skips finished runs, --force redoes them, and a row torn
  by an interruption is rerun without losing the rows after it;
- the ranking and relative-error helpers on hand-made cases."""

import importlib.util
import json
import math
from collections import OrderedDict
from pathlib import Path

import pytest

from npusim.analysis.reference import load_reference

from helpers import reference_or_skip

ROOT = Path(__file__).resolve().parent.parent
N = 20_000


def _harness():
    spec = importlib.util.spec_from_file_location("gem5_validation", ROOT / "benchmarks" / "gem5_validation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def harness():
    return _harness()


@pytest.fixture(scope="module")
def ref():
    return reference_or_skip("spmv_csr")


def lru_misses(addrs, size, assoc, line):
    """Misses of a set-associative LRU cache (set = line number mod sets)."""
    sets = [OrderedDict() for _ in range(size // (assoc * line))]
    misses = 0
    for a in addrs:
        n = int(a) // line
        s = sets[n % len(sets)]
        if n in s:
            s.move_to_end(n)
        else:
            misses += 1
            if len(s) == assoc:
                s.popitem(last=False)
            s[n] = None
    return misses


def read_rows(path):
    """Every complete row of a results.jsonl."""
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return rows


@pytest.fixture(scope="module")
def sweep(harness, ref, tmp_path_factory):
    out = tmp_path_factory.mktemp("gem5_validation")
    rc = harness.main(["--kernels", "spmv_csr", "--prefetchers", "none,stride", "--levels", "l2,l1d",
                       "--max-packets", str(N), "--jobs", "2", "--outdir", str(out)])
    assert rc == 0
    return out


def test_table_columns_and_rows(harness, sweep):
    rows = read_rows(sweep / "results.jsonl")
    for key in ("l1d_demand_misses", "l2_demand_misses", "pfIssued", "pfUseful", "accuracy", "coverage"):
        assert {f"npusim_{key}", f"gem5_{key}", f"err_{key}"} <= set(harness.columns())
    assert all(list(r) == harness.columns() for r in rows)
    assert sorted((r["prefetcher"], r["level"], r["config"]) for r in rows) == [
        ("none", "l2", "default"), ("stride", "l1d", "default"), ("stride", "l2", "default")]
    for r in rows:
        assert r["status"] == "ok" and r["kernel"] == "spmv_csr" and r["max_packets"] == N
        assert (sweep / "spmv_csr" / f"{r['prefetcher']}-{r['level']}-{N}" / "stats.txt").exists()
        # gem5's side is the whole ROI's figure from the reference stats file
        g = load_reference("spmv_csr").summary
        g = g[(g.prefetcher == r["prefetcher"]) & (g.level == r["level"])].iloc[0]
        assert float(r["gem5_l2_demand_misses"]) == g.l2_demand_misses
        assert float(r["gem5_l1d_demand_misses"]) == g.l1d_demand_misses


def test_l1d_misses_equal_an_lru_model(sweep, ref):
    l1d = ref.hierarchy["l1d"]
    assert (l1d["size"], l1d["assoc"], ref.hierarchy["cache_line_size"]) == (32768, 8, 64)
    expected = lru_misses(ref.requests["addr"][:N], l1d["size"], l1d["assoc"], ref.hierarchy["cache_line_size"])
    assert 5000 < expected < N          # the slice misses a lot (CSR streams + x gathers)
    rows = {(r["prefetcher"], r["level"]): r for r in read_rows(sweep / "results.jsonl")}
    assert float(rows["none", "l2"]["npusim_l1d_demand_misses"]) == expected
    assert float(rows["stride", "l2"]["npusim_l1d_demand_misses"]) == expected
    # a prefetcher at L1D must save some L1D misses on the CSR streams
    assert float(rows["stride", "l1d"]["npusim_l1d_demand_misses"]) < expected
    assert float(rows["stride", "l1d"]["npusim_pfIssued"]) > 0


def test_second_sweep_skips_finished_runs(harness, sweep, capsys):
    before = (sweep / "results.jsonl").read_text()
    assert harness.main(["--kernels", "spmv_csr", "--prefetchers", "none", "--levels", "l2",
                         "--max-packets", str(N), "--outdir", str(sweep)]) == 0
    assert (sweep / "results.jsonl").read_text() == before
    assert "runs to do" not in capsys.readouterr().err
    assert harness.main(["--kernels", "spmv_csr", "--prefetchers", "none", "--levels", "l2",
                         "--max-packets", str(N), "--outdir", str(sweep), "--force"]) == 0
    rows = read_rows(sweep / "results.jsonl")
    assert len(rows) == 4
    assert rows[-1]["prefetcher"] == "none" and rows[-1]["npusim_l1d_demand_misses"] == \
        next(r for r in rows if r["prefetcher"] == "none")["npusim_l1d_demand_misses"]  # deterministic
    latest = harness.results_table(sweep).latest()
    assert len(latest) == 3 and all(k[3] == "default" for k in latest)
    assert latest["spmv_csr", "none", "l2", "default", N, "cold"] == rows[-1]


def test_a_torn_row_is_rerun_and_the_rest_kept(harness, ref, tmp_path, capsys):
    argv = ["--kernels", "spmv_csr", "--prefetchers", "none,stride", "--levels", "l2", "--max-packets", "3000",
            "--outdir", str(tmp_path)]
    assert harness.main(argv) == 0
    path = tmp_path / "results.jsonl"
    first, second = path.read_text().splitlines()
    # killed while writing the second row
    path.write_text(first + "\n" + second[:50])
    capsys.readouterr()
    assert harness.main(argv) == 0
    assert "1 runs to do (1 already in" in capsys.readouterr().err
    rows = read_rows(path)
    assert [r["prefetcher"] for r in rows] == [json.loads(first)["prefetcher"], json.loads(second)["prefetcher"]]
    assert rows[1] | {"host_seconds": 0, "peak_rss_mib": 0} == \
        json.loads(second) | {"host_seconds": 0, "peak_rss_mib": 0}   # the same figures again


def test_gem5_configuration_sets_the_gem5_parameters(harness, ref, tmp_path):
    # BOP follows the paper by default; gem5_tag_bug=True reproduces gem5:
    # the harness runs both and says which is which
    assert harness.compat_params("bop") == {"gem5_tag_bug": True}
    assert harness.compat_params("stride") == {} and harness.compat_params("none") == {}
    assert harness.main(["--kernels", "spmv_csr", "--prefetchers", "bop", "--levels", "l2", "--max-packets", "5000",
                         "--outdir", str(tmp_path)]) == 0
    rows = read_rows(tmp_path / "results.jsonl")
    assert sorted(r["config"] for r in rows) == ["default", "gem5"]
    for config, flag in (("default", False), ("gem5", True)):
        d = harness.run_dir(tmp_path, "spmv_csr", "bop", "l2", config, 5000)
        cfg = json.loads((d / "config.json").read_text())
        assert _find(cfg, "gem5_tag_bug") == [flag]


def _find(node, key):
    """Every value of `key` anywhere in a config.json tree."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            found += [v] if k == key else _find(v, key)
    elif isinstance(node, list):
        for v in node:
            found += _find(v, key)
    return found


def test_rel_err(harness):
    assert harness.rel_err(110.0, 100.0) == pytest.approx(0.1)
    assert harness.rel_err(0.0, 0.0) == 0.0
    assert harness.rel_err(math.nan, math.nan) == 0.0          # 0/0 accuracy in both
    assert math.isinf(harness.rel_err(5.0, 0.0))
    assert harness.rel_err(None, 1.0) is None


def _rows(pairs):
    return [dict(prefetcher=p, status="ok", npusim_l2_demand_misses=n, gem5_l2_demand_misses=g)
            for p, n, g in pairs]


def test_ranking_ties_and_discordant_pairs(harness):
    # gem5: a < b (by 50%) < c = d (exact tie); npusim swaps c and d (allowed) -> match
    rk = harness.ranking(_rows([("a", 100, 100), ("b", 150, 150), ("c", 201, 200), ("d", 200, 200)]))
    assert rk["match"] and rk["discordant"] == []
    assert rk["gem5"] == ["a", "b", "c", "d"] and rk["npusim"] == ["a", "b", "d", "c"]
    # gem5 separates a and b by 50%, npusim reverses them -> mismatch naming the pair
    rk = harness.ranking(_rows([("a", 160, 100), ("b", 150, 150), ("c", 300, 300)]))
    assert not rk["match"] and rk["discordant"] == [("a", "b")]
    # gem5 values within the 2% tie band impose no order
    rk = harness.ranking(_rows([("a", 105, 100), ("b", 100, 101)]))
    assert rk["match"]
    # npusim tying a pair that gem5 separates is a mismatch too
    rk = harness.ranking(_rows([("a", 100, 100), ("b", 100, 200)]))
    assert not rk["match"]
