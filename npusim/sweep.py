"""Parameter sweeps over a config script: one simulation per process, and
the results in one table that survives an interruption.

    from npusim.sweep import sweep
    table = sweep("configs/examples/traffic_gen.py",
                  {"--pattern": ["linear", "random"], "--window": [1, 16]},
                  outdir="sweep_out", jobs=2, stats=[r"system\\.mem\\."])

or from the shell (each --grid names one of the script's options, without
its dashes, and its values):

    python -m npusim.sweep configs/examples/traffic_gen.py -o sweep_out --jobs 2 \\
        --grid pattern=linear,random --grid window=1,16 -- --requests 5000

Each combination runs as ``npusim -d OUTDIR/runs/NAME SCRIPT ARGS`` in a
process of its own. When it ends, one row goes to ``OUTDIR/results.jsonl``
(the run's name, its options, status, host seconds, then the stats of its
last dump), written and flushed at once. A sweep that is stopped keeps
every finished row, and running it again runs only what is missing or
failed. A run that fails becomes a row with status "error" and the end of
its error output; the others go on. ``OUTDIR/sweep.json`` records the
script, the fixed arguments and the stats selection: a sweep with others
into the same OUTDIR is refused (its old rows would pass for new ones)
unless forced.

Runs fan out over a ``concurrent.futures`` executor: threads waiting on
local processes by default (``jobs`` at a time). For a cluster, pass an
existing engine's executor, e.g. dask.distributed's
``Client(address).get_executor()``; its workers need npusim installed and
OUTDIR on a shared file system.

The pieces are public for scripts whose runs are not one config script
with options (benchmarks/gem5_validation.py, configs/nvr_compare.py):
``ResultsTable`` (the resumable JSON Lines file: append a row, read the
last row of each run, list the runs still to do) and ``run_all`` (fan a
function out over an executor, writing each row as it arrives).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import itertools
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
import warnings

import pandas as pd

from .argtypes import job_count

RESULTS = "results.jsonl"
SETUP = "sweep.json"     # the script, arguments and stats the rows in RESULTS were made with


def _value_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def run_name(options: dict) -> str:
    """A folder name that says which options a run had: "pattern=random,window=16"."""
    parts = [f"{key.lstrip('-')}={_value_text(value)}" for key, value in options.items()]
    return re.sub(r"[^A-Za-z0-9._=,+-]", "_", ",".join(parts)) or "default"


def _command_line(options: dict) -> list[str]:
    args = []
    for key, value in options.items():
        if value is True:  # a flag
            args.append(key)
        elif value is not False and value is not None:
            args += [key, _value_text(value)]
    return args


def _plain(value):
    """A stat's value as JSON writes it: whole numbers as integers, NaN as null."""
    if pd.isna(value):
        return None
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def run_one(script: str, options: dict, fixed_args: list[str], rundir: str, stats: list[str] | None) -> dict:
    """Runs one simulation in its own process; returns its row. (Module level,
    so that process and cluster executors can send it to a worker.)"""
    from .analysis import read_stats

    cmd = [sys.executable, "-m", "npusim.cli", "-d", rundir, script, *_command_line(options), *fixed_args]
    row = {"run": os.path.basename(rundir), **{k.lstrip("-"): v for k, v in options.items()}}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    row["wall_seconds"] = round(time.perf_counter() - start, 3)
    stats_path = os.path.join(rundir, "stats.txt")
    if proc.returncode != 0 or not os.path.exists(stats_path):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {**row, "status": "error", "message": " / ".join(tail) or f"exit status {proc.returncode}"}
    dumps = read_stats(stats_path)
    if dumps.empty:
        return {**row, "status": "error", "message": "the run wrote no statistics"}
    last = dumps.iloc[-1]
    keep = [re.compile(p) for p in stats] if stats else None
    for name, value in last.items():
        if keep is None or any(p.search(name) for p in keep) or name in ("simTicks", "hostSeconds"):
            row[name] = _plain(value)
    row["status"] = "ok"
    return row


class ResultsTable:
    """A results file in JSON Lines: one row (a dict) a line, each written,
    flushed and synced as its run ends, so that an interruption loses only
    the runs in flight. A torn last line (a writer killed mid-row) is left
    out when reading and ended before the next append, so it costs no later
    row. Values are JSON as Python writes it (NaN and Infinity included).

    `key`: the column, or tuple of columns, that names the run a row is of;
    a run's last row is its current one. `finished(row)`: whether that run
    needs no rerun (default: its status is "ok")."""

    def __init__(self, path, key, finished=None):
        self.path = os.fspath(path)
        self.columns = key
        self.finished = finished or (lambda row: row.get("status") == "ok")

    def key(self, row: dict):
        if isinstance(self.columns, str):
            return row.get(self.columns)
        return tuple(row.get(c) for c in self.columns)

    def rows(self) -> list[dict]:
        """Every complete row, in the order written."""
        rows = []
        if os.path.exists(self.path):
            with open(self.path) as f:
                for line in f:
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue
        return rows

    def latest(self) -> dict:
        """Run key -> its last row."""
        return {self.key(row): row for row in self.rows()}

    def pending(self, keys, force: bool = False) -> list:
        """The keys, in their order, whose run has no finished last row (all of them with `force`)."""
        latest = self.latest()
        return [k for k in keys if force or k not in latest or not self.finished(latest[k])]

    def append(self, row: dict) -> None:
        with open(self.path, "a+b") as f:
            # a writer killed mid-row leaves a partial last line: end it first
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")
            f.write((json.dumps(row) + "\n").encode())
            f.flush()
            os.fsync(f.fileno())


