"""Reference runs of real gem5 (``../shared/reference/gem5/<kernel>/``).

:func:`load_reference` gives one kernel folder as a :class:`ReferenceRun`:
its request trace and think times (for replaying a blocking core), memory
image, region of interest, ``summary.csv``, the ``stats/<pf>-<level>.txt``
files, and the cache hierarchy read from gem5's ``config.json`` as plain
dicts, so that a config script can build the same system.

The reference root is ``$NPUSIM_REFERENCE`` if set, else
``<repo>/../shared/reference/gem5`` where ``<repo>`` is the parent of the
``npusim`` package directory.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from npusim.traces.gem5_trace import Trace, read_gem5_trace, think_times
from npusim.traces.memory_image import MemoryChunk, MemoryImage, load_memory_image
from npusim.analysis.json_file import load_json

__all__ = [
    "ENV_VAR",
    "ReferenceDataError",
    "ReferenceRun",
    "reference_root",
    "list_kernels",
    "load_reference",
    "cache_hierarchy",
    "find_object",
]

ENV_VAR = "NPUSIM_REFERENCE"
_REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class ReferenceDataError(ValueError):
    """A reference folder is missing or malformed."""


def reference_root() -> Path:
    """``$NPUSIM_REFERENCE`` or ``<repo>/../shared/reference/gem5``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return (_REPO_ROOT.parent / "shared" / "reference" / "gem5").resolve()


def list_kernels(root=None) -> list[str]:
    """Names of the kernel folders under the reference root."""
    root = Path(root) if root is not None else reference_root()
    if not root.is_dir():
        raise ReferenceDataError(f"{root}: reference root does not exist (set ${ENV_VAR})")
    return sorted(p.name for p in root.iterdir() if (p / "roi.txt").exists())


# --------------------------------------------------------------------------
# config.json -> hierarchy parameters
# --------------------------------------------------------------------------

_BOOKKEEPING = {"type", "cxx_class", "name", "path", "eventq_index", "power_state", "clk_domain",
                "power_model", "system"}


def find_object(config: dict, path: str):
    """The SimObject dict at a dotted gem5 path (``"system.cpu.dcache"``) in a
    config.json tree, or None.  Vector children (lists) are searched by name."""
    node = config
    parts = path.split(".")
    if parts and parts[0] == "root":
        parts = parts[1:]
    for part in parts:
        if isinstance(node, list):
            node = next((c for c in node if isinstance(c, dict) and c.get("name") == part),
                        None)
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return None
        if isinstance(node, list) and len(node) == 1 and isinstance(node[0], dict):
            node = node[0]
    return node if isinstance(node, dict) else None


def _scalar_params(obj: dict) -> dict:
    """The scalar parameters of a SimObject dict (no children, ports, ids)."""
    out = {}
    for k, v in obj.items():
        if k in _BOOKKEEPING:
            continue
        if isinstance(v, dict):
            continue  # child object or port
        if isinstance(v, list):
            if v and all(not isinstance(x, (dict, list)) for x in v):
                out[k] = v[0] if len(v) == 1 else list(v)
            continue
        out[k] = v
    return out


def _clock_of(config: dict, obj: dict | None):
    """Clock period in ticks of an object's clock domain (follows the
    ``clk_domain`` reference; ``clock`` is a one-element list in config.json)."""
    if obj is None:
        return None
    dom = obj.get("clk_domain")
    if isinstance(dom, str):
        dom = find_object(config, dom)
    if not isinstance(dom, dict):
        return None
    clock = dom.get("clock")
    if isinstance(clock, list):
        clock = clock[0] if clock else None
    if clock is None and "clk_domain" in dom:  # derived domain
        return _clock_of(config, dom)
    return clock


def _type_of(config, ref):
    if ref is None:
        return None
    if isinstance(ref, str):
        ref = find_object(config, ref)
    return ref.get("type") if isinstance(ref, dict) else None


_CACHE_KEYS = ("size", "assoc", "tag_latency", "data_latency", "response_latency",
               "mshrs", "tgts_per_mshr", "write_buffers", "demand_mshr_reserve",
               "clusivity", "writeback_clean", "is_read_only", "sequential_access",
               "max_miss_count", "warmup_percentage")


def _cache_params(config: dict, path: str):
    obj = find_object(config, path)
    if obj is None:
        return None
    out = {"path": obj.get("path", path), "type": obj.get("type")}
    for k in _CACHE_KEYS:
        if k in obj:
            out[k] = obj[k]
    tags = obj.get("tags") if isinstance(obj.get("tags"), dict) else None
    out["block_size"] = (tags or {}).get("block_size", config.get("system", {}).get(
        "cache_line_size"))
    out["replacement_policy"] = _type_of(config, obj.get("replacement_policy"))
    out["tags"] = tags.get("type") if tags else None
    idx = tags.get("indexing_policy") if tags else None
    out["indexing_policy"] = _type_of(config, idx)
    pf = obj.get("prefetcher")
    if isinstance(pf, str):
        pf = find_object(config, pf)
    out["prefetcher"] = ({"type": pf.get("type"), "params": _scalar_params(pf)}
                         if isinstance(pf, dict) else None)
    out["clock"] = _clock_of(config, obj)
    return out


