"""The npusim command: ``npusim [-d OUTDIR] CONFIG.py [ARGS...]``, as gem5.opt."""

from __future__ import annotations

import argparse
import os
import runpy
import sys


def _describe_default(desc):
    from .objects.base import SimObject
    if not desc.has_default():
        return "(required)"
    value = desc.default
    if isinstance(value, SimObject):
        # the values set on the default instance (e.g. SnoopFilter(lookup_latency=0))
        args = ", ".join(f"{k}={v!r}" for k, v in value._values.items() if not isinstance(v, SimObject))
        return f"{type(value).__name__}({args})"
    return repr(value)


def list_objects(out=sys.stdout):
    from . import _core
    from .objects import all_classes
    registered = set(_core.registered_types())
    for name, cls in sorted(all_classes().items()):
        kind = "abstract" if cls.abstract else f"C++ {cls.type}" + ("" if cls.type in registered else " (not built)")
        doc = (cls.__doc__ or "").strip().splitlines()
        print(f"{name:32} {kind:28} {doc[0] if doc else ''}", file=out)


def describe(name: str, out=sys.stdout) -> int:
    from .objects import all_classes, not_in_npusim, similar_names
    classes = all_classes()
    if name not in classes:
        why = not_in_npusim(name)
        close = similar_names(name)
        print(f"npusim: no SimObject named {name!r}" + (f": {why}" if why else "")
              + (f"; did you mean {', '.join(close)}?" if close else ""), file=sys.stderr)
        return 1
    cls = classes[name]
    bases = [b.__name__ for b in cls.__mro__[1:] if hasattr(b, "_params")]
    print(f"{name}" + (f" ({' <- '.join(bases)})" if bases else ""), file=out)
    if cls.__doc__:
        print("  " + " ".join(cls.__doc__.split()), file=out)
    print(f"  C++ type: {cls.type}{' (abstract)' if cls.abstract else ''}", file=out)
    print("  Parameters:", file=out)
    for pname, desc in cls._params.items():
        print(f"    {pname:28} {desc.type_name:24} default {_describe_default(desc):20} {desc.doc}", file=out)
    if cls._ports:
        print("  Ports:", file=out)
        for pname, desc in cls._ports.items():
            print(f"    {pname:28} {desc.kind:24} {desc.doc}", file=out)
    return 0


def _redirect(parser, stream, option: str, path: str) -> None:
    """Points the process's stdout or stderr (the C++ side's too) at `path`, as gem5's -r/-e."""
    print(f"Redirecting {'stdout' if stream is sys.stdout else 'stderr'} to {path}", file=stream)
    stream.flush()
    try:
        target = open(path, "w")
    except OSError as err:
        parser.error(f"{option} {path!r}: cannot write it ({err.strerror})")
    with target:
        os.dup2(target.fileno(), stream.fileno())


def _unwritable(path) -> str | None:
    """Why a file cannot be written at `path`, or None if it can (or no path is given)."""
    if not path:
        return None
    existed = os.path.exists(path)
    try:
        open(path, "a").close()
    except OSError as err:
        return err.strerror
    if not existed:
        os.remove(path)
    return None


