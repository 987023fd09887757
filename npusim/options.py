"""gem5's ``m5.options``: what the command line chose, for config scripts
that write files of their own (``os.path.join(m5.options.outdir, ...)``)."""

from __future__ import annotations

from . import simulation

# option name -> how to read it now (set by `npusim -d ... --stats-file ...`)
_OPTIONS = {
    "outdir": simulation.outdir,
    "stats_file": lambda: simulation.output_file("stats"),
    "dump_config": lambda: simulation.output_file("config_ini"),
    "json_config": lambda: simulation.output_file("config_json"),
}


def __getattr__(name: str):
    if name in _OPTIONS:
        return _OPTIONS[name]()
    raise AttributeError(f"npusim.options has no option {name!r} (it has {', '.join(sorted(_OPTIONS))})")


def __dir__():
    return sorted(_OPTIONS)
