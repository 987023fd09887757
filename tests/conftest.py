import pytest

import npusim


@pytest.fixture(autouse=True)
def _fresh_simulation(tmp_path, monkeypatch):
    """Every test starts with an empty kernel and writes into its own m5out."""
    npusim.reset()
    npusim.simulation.set_outdir(str(tmp_path / "m5out"))
    yield
    npusim.reset()