def _refuse_shared_output_files(parser, opts) -> None:
    """Two outputs naming one file would overwrite each other silently."""
    from .simulation import output_files_named, shared_output_file
    outputs = output_files_named({"stats": "--stats-file", "stats_json": "--stats-file's JSON twin",
                                  "config_ini": "--dump-config", "config_json": "--json-config"})
    if opts.redirect_stdout:
        outputs.append(("--stdout-file", os.path.join(opts.outdir, opts.stdout_file)))
    if opts.redirect_stderr:
        outputs.append(("--stderr-file", os.path.join(opts.outdir, opts.stderr_file)))
    if clash := shared_output_file(outputs):
        parser.error(clash)


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`npusim --list-sim-objects | head`): stop
        # quietly, as a Unix tool does, instead of with a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="npusim", description="Run an npusim config script (gem5 style).")
    parser.add_argument("-d", "--outdir", default="m5out", help="directory for stats.txt, stats.json, config.json")
    # gem5's names and defaults for the output files; relative to --outdir.
    parser.add_argument("--stats-file", metavar="FILE", default="stats.txt",
                        help="statistics file (stats.json goes beside it, with the same name), or gem5's URL form "
                             "text://FILE?desc=False&spaces=False [default: stats.txt]")
    parser.add_argument("--dump-config", metavar="FILE", default="config.ini",
                        help="configuration in gem5's config.ini layout; empty for none [default: config.ini]")
    parser.add_argument("--json-config", metavar="FILE", default="config.json",
                        help="configuration as JSON; empty for none [default: config.json]")
    parser.add_argument("-r", "--redirect-stdout", action="store_true", help="redirect stdout to --stdout-file")
    parser.add_argument("-e", "--redirect-stderr", action="store_true", help="redirect stderr to --stderr-file")
    parser.add_argument("--stdout-file", metavar="FILE", default="simout.txt",
                        help="file for -r [default: simout.txt]")
    parser.add_argument("--stderr-file", metavar="FILE", default="simerr.txt",
                        help="file for -e [default: simerr.txt]")
    parser.add_argument("--list-objects", action="store_true", help="list every SimObject type and exit")
    parser.add_argument("--describe", metavar="NAME", help="show a SimObject's parameters and ports and exit")
    parser.add_argument("--list-sim-objects", action="store_true",
                        help="describe every SimObject type, its params and defaults, and exit (gem5's option)")
    parser.add_argument("--debug-flags", metavar="FLAGS", help="comma-separated debug flags to enable (see --debug-help)")
    parser.add_argument("--debug-start", metavar="TICK", type=int, default=0, help="start tracing at this tick")
    parser.add_argument("--debug-end", metavar="TICK", type=int, default=None, help="stop tracing at this tick")
    parser.add_argument("--debug-file", metavar="FILE", default="cout",
                        help="trace output file, relative to the output directory (default: cout, stdout)")
    parser.add_argument("--debug-help", action="store_true", help="list the debug flags and exit")
    parser.add_argument("script", nargs="?", help="the config script")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the config script")
    opts = parser.parse_args(argv)

    if opts.list_objects:
        list_objects()
        return 0
    if opts.describe:
        return describe(opts.describe)
    if opts.list_sim_objects:
        from .objects import all_classes
        for name in sorted(all_classes()):
            describe(name)
            print()
        return 0
    if opts.debug_help:
        from . import debug
        for name, doc in debug.flags().items():
            print(f"    {name:16} {doc}")
        return 0
    if not opts.script:
        parser.error("a config script is required")
    if not os.path.isfile(opts.script):
        parser.error(f"config script {opts.script!r} not found")

    import npusim
    from .simulation import output_file, output_path, set_outdir, set_output_files
    set_outdir(opts.outdir)
    try:
        set_output_files(stats=opts.stats_file, config_ini=opts.dump_config, config_json=opts.json_config)
    except ValueError as err:   # an empty name, or a stats URL npusim cannot write
        parser.error(f"--stats-file: {err}")
    try:
        os.makedirs(opts.outdir, exist_ok=True)
    except OSError as err:   # a file of that name, no permission: say which option, not a traceback
        parser.error(f"-d {opts.outdir!r}: cannot use it as the output directory ({err.strerror})")
    for option, key in (("--stats-file", "stats"), ("--dump-config", "config_ini"), ("--json-config", "config_json")):
        if problem := _unwritable(output_path(key)):   # found now, not at instantiate() after the script's work
            parser.error(f"{option} {output_file(key)!r}: cannot write {output_path(key)!r} ({problem})")
    _refuse_shared_output_files(parser, opts)
    for wanted, option, name, stream in ((opts.redirect_stdout, "--stdout-file", opts.stdout_file, sys.stdout),
                                         (opts.redirect_stderr, "--stderr-file", opts.stderr_file, sys.stderr)):
        if wanted:
            _redirect(parser, stream, option, os.path.join(opts.outdir, name))
    if opts.debug_flags:
        from . import debug
        try:
            debug.set_flags(opts.debug_flags)
            debug.set_window(opts.debug_start, opts.debug_end)
            path = opts.debug_file
            debug.set_file(path if path == "cout" or os.path.isabs(path) else os.path.join(opts.outdir, path))
        except (ValueError, npusim.SimulationError) as err:
            parser.error(str(err))
    sys.argv = [opts.script] + list(opts.args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(opts.script)))
    try:
        runpy.run_path(opts.script, run_name="__main__")
    except (npusim.ParamError, npusim.SimulationError) as err:
        print(f"npusim: error: {err}", file=sys.stderr)
        return 1
    except SystemExit as ex:
        code = ex.code if isinstance(ex.code, int) else (0 if ex.code is None else 1)
        if ex.code not in (None, 0) and not isinstance(ex.code, int):
            print(ex.code, file=sys.stderr)
        if code:
            return code
    # As gem5 does at exit, write the final statistics of an instantiated run.
    if npusim.stats.active():
        npusim.stats.dump()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
