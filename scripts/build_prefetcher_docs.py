"""Assembles docs/prefetchers.md from the per-prefetcher pages
docs/prefetchers/<ClassName>.md, in a fixed order (gem5's list, then any
other page alphabetically), with an index table at the top.

    .venv/bin/python scripts/build_prefetcher_docs.py           # rewrite docs/prefetchers.md
    .venv/bin/python scripts/build_prefetcher_docs.py --check   # exit 1 if it is out of date or a page is missing

Each page's headings move one level down (its "# Title" becomes a "##"
section), relative links are rewritten for docs/, and links between pages
become links between sections. The script also lints each page against the
issue's checklist (what it learns, what it issues, parameters, storage
budget, paper) and against the Python declaration (every parameter the class
declares itself should be named on its page) and prints what is missing;
--strict makes that an error.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "prefetchers"
OUT = ROOT / "docs" / "prefetchers.md"

# The order of the index: gem5 v24's prefetchers as the issue lists them,
# then npusim's own. (class name, gem5 run name in the reference data or "")
ORDER = [
    ("TaggedPrefetcher", "tagged"),
    ("StridePrefetcher", "stride"),
    ("IndirectMemoryPrefetcher", "imp"),
    ("AMPMPrefetcher", "ampm"),
    ("DCPTPrefetcher", "dcpt"),
    ("BOPPrefetcher", "bop"),
    ("SBOOEPrefetcher", "sbooe"),
    ("SignaturePathPrefetcher", "spp"),
    ("SignaturePathPrefetcherV2", ""),
    ("SlimAMPMPrefetcher", "slimampm"),
    ("IrregularStreamBufferPrefetcher", "isb"),
    ("STeMSPrefetcher", "stems"),
    ("PIFPrefetcher", ""),
    ("MultiPrefetcher", ""),
    ("NextLinePrefetcher", ""),
]
REQUIRED = {"NextLinePrefetcher": False}     # pages whose absence is not an error
CHECKLIST = [
    ("what it learns", r"learn|train"),
    ("what it issues", r"issue|prefetch(es)? (the|a|lines)"),
    ("parameters", r"param"),
    ("storage budget in bytes", r"storage|budget|bytes"),
    ("paper", r"paper|micro|isca|hpca|asplos|et al\.|doi|\(19\d\d\)|\(20\d\d\)"),
]

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,5})(\s)")
LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def anchor(name: str) -> str:
    return name.lower()


def ordered_pages(pages: Path = PAGES) -> tuple[list[str], list[str]]:
    """(class names with a page, in index order; required names without one)."""
    present = {p.stem for p in pages.glob("*.md")} if pages.is_dir() else set()
    known = [n for n, _ in ORDER]
    names = [n for n in known if n in present] + sorted(present - set(known))
    missing = [n for n in known if n not in present and REQUIRED.get(n, True)]
    return names, missing


def rewrite(text: str, names: set[str]) -> str:
    """Headings one level down, links rebased from docs/prefetchers/ to docs/."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            line = HEADING.sub(lambda m: "#" + m[1] + m[2], line)

            def link(m):
                target = m[2]
                if re.match(r"^[a-z]+:|^#|^/", target):
                    return m[0]
                path, _, frag = target.partition("#")
                stem = Path(path).stem
                if Path(path).suffix == ".md" and posixpath.dirname(path) in ("", ".") and stem in names:
                    return f"{m[1]}#{anchor(stem)}{m[3]}"
                new = posixpath.normpath(posixpath.join("prefetchers", path))
                return f"{m[1]}{new}{'#' + frag if frag else ''}{m[3]}"
            line = LINK.sub(link, line)
        out.append(line)
    return "\n".join(out).strip() + "\n"


def summary(text: str) -> str:
    """The first prose paragraph of a page, as one line (for the index)."""
    para, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            if para:
                break
            continue
        if fenced:
            continue
        s = line.strip()
        if not s:
            if para:
                break
            continue
        if s.startswith(("#", "|", "<!--", ">")) or re.match(r"^[-*] ", s) and not para:
            if para:
                break
            continue
        para.append(s)
    text = " ".join(para)
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    first = first.replace("|", "\\|")
    return first if len(first) <= 200 else first[:197].rstrip() + "..."