def read_results(outdir: str) -> pd.DataFrame:
    """Every row written so far to OUTDIR/results.jsonl (an incomplete last
    line, from a sweep killed while writing, is left out)."""
    return pd.DataFrame(ResultsTable(os.path.join(outdir, RESULTS), "run").rows())


class SerialExecutor(cf.Executor):
    """Runs each call at submit time, in the caller's thread (debugging, one core)."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed over through the future, as a pool would
            fut.set_exception(exc)
        return fut


EXECUTORS = {
    # for runs that are processes of their own: a thread only waits on one
    "thread": lambda jobs: cf.ThreadPoolExecutor(max_workers=jobs),
    # for runs simulated in the worker; forked, so that a worker has the
    # modules a script loaded from its file path (not importable by name)
    "process": lambda jobs: cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")),
    "serial": lambda jobs: SerialExecutor(),
}


def make_executor(kind: str, jobs: int) -> cf.Executor:
    """A local executor of one of the EXECUTORS kinds, `jobs` runs at a time."""
    return EXECUTORS[kind](_checked_jobs(jobs))


def _checked_jobs(jobs) -> int:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, not {jobs!r}")
    return jobs


def run_all(fn, tasks, table: ResultsTable, *, executor: cf.Executor | str = "thread",
            jobs: int = os.cpu_count() or 1, progress=None) -> list[dict]:
    """Calls fn(*args) for each args in `tasks` on `executor` and appends
    each row it returns to `table` as soon as it arrives; returns the rows
    in that order. `executor`: any concurrent.futures executor (left
    running), or the name of a local kind (made with `jobs` workers, shut
    down here). fn should return failures as rows: an exception stops the
    sweep. `progress(done, total, row)` is called after each row."""
    tasks = list(tasks)
    own = isinstance(executor, str)
    pool = make_executor(executor, jobs) if own else executor
    rows, waiting = [], set()

    def collect(block: bool) -> None:
        nonlocal waiting
        done, waiting = cf.wait(waiting, timeout=None if block else 0, return_when=cf.FIRST_COMPLETED)
        for fut in done:
            row = fut.result()
            # written here, in the caller's thread only: the workers never share the file
            table.append(row)
            rows.append(row)
            if progress:
                progress(len(rows), len(tasks), row)

    submitted = []
    try:
        for args in tasks:
            submitted.append(pool.submit(fn, *args))
            waiting.add(submitted[-1])
            # an executor that runs at submit time (serial) gets each row written before the next run
            collect(block=False)
        while waiting:
            collect(block=True)
    except BaseException:
        for fut in submitted:
            fut.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return rows


def grid_runs(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, in the grid's order."""
    keys = list(grid)
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"sweep grid {key!r}: give a list of values, not {values!r}")
        if not list(values):
            raise ValueError(f"sweep grid {key!r}: no values, so no runs")
    return [dict(zip(keys, combo)) for combo in itertools.product(*(list(grid[k]) for k in keys))]


