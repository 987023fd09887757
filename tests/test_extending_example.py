"""docs/extending.md cannot rot: its code blocks are taken out of the page
and checked here.

- the C++ it shows is src/mem/cache/prefetch/next_line.cc, byte for byte, and
  the Python declaration it shows is in npusim/objects/prefetch.py;
- its unit test, written to a file of its own, passes as printed;
- its C++ under a new name (DocNextLine / DocNextLinePrefetcher) compiles
  as a stand-alone plugin file against the public headers only;
- with NPUSIM_SLOW_TESTS=1: a copy of the tree plus exactly two new files
  (the renamed C++ in src_ext/doc_example/ and the renamed declaration as a
  new module of npusim/objects/) builds, and the doc's unit test, renamed,
  passes against that build -- one C++ file and one Python declaration, no
  other edit."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "extending.md"
MARK = re.compile(r"<!-- doc-test: (?P<kind>[\w-]+)(?: (?P<arg>\S+))? -->\s*\n```(?P<lang>\w*)\n(?P<code>.*?)^```",
                  re.S | re.M)


def doc_blocks() -> dict:
    """{(kind, arg): code} of the marked fenced blocks of the page."""
    out = {}
    for m in MARK.finditer(DOC.read_text()):
        out[(m["kind"], m["arg"])] = m["code"]
    return out


def block(kind, arg=None) -> str:
    blocks = doc_blocks()
    assert (kind, arg) in blocks, f"docs/extending.md lost its '<!-- doc-test: {kind} {arg or ''} -->' block"
    return blocks[kind, arg]


def renamed_cpp() -> str:
    code = block("file", "src/mem/cache/prefetch/next_line.cc")
    code = re.sub(r"\bNextLinePrefetcher\b", "DocNextLinePrefetcher", code)
    return re.sub(r"\bNextLine\b", "DocNextLine", code)


def renamed_module() -> str:
    decl = block("excerpt", "npusim/objects/prefetch.py")
    return block("module-header") + "\n\n" + re.sub(r"\bNextLinePrefetcher\b", "DocNextLinePrefetcher", decl)


def renamed_test() -> str:
    return re.sub(r"\bNextLinePrefetcher\b", "DocNextLinePrefetcher", block("test"))


def run_pytest(test_file: Path, env=None):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                          cwd=test_file.parent, capture_output=True, text=True, env=env, timeout=600)


def test_the_page_has_its_blocks():
    kinds = set(doc_blocks())
    assert kinds == {("file", "src/mem/cache/prefetch/next_line.cc"), ("excerpt", "npusim/objects/prefetch.py"),
                     ("module-header", None), ("test", None)}


def test_cpp_shown_is_the_file_in_the_tree():
    assert block("file", "src/mem/cache/prefetch/next_line.cc") == \
        (ROOT / "src/mem/cache/prefetch/next_line.cc").read_text()


def test_declaration_shown_is_the_one_in_the_tree():
    assert block("excerpt", "npusim/objects/prefetch.py") in (ROOT / "npusim/objects/prefetch.py").read_text()


def test_module_header_and_declaration_make_a_module(tmp_path):
    # the renamed declaration with the documented imports defines a new type
    # (in a process of its own, so that no other test sees the extra class;
    # not instantiated: its C++ is only in the slow test's build)
    mod = tmp_path / "doc_next_line.py"
    mod.write_text(renamed_module())
    code = ("import runpy, sys; ns = runpy.run_path(sys.argv[1]); c = ns['DocNextLinePrefetcher']; "
            "from npusim.objects import all_classes; "
            "print(c.type, 'degree' in c._params, 'queue_size' in c._params, all_classes()[c.type] is c)")
    out = subprocess.run([sys.executable, "-c", code, str(mod)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["DocNextLinePrefetcher", "True", "True", "True"]


def test_documented_unit_test_passes(tmp_path):
    f = tmp_path / "test_next_line.py"
    f.write_text(block("test"))
    out = run_pytest(f)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"\b4 passed\b", out.stdout), out.stdout


def _compiler():
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_compiler() is None, reason="no C++ compiler")
def test_documented_cpp_compiles_as_a_new_plugin_file(tmp_path):
    src = tmp_path / "src_ext" / "doc_example" / "doc_next_line.cc"
    src.parent.mkdir(parents=True)
    src.write_text(renamed_cpp())
    out = subprocess.run([_compiler(), "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wno-unused-parameter",
                          f"-I{ROOT / 'src' / 'include'}", str(src)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr, out.stderr


@pytest.mark.skipif(os.environ.get("NPUSIM_SLOW_TESTS") != "1", reason="builds the whole module: NPUSIM_SLOW_TESTS=1")
def test_two_new_files_and_no_other_edit_make_a_working_prefetcher(tmp_path):
    import pybind11
    tree = tmp_path / "tree"
    files = subprocess.run(["git", "ls-files", "-z", "CMakeLists.txt", "src", "src_ext", "npusim"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tree / rel)
    # the two new files, and nothing else
    (tree / "src_ext" / "doc_example").mkdir(parents=True, exist_ok=True)
    (tree / "src_ext" / "doc_example" / "doc_next_line.cc").write_text(renamed_cpp())
    (tree / "npusim" / "objects" / "doc_next_line.py").write_text(renamed_module())

    bindir = Path(sys.executable).parent
    build = tmp_path / "build"
    cfg = subprocess.run([str(bindir / "cmake"), "-S", str(tree), "-B", str(build), "-G", "Ninja",
                          "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}",
                          f"-Dpybind11_DIR={pybind11.get_cmake_dir()}", f"-DCMAKE_MAKE_PROGRAM={bindir / 'ninja'}"],
                         capture_output=True, text=True)
    assert cfg.returncode == 0, cfg.stdout + cfg.stderr
    out = subprocess.run([str(bindir / "cmake"), "--build", str(build), "-j", "2"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (so,) = build.glob("_core*.so")
    shutil.copy2(so, tree / "npusim" / so.name)

    env = dict(os.environ, PYTHONPATH=str(tree))
    where = subprocess.run([sys.executable, "-c", "import npusim, npusim._core as c; print(npusim.__file__); "
                            "print('DocNextLinePrefetcher' in c.registered_types())"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert where.stdout.split() == [str(tree / "npusim" / "__init__.py"), "True"], where.stdout + where.stderr
    test = tmp_path / "t" / "test_doc_next_line.py"
    test.parent.mkdir()
    test.write_text(renamed_test())
    res = run_pytest(test, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"\b4 passed\b", res.stdout), res.stdout
