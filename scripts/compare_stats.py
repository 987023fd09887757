"""Stat-by-stat comparison of two gem5-format stats.txt files (npusim's and
gem5's), in the order of the second file, to find which stat diverges first.

    .venv/bin/python scripts/compare_stats.py OURS.txt THEIRS.txt [--grep 'l2\\.(demand|prefetcher)'] [--threshold 0.05]
    .venv/bin/python scripts/compare_stats.py --run spmv_csr tagged l1d [--outdir m5out/gem5_validation]

--run takes npusim's stats of that run from benchmarks/gem5_validation.py's
output folder and gem5's from the reference folder. Only stats present in
both files whose relative difference exceeds --threshold are listed (--all:
every common stat); --missing lists the names only one side has.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compare(ours: dict, theirs: dict, pattern=None, threshold=0.0, show_all=False):
    """[(name, ours, theirs, relative difference)] in `theirs`' order."""
    rx = re.compile(pattern) if pattern else None
    out = []
    for name, b in theirs.items():
        if name not in ours or (rx and not rx.search(name)):
            continue
        a = ours[name]
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            continue
        if math.isnan(a) and math.isnan(b):
            err = 0.0
        elif b == 0:
            err = 0.0 if a == 0 else math.inf
        else:
            err = (a - b) / abs(b)
        if show_all or not (abs(err) <= threshold):
            out.append((name, a, b, err))
    return out


def _last_dump(path) -> dict:
    from npusim.analysis.stats_reader import read_stats
    return read_stats(path).iloc[-1].to_dict()


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression ({err})") from None
    return text


def _non_negative(convert):
    def check(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value >= 0 or (isinstance(value, float) and math.isinf(value)):
            raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
        return value
    return check


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", help="OURS THEIRS")
    p.add_argument("--run", nargs=3, metavar=("KERNEL", "PREFETCHER", "LEVEL"))
    p.add_argument("--outdir", default=str(ROOT / "m5out" / "gem5_validation"),
                   help="benchmarks/gem5_validation.py output folder (for --run)")
    p.add_argument("--max-packets", type=_non_negative(int), default=0, help="(for --run) the run's --max-packets")
    p.add_argument("--grep", type=_regex, help="only stat names matching this regular expression")
    p.add_argument("--threshold", type=_non_negative(float), default=0.01, help="hide relative differences up to this")
    p.add_argument("--all", action="store_true", help="show every common stat")
    p.add_argument("--missing", action="store_true", help="list the stats only one side has")
    args = p.parse_args(argv)

    if args.run and args.files:
        p.error("give OURS THEIRS or --run KERNEL PREFETCHER LEVEL, not both")
    if args.run:
        from npusim.analysis.reference import ReferenceDataError, load_reference
        kernel, pf, level = args.run
        ours = Path(args.outdir) / kernel / (f"{pf}-{level}" + (f"-{args.max_packets}" if args.max_packets else "")) \
            / "stats.txt"
        try:
            theirs = load_reference(kernel).stats_path(pf, level)
        except ReferenceDataError as err:
            p.error(f"--run {kernel} {pf} {level}: {err}")
        if not ours.is_file():
            p.error(f"--run {kernel} {pf} {level}: no npusim run at {ours} (run benchmarks/gem5_validation.py, "
                    f"or give its --outdir and --max-packets)")
    elif len(args.files) == 2:
        ours, theirs = args.files
    else:
        p.error("give OURS THEIRS or --run KERNEL PREFETCHER LEVEL")
    from npusim.analysis.stats_reader import StatsFormatError
    dumps = []
    for what, path in (("OURS", ours), ("THEIRS", theirs)):
        try:
            dumps.append(_last_dump(path))
        except (OSError, StatsFormatError) as err:
            p.error(f"{what} {str(path)!r}: cannot read it as a stats file "
                    f"({err.strerror if isinstance(err, OSError) else err})")
    a, b = dumps
    rows = compare(a, b, args.grep, args.threshold, args.all)
    width = max([len(r[0]) for r in rows] + [4])
    print(f"{'stat':{width}} {'npusim':>18} {'gem5':>18} {'rel diff':>9}")
    for name, x, y, err in rows:
        e = "inf" if math.isinf(err) else f"{err * 100:+.1f}%"
        print(f"{name:{width}} {x:18,.6g} {y:18,.6g} {e:>9}")
    if args.missing:
        rx = re.compile(args.grep) if args.grep else None
        only_a = [k for k in a if k not in b and (not rx or rx.search(k))]
        only_b = [k for k in b if k not in a and (not rx or rx.search(k))]
        print(f"\nonly in npusim ({len(only_a)}):", *only_a, sep="\n  ")
        print(f"\nonly in gem5 ({len(only_b)}):", *only_b, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
