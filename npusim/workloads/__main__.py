"""Command line: list, inspect, run and export workloads.

    python -m npusim.workloads list
    python -m npusim.workloads run spmm --size small -p format=csc -p sparsity=0.95
    python -m npusim.workloads show gnn -p source=digits      # disassembly
    python -m npusim.workloads export embedding_bag -o out/   # program.npy, memory, expected
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from ..argtypes import literal_or_text
from . import entry, get, names


def _params(pairs):
    out = {}
    for item in pairs or []:
        if "=" not in item:
            raise SystemExit(f"parameter {item!r} must look like name=value")
        k, v = item.split("=", 1)
        out[k] = literal_or_text(v)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m npusim.workloads", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="workload names and one-line descriptions")
    for cmd, hlp in (("run", "build, run on the golden interpreter, check"),
                     ("show", "print the program"),
                     ("export", "write program encoding, memory image and expected output")):
        sp = sub.add_parser(cmd, help=hlp)
        sp.add_argument("name", choices=names())
        sp.add_argument("--size", default="default", choices=["default", "small"])
        sp.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                        help="override a workload parameter (repeatable)")
        if cmd == "export":
            sp.add_argument("-o", "--out", required=True, help="output directory")
    a = ap.parse_args(argv)

    if a.cmd == "list":
        for n in names():
            print(f"{n:18s} {entry(n).doc}")
        return 0
    t0 = time.perf_counter()
    w = get(a.name, size=a.size, **_params(a.param))
    t_build = time.perf_counter() - t0
    if a.cmd == "show":
        print(w.program.disassemble())
        return 0
    if a.cmd == "export":
        os.makedirs(a.out, exist_ok=True)
        np.save(os.path.join(a.out, "program.npy"), w.program.encode())
        with open(os.path.join(a.out, "memory.bin"), "wb") as f:
            for addr, data in w.memory:
                f.write(np.array([addr, len(data)], dtype="<u8").tobytes())
                f.write(data)
        np.save(os.path.join(a.out, "expected.npy"), w.expected)
        if w.tolerance is not None:
            np.save(os.path.join(a.out, "tolerance.npy"), w.tolerance)
        meta = dict(name=w.name, params={k: (list(v) if isinstance(v, tuple) else v)
                                         for k, v in w.params.items()},
                    pc_base=w.program.pc_base, instructions=len(w.program),
                    output=dict(address=w.output.address, dtype=str(w.output.dtype),
                                shape=list(w.output.shape)),
                    regions={k: list(v) for k, v in w.regions.items()},
                    config=dict(dim=w.config.dim, spad_bytes=w.config.spad_bytes,
                                acc_bytes=w.config.acc_bytes, num_regs=w.config.num_regs),
                    info=w.info)
        with open(os.path.join(a.out, "workload.json"), "w") as f:
            json.dump(meta, f, indent=1, default=str)
        print(f"wrote {a.out}/program.npy, memory.bin, expected.npy, workload.json")
        return 0
    t0 = time.perf_counter()
    res, chk = w.run()
    t_run = time.perf_counter() - t0
    print(w.summary())
    print(f"built in {t_build:.2f} s; interpreted {res.instructions} instructions in {t_run:.2f} s "
          f"({res.instructions / max(t_run, 1e-9) / 1e6:.2f} M/s)")
    print("executed:", ", ".join(f"{k}={v}" for k, v in sorted(res.counts.items())))
    print(chk.message)
    return 0 if chk.ok else 1


if __name__ == "__main__":
    sys.exit(main())
