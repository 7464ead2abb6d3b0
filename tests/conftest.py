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
