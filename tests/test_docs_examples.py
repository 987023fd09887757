"""README.md cannot drift from the code: its ```python config-script blocks
are taken out of the page and run as a user would run them.

- with the `npusim` command (`python -m npusim.cli script.py`): the script
  finishes with the cause the README's example prints, and the command
  writes config.ini, config.json, a non-empty stats.txt and stats.json into
  -d OUTDIR, as "Running" says;
- under plain `python`, with `npusim.stats.dump()` appended, as the README
  says such a script must do: stats.txt holds the same run.

num_requests is lowered by text substitution to keep the test short."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```", re.S | re.M)
SMALL = 5000


def readme_blocks() -> list:
    return [m["code"] for m in BLOCK.finditer(README.read_text())]


def small(code: str) -> str:
    return re.sub(r"num_requests=\d+", f"num_requests={SMALL}", code)


def run(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def stat(stats_txt: Path, name: str) -> float:
    for line in stats_txt.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == name:
            return float(parts[1])
    raise AssertionError(f"{stats_txt} has no {name}")


def test_the_readme_has_a_config_script():
    blocks = readme_blocks()
    assert blocks, "README.md lost its ```python config-script example"
    assert all("npusim.instantiate()" in b and "npusim.simulate()" in b for b in blocks)


@pytest.mark.parametrize("index", range(len(readme_blocks())))
def test_readme_config_script_runs_with_the_npusim_command(tmp_path, index):
    script = tmp_path / "script.py"
    script.write_text(small(readme_blocks()[index]))
    res = run(["-m", "npusim.cli", "-d", "out", str(script)], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "system.cpu finished"
    out = tmp_path / "out"
    for name in ("config.ini", "config.json", "stats.txt", "stats.json"):
        assert (out / name).is_file(), f"{name} not written"
    assert stat(out / "stats.txt", "simTicks") > 0
    assert stat(out / "stats.txt", "system.l2.demandAccesses::total") == SMALL
    assert json.loads((out / "stats.json").read_text())["dumps"]


@pytest.mark.parametrize("index", range(len(readme_blocks())))
def test_readme_config_script_runs_under_plain_python_with_a_dump(tmp_path, index):
    script = tmp_path / "script.py"
    script.write_text(small(readme_blocks()[index]) + "npusim.stats.dump()\n")
    res = run([str(script)], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "system.cpu finished"
    assert stat(tmp_path / "m5out" / "stats.txt", "system.l2.demandAccesses::total") == SMALL
