import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long tests, run with -m slow")
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU")
    config.addinivalue_line("markers", "browser: drives headless Chromium")


@pytest.fixture
def out_dir(tmp_path):
    "A folder for outputs that a person may want to look at (kept under test-output/ when TEMVP_KEEP is set)."
    if os.environ.get("TEMVP_KEEP"):
        d = ROOT / "test-output" / tmp_path.name
        d.mkdir(parents=True, exist_ok=True)
        return d
    return tmp_path


@pytest.fixture
def tiny_store(tmp_path):
    """Make the tests' one tiny store (tests/tiny.py): `tiny_store()` gives tmp_path/tiny.zarr, crops of video 'v'
    (40 frames of 16x16 drifting fringes) with clips for n_f=2, n_s=1; keywords as `tiny.tiny_store`
    (size, n_frames, labels_, n_f, n_s, period, noise, fade_first, seed, chunk; name= for a second store)."""
    from tiny import tiny_store as make

    def build(name="tiny.zarr", **kw):
        return make(tmp_path / name, **kw)
    return build


@pytest.fixture(scope="module")
def sync_playwright():
    "Playwright's sync API, or a skip when Debian's chromium or playwright is missing (browser tests)."
    from browser import CHROMIUM
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed; pip install playwright (never `playwright install`)")
    return sync_playwright