_XBAR_KEYS = ("width", "frontend_latency", "forward_latency", "response_latency",
              "header_latency", "snoop_response_latency", "point_of_coherency",
              "point_of_unification", "max_outstanding_snoops", "max_routing_table_size",
              "use_default_range")


def _xbar_params(config: dict, path: str):
    obj = find_object(config, path)
    if obj is None:
        return None
    out = {"path": obj.get("path", path), "type": obj.get("type")}
    for k in _XBAR_KEYS:
        if k in obj:
            out[k] = obj[k]
    sf = obj.get("snoop_filter")
    out["snoop_filter"] = ({"type": sf.get("type"), **_scalar_params(sf)}
                           if isinstance(sf, dict) else None)
    out["clock"] = _clock_of(config, obj)
    return out


# gem5 DRAM interface classes recognisable from their parameters
# (config.json records only the C++ type, DRAMInterface)
_DRAM_SIGNATURES = {
    "DDR4_2400_8x8": dict(tCK=833, device_bus_width=8, devices_per_rank=8, burst_length=8,
                          device_rowbuffer_size=1024, bank_groups_per_rank=4,
                          banks_per_rank=16, tCL=14160, tRCD=14160, tRP=14160,
                          tRAS=32000, tBURST=3332),
}


def _memory_params(config: dict, path: str = "system.mem_ctrl"):
    ctrl = find_object(config, path)
    if ctrl is None:
        return None
    out = {"path": ctrl.get("path", path), "type": ctrl.get("type"),
           "ctrl": _scalar_params(ctrl), "clock": _clock_of(config, ctrl)}
    for child in ("dram", "nvm"):
        iface = ctrl.get(child)
        if isinstance(iface, dict):
            params = _scalar_params(iface)
            model = None
            for name, sig in _DRAM_SIGNATURES.items():
                if all(params.get(k) == v for k, v in sig.items()):
                    model = name
            out[child] = {"type": iface.get("type"), "model": model, "params": params}
    return out