def declared_params(name: str):
    """Parameters the class declares itself (not inherited), or None when it
    cannot be imported."""
    try:
        sys.path.insert(0, str(ROOT))
        from npusim.objects import all_classes
    except Exception:  # noqa: BLE001 - the lint is optional
        return None
    cls = all_classes().get(name)
    if cls is None:
        return None
    inherited = set()
    for base in cls.__mro__[1:]:
        inherited |= set(getattr(base, "_params", {}) or {})
    return [p for p in cls._params if p not in inherited]


def lint(name: str, text: str) -> list[str]:
    problems = []
    low = text.lower()
    for what, rx in CHECKLIST:
        if not re.search(rx, low):
            problems.append(f"says nothing about {what}")
    params = declared_params(name)
    if params is None:
        problems.append("has no Python declaration to check its parameters against")
    else:
        missing = [p for p in params if p not in text]
        if missing:
            problems.append("does not name the parameters " + ", ".join(missing))
    return problems


def build(pages: Path = PAGES) -> tuple[str, list[str], dict[str, list[str]]]:
    names, missing = ordered_pages(pages)
    gem5 = dict(ORDER)
    texts = {n: (pages / f"{n}.md").read_text() for n in names}
    parts = [
        "# Prefetchers",
        "",
        "<!-- Generated by scripts/build_prefetcher_docs.py from docs/prefetchers/*.md: edit those pages, "
        "then rerun the script. -->",
        "",
        "npusim's hardware prefetchers, under gem5's class names with gem5's parameter names and defaults. "
        "Attach one to a cache as in gem5 (`system.l2.prefetcher = StridePrefetcher()`); "
        "`npusim --describe <ClassName>` lists its parameters. Each section below says what the prefetcher "
        "learns, what it issues, its parameters, its storage budget in bytes and its paper. How close each "
        "one comes to gem5 on the reference kernels is in [validation.md](validation.md); how to add your own "
        "is in [extending.md](extending.md); `configs/examples/prefetcher_compare.py` runs them all on one "
        "access stream.",
        "",
        "| prefetcher | gem5 reference runs | summary |",
        "|---|---|---|",
    ]
    for n in names:
        runs = f"`{gem5[n]}-l2`, `{gem5[n]}-l1d`" if gem5.get(n) and gem5[n] != "imp" else "none"
        parts.append(f"| [{n}](#{anchor(n)}) | {runs} | {summary(texts[n])} |")
    for n in missing:
        parts.append(f"| {n} | | *(page docs/prefetchers/{n}.md not written yet)* |")
    parts.append("")
    for n in names:
        parts += [f'<a id="{anchor(n)}"></a>', "", rewrite(texts[n], set(names)).rstrip(), "",
                  f"*Source: [prefetchers/{n}.md](prefetchers/{n}.md)*", ""]
    problems = {n: lint(n, texts[n]) for n in names}
    return "\n".join(parts).rstrip() + "\n", missing, {n: p for n, p in problems.items() if p}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="do not write; fail if docs/prefetchers.md is stale "
                                                         "or a page is missing")
    p.add_argument("--strict", action="store_true", help="fail on lint problems too")
    p.add_argument("--output", default=str(OUT))
    p.add_argument("--pages", default=str(PAGES), help="folder of the per-prefetcher pages")
    args = p.parse_args(argv)

    text, missing, problems = build(Path(args.pages))
    pages = ordered_pages(Path(args.pages))[0]
    for n, probs in problems.items():
        for prob in probs:
            print(f"docs/prefetchers/{n}.md {prob}", file=sys.stderr)
    for n in missing:
        print(f"docs/prefetchers/{n}.md is missing", file=sys.stderr)
    out = Path(args.output)
    rc = 0
    if args.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is out of date: run scripts/build_prefetcher_docs.py",
                  file=sys.stderr)
            rc = 1
        if missing:
            rc = 1
    else:
        out.write_text(text)
        print(f"wrote {out} ({len(pages)} pages; missing: {', '.join(missing) or 'none'})")
    if args.strict and problems:
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
