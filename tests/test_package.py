"""The wheel carries what temvp needs at run time: the bundled model and its card, the recipes; installed on its own
(no checkout beside it), it loads the model and finds the demo recipe."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                        str(ROOT)], capture_output=True, text=True)
    if p.returncode:
        pytest.fail(f"pip wheel failed:\n{p.stderr[-3000:]}")
    return next(out.glob("temvp-*.whl"))


def test_wheel_holds_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("temvp/weights/base.pt", "temvp/weights/base.json", "temvp/data/demo.json", "temvp/data/pretrain.json"):
        assert f in names, f"{f} is missing from {wheel.name}"


def test_installed_wheel_runs_without_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    code = ("import temvp, temvp.models, temvp.study; from pathlib import Path; "
            f"assert Path(temvp.__file__).parent == Path({str(target)!r}) / 'temvp', temvp.__file__; "
            "m = temvp.models.load('base'); assert m.config.anchor == 'mean'; "
            "assert temvp.study.load_recipe()['videos']; print('ok')")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-3000:]