def _ranges(value) -> list[tuple[int, int]]:
    """gem5 AddrRange strings ``"start:end"`` (end exclusive) -> tuples."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    out = []
    for r in value:
        if isinstance(r, str) and ":" in r:
            a, b = r.split(":", 1)
            out.append((int(a, 0), int(b, 0)))
        elif isinstance(r, (list, tuple)) and len(r) == 2:
            out.append((int(r[0]), int(r[1])))
    return out


def cache_hierarchy(config: dict) -> dict:
    """The parameters of the reference system as plain dicts (gem5 names and
    units: sizes in bytes, cache/xbar latencies in cycles, memory-controller
    latencies and DRAM timings in ticks, ``clock`` = period in ticks)."""
    system = config.get("system", config)
    cpu = find_object(config, "system.cpu")
    clock = _clock_of(config, {"clk_domain": "system.clk_domain"})
    return {
        "cache_line_size": system.get("cache_line_size"),
        "mem_mode": system.get("mem_mode"),
        "mem_ranges": _ranges(system.get("mem_ranges")),
        "clock": clock,
        "frequency_hz": (10**12 / clock) if clock else None,
        "cpu": ({"type": cpu.get("type"), "cxx_class": cpu.get("cxx_class"),
                 "clock": _clock_of(config, cpu)} if cpu else None),
        "l1i": _cache_params(config, "system.cpu.icache"),
        "l1d": _cache_params(config, "system.cpu.dcache"),
        "l2": _cache_params(config, "system.l2"),
        "l2bus": _xbar_params(config, "system.l2bus"),
        "membus": _xbar_params(config, "system.membus"),
        "memory": _memory_params(config),
    }


# --------------------------------------------------------------------------
# one kernel folder
# --------------------------------------------------------------------------


def _read_roi(path: Path) -> tuple[int, int]:
    values = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ReferenceDataError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise ReferenceDataError(f"{path}: byte {e.start}: not UTF-8 text") from None
    for lineno, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 2:
            raise ReferenceDataError(f"{path}: line {lineno}: expected 'key tick', got {line!r}")
        try:
            values[parts[0]] = int(parts[1], 0)
        except ValueError:
            raise ReferenceDataError(f"{path}: line {lineno}: {parts[1]!r} is not a tick") from None
    try:
        begin, end = values["begin_tick"], values["end_tick"]
    except KeyError as e:
        raise ReferenceDataError(f"{path}: missing {e.args[0]}") from None
    if not 0 <= begin <= end:
        raise ReferenceDataError(f"{path}: region of interest from tick {begin} to tick {end}: "
                                 f"ticks must be >= 0 and begin_tick <= end_tick")
    return begin, end


class ReferenceRun:
    """One reference kernel folder.  Everything is loaded on first access."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise ReferenceDataError(f"{self.path}: reference kernel folder does not exist")
        self.name = self.path.name

    def __repr__(self) -> str:
        return f"ReferenceRun({str(self.path)!r})"

    # files
    def file(self, name: str) -> Path:
        p = self.path / name
        if not p.exists():
            raise ReferenceDataError(f"{p}: missing from the reference folder")
        return p

    @property
    def request_trace_path(self) -> Path:
        return self.file("trace.l1d.pb.gz")

    @property
    def response_trace_path(self) -> Path:
        return self.file("trace.l1d.resp.pb.gz")

    @property
    def request_csv_path(self) -> Path:
        return self.file("trace.l1d.csv.gz")

    @cached_property
    def args(self) -> list[str]:
        return self.file("args.txt").read_text().split()

    @cached_property
    def roi(self) -> tuple[int, int]:
        return _read_roi(self.file("roi.txt"))

    @property
    def roi_begin(self) -> int:
        return self.roi[0]

    @property
    def roi_end(self) -> int:
        return self.roi[1]

    # traces
    @cached_property
    def request_trace(self) -> Trace:
        return read_gem5_trace(self.request_trace_path)

    @cached_property
    def response_trace(self) -> Trace:
        return read_gem5_trace(self.response_trace_path)

    @property
    def requests(self) -> np.ndarray:
        """Every request the core sent to L1D in the ROI (PACKET_DTYPE)."""
        return self.request_trace.packets

    @property
    def responses(self) -> np.ndarray:
        return self.response_trace.packets

    @cached_property
    def think(self) -> np.ndarray:
        """think[i] = tick(request i+1) - tick(response i), len = requests - 1."""
        return think_times(self.request_trace, self.response_trace)

    # memory
    @cached_property
    def memory_image(self) -> MemoryImage:
        return load_memory_image(self.path)

    @property
    def memory_chunks(self) -> list[MemoryChunk]:
        """[(physical_address, bytes), ...] of the kernel's arrays."""
        return self.memory_image.chunks

    # results
    @cached_property
    def summary(self) -> pd.DataFrame:
        path = self.file("summary.csv")
        try:
            return pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
            raise ReferenceDataError(f"{path}: not a readable CSV ({e})") from None

    @cached_property
    def stats_files(self) -> dict[str, Path]:
        """``"<prefetcher>-<level>"`` -> path of gem5's stats.txt for that run."""
        d = self.path / "stats"
        if not d.is_dir():
            raise ReferenceDataError(f"{d}: missing stats folder")
        return {p.stem: p for p in sorted(d.glob("*.txt"))}

    def stats_path(self, prefetcher: str, level: str = "l2") -> Path:
        key = f"{prefetcher.lower()}-{level.lower()}"
        try:
            return self.stats_files[key]
        except KeyError:
            raise ReferenceDataError(f"{self.path / 'stats'}: no run {key!r}; runs are "
                                 f"{sorted(self.stats_files)}") from None

    def stats(self, prefetcher: str, level: str = "l2") -> pd.DataFrame:
        """gem5's stats of one run (one row)."""
        from npusim.analysis.stats_reader import read_stats
        return read_stats(self.stats_path(prefetcher, level))

    @property
    def runs(self) -> list[tuple[str, str]]:
        """(prefetcher, level) of every stats file."""
        return [tuple(k.rsplit("-", 1)) for k in self.stats_files]

    # configuration
    @cached_property
    def config(self) -> dict:
        """gem5's config.json of the traced run, as loaded."""
        path = self.file("config.json")
        config = load_json(path, ReferenceDataError, "gem5's config.json")
        if not isinstance(config, dict):
            raise ReferenceDataError(f"{path}: expected gem5's config.json object, "
                                     f"found a JSON {type(config).__name__}")
        return config

    @cached_property
    def hierarchy(self) -> dict:
        """Cache hierarchy parameters as plain dicts, see :func:`cache_hierarchy`."""
        return cache_hierarchy(self.config)


def load_reference(kernel, root=None) -> ReferenceRun:
    """A reference kernel by folder path or by name under the reference root
    (``load_reference("spmv_csr")``)."""
    p = Path(kernel)
    if p.is_dir() and (p / "roi.txt").exists():
        return ReferenceRun(p)
    base = Path(root) if root is not None else reference_root()
    q = base / str(kernel)
    if q.is_dir():
        return ReferenceRun(q)
    try:
        names = list_kernels(base)
    except ReferenceDataError:
        names = []
    raise ReferenceDataError(f"{q}: no reference kernel {str(kernel)!r} "
                         f"(kernels under {base}: {names})")
