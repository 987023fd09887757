"""Assembles docs/prefetchers.md from the per-prefetcher pages
docs/prefetchers/<ClassName>.md, in a fixed order (gem5's list, then any
other page alphabetically), with an index table at the top.

    .venv/bin/python scripts/build_prefetcher_docs.py           # rewrite docs/prefetchers.md
    .venv/bin/python scripts/build_prefetcher_docs.py --check   # exit 1 if it is out of date or a page is missing
    .venv/bin/python scripts/build_prefetcher_docs.py --rev HEAD   # from the committed pages only

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
import os
import posixpath
import re
import subprocess
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
NO_PAPER = {"MultiPrefetcher", "NextLinePrefetcher"}   # no paper to cite
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


def read_pages(pages: Path = PAGES, rev: str | None = None) -> dict[str, str]:
    """{class name: page text} from the folder, or from a git revision of it."""
    if rev is None:
        return {p.stem: p.read_text() for p in sorted(pages.glob("*.md"))} if pages.is_dir() else {}
    rel = os.path.relpath(pages, ROOT)
    names = subprocess.run(["git", "ls-tree", "--name-only", f"{rev}:{rel}"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    return {Path(n).stem: subprocess.run(["git", "show", f"{rev}:{rel}/{n}"], cwd=ROOT, capture_output=True,
                                         text=True, check=True).stdout
            for n in names if n.endswith(".md")}


def ordered_pages(present) -> tuple[list[str], list[str]]:
    """(class names with a page, in index order; required names without one)."""
    present = set(present)
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


def _paragraph(text: str, label_rx: str) -> str:
    """The paragraph (outside code) whose first line matches label_rx, joined;
    a label alone on its paragraph takes the next paragraph (or list item)."""
    para, fenced, hit = [], False, False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if hit and para and re.match(r"^\s*[-*] ", line) and len(para) > 1:
            break                               # the next list item
        if not line.strip():
            if hit and (len(para) > 1 or not re.fullmatch(r"\*\*[^*]+\*\*", para[0])):
                break
            if not hit:
                para = []
            continue
        if not para and re.match(label_rx, line.strip(), re.I):
            hit = True
        para.append(line.strip())
    return " ".join(para) if hit else ""


def summary(text: str) -> str:
    """What the page says the prefetcher learns, first sentence (for the index)."""
    para = (_paragraph(text, r"\*\*What it (learns|does)\b") or
            _paragraph(text, r"[A-Za-z]"))
    para = re.sub(r"^\*\*What it (learns|does)\.?\*\*\s*", "", para)
    para = re.sub(r"^[-*]\s+", "", para)
    first = re.split(r"(?<=[.!?])\s", para, maxsplit=1)[0]
    first = first.replace("|", "\\|")
    return first if len(first) <= 180 else first[:177].rstrip() + "..."


def storage(text: str) -> str:
    """The storage budget the page states: its total, else the first figure
    of its storage paragraph."""
    m = re.search(r"\*\*Total ([\d,.]+ ?(?:B|bytes|KiB|MiB))", text)
    if m:
        return m[1].replace("bytes", "B")
    para = _paragraph(text, r"\*\*Storage")
    m = re.search(r"([\d,.]+) ?(B|bytes|KiB|MiB)\b", para)
    return f"{m[1]} {m[2].replace('bytes', 'B')}" if m else ""


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
        if what == "paper" and name in NO_PAPER:
            continue
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


def build(texts: dict[str, str]) -> tuple[str, list[str], dict[str, list[str]]]:
    names, missing = ordered_pages(texts)
    gem5 = dict(ORDER)
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
        "access stream. A `degree` (IMP: `streaming_distance`) above 65,536 is refused: each access "
        "builds all its candidates before the queue drops those outside the page, as gem5's prefetchers do, "
        "so 2^31 would need tens of GiB of host memory.",
        "",
        "| prefetcher | what it learns | storage | gem5 reference runs |",
        "|---|---|---:|---|",
    ]
    for n in names:
        runs = f"`{gem5[n]}-l2`, `{gem5[n]}-l1d`" if gem5.get(n) and gem5[n] != "imp" else "none"
        learns = rewrite(summary(texts[n]), set(names)).strip()
        parts.append(f"| [{n}](#{anchor(n)}) | {learns} | {storage(texts[n])} | {runs} |")
    for n in missing:
        parts.append(f"| {n} | *(page docs/prefetchers/{n}.md not written yet)* | | |")
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
    p.add_argument("--rev", help="read the pages as committed in this git revision (e.g. HEAD) instead of the "
                                 "working tree, so that the output matches committed pages only")
    args = p.parse_args(argv)

    texts = read_pages(Path(args.pages), args.rev)
    text, missing, problems = build(texts)
    pages = ordered_pages(texts)[0]
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
