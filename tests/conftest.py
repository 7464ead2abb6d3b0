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