def sweep(script: str, grid: dict[str, list], outdir: str, *, jobs: int = os.cpu_count() or 1,
          fixed_args: list[str] = (), stats: list[str] | None = None, executor: cf.Executor | None = None,
          force: bool = False, progress=None) -> pd.DataFrame:
    """Runs `script` once per combination of `grid` (option -> values; a
    key without dashes is the long option: 'window' is '--window') whose
    last row in OUTDIR/results.jsonl is not "ok" (each, with `force`);
    returns this grid's last rows, in the grid's order. `stats`: regular
    expressions selecting which stats go into the table (default: all of
    them). `progress(done, total, row)` is called as each run ends."""
    if not os.path.isfile(script):
        raise FileNotFoundError(f"sweep: config script {script!r} not found")
    script = os.path.abspath(script)
    if executor is None:
        _checked_jobs(jobs)   # before anything runs
    if isinstance(stats, str):
        raise TypeError(f"sweep: stats is a list of regular expressions, not one string: [{stats!r}]")
    stats = None if stats is None else list(stats)
    for pattern in stats or ():
        try:
            re.compile(pattern)
        except re.error as err:
            raise ValueError(f"sweep: stats pattern {pattern!r} is not a regular expression ({err})") from None
    runs = grid_runs(_as_options(grid))
    names = [run_name(r) for r in runs]
    if len(set(names)) != len(names):
        raise ValueError("sweep: two combinations give the same run name; make the values distinct")
    try:
        os.makedirs(os.path.join(outdir, "runs"), exist_ok=True)
    except OSError as err:
        raise OSError(f"sweep: cannot make the output folder {os.path.join(outdir, 'runs')!r} ({err.strerror})") \
            from None
    _check_setup(os.path.join(outdir, SETUP), {"script": script, "args": list(fixed_args), "stats": stats}, force)
    table = ResultsTable(os.path.join(outdir, RESULTS), "run")
    todo = set(table.pending(names, force))
    tasks = [(script, options, list(fixed_args), os.path.join(outdir, "runs", name), stats)
             for name, options in zip(names, runs) if name in todo]
    run_all(run_one, tasks, table, executor=executor or "thread", jobs=jobs, progress=progress)
    latest = table.latest()
    result = pd.DataFrame([latest[n] for n in names if n in latest])
    ok = result[result["status"] == "ok"] if not result.empty else result
    for pattern in stats or ():
        if not ok.empty and not any(re.search(pattern, c) for c in ok.columns if c not in ("simTicks", "hostSeconds")):
            warnings.warn(f"sweep: stats pattern {pattern!r} matches no stat of any run", stacklevel=2)
    return result


def _as_options(grid: dict) -> dict:
    """Grid keys as command-line options: 'window' means '--window', as on
    the sweep's own command line."""
    options, given_as = {}, {}
    for key, values in grid.items():
        option = key if key.startswith("-") else "--" + key
        if option in options:
            raise ValueError(f"sweep grid: {given_as[option]!r} and {key!r} name the same option")
        options[option], given_as[option] = values, key
    return options


def _check_setup(path: str, setup: dict, force: bool) -> None:
    """Refuses to mix rows of another script, arguments or stats selection
    into OUTDIR (their runs would count as done); `force` starts afresh."""
    if os.path.exists(path) and not force:
        with open(path) as f:
            try:
                before = json.load(f)
            except json.JSONDecodeError:
                before = None
        if before != setup:
            what = {"script": "script", "args": "fixed arguments", "stats": "stats selection"}
            changed = [what[k] for k in setup if not isinstance(before, dict) or before.get(k) != setup[k]]
            raise ValueError(f"sweep: {os.path.dirname(path) or '.'} holds runs made with another "
                             f"{' and '.join(changed)} ({path}); use another output folder, "
                             "or force (--force) to run every combination again")
    with open(path, "w") as f:
        json.dump(setup, f, indent=1)


def _parse_grid(items: list[str]) -> dict[str, list[str]]:
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip("-") or not values:
            raise ValueError(f"--grid {item!r}: write OPTION=V1,V2 (e.g. --grid window=1,16)")
        key = key if key.startswith("-") else "--" + key
        if key in grid:
            raise ValueError(f"--grid {item!r}: {key} is already in the grid; give all its values in one --grid")
        if "" in values.split(","):
            raise ValueError(f"--grid {item!r}: an empty value (two commas, or one at an end)")
        grid[key] = values.split(",")
    return grid


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m npusim.sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("script", help="the config script")
    ap.add_argument("-o", "--outdir", required=True, help="folder for runs/ and results.jsonl")
    ap.add_argument("--grid", action="append", default=[], metavar="OPTION=V1,V2",
                    help="one of the script's options and its values (repeatable)")
    ap.add_argument("--jobs", type=job_count, default=os.cpu_count() or 1, help="simulations at a time")
    ap.add_argument("--stats", action="append", metavar="REGEX", help="keep only matching stats (repeatable)")
    ap.add_argument("--force", action="store_true", help="run every combination again")
    ap.epilog = "Arguments after -- go to every run."
    argv = list(sys.argv[1:] if argv is None else argv)
    fixed = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    try:
        grid = _parse_grid(args.grid)
    except ValueError as err:
        ap.error(str(err))

    def report(i, n, row):
        print(f"[{i}/{n}] {row['run']}: {row['status']}" + (f" ({row['message']})" if row["status"] != "ok" else
                                                             f", {row['wall_seconds']:.1f} s"), file=sys.stderr)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = sweep(args.script, grid, args.outdir, jobs=args.jobs, fixed_args=fixed, stats=args.stats,
                          force=args.force, progress=report)
    except (OSError, ValueError, TypeError) as err:
        ap.error(str(err))
    for warning in caught:
        print(f"{ap.prog}: warning: {warning.message}", file=sys.stderr)
    failed = int((table["status"] != "ok").sum()) if not table.empty else 0
    print(f"{len(table)} runs in {os.path.join(args.outdir, RESULTS)}, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
