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


# ---- every third-party import of temvp/ is declared, and the optional ones are imported only where used ----
import ast  # noqa: E402
import configparser  # noqa: E402
import re  # noqa: E402
from importlib.metadata import packages_distributions  # noqa: E402

# imported without being declared, and why that is right
UNDECLARED_OK = {"IPython": "viz only calls it inside a running IPython shell, which brings it"}


def _declared():
    "({distribution: 'core' or extra name}) from settings.ini, names normalised as pip does."
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini", encoding="utf-8")
    d = cfg["DEFAULT"]
    norm = lambda req: re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower().replace("_", "-")  # noqa: E731
    out = {}
    for key, where in [("requirements", "core")] + [(k, k[len("extra_"):]) for k in d if k.startswith("extra_")]:
        for req in d[key].split():
            out.setdefault(norm(req), where)
    return out


def _imports():
    "(module file, top-level package, lazy) of every absolute import in temvp/*.py; lazy: inside a function."
    out = []
    for path in sorted((ROOT / "temvp").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lazy_nodes = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                      for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            out += [(path.name, n.split(".")[0], id(node) in lazy_nodes) for n in names]
    return out


def test_every_third_party_import_is_declared():
    declared, dists = _declared(), packages_distributions()
    missing = set()
    for fname, mod, _ in _imports():
        if mod in sys.stdlib_module_names or mod in ("temvp", "__future__") or mod in UNDECLARED_OK:
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(mod, [mod])}
        if not names & set(declared):
            missing.add(f"{fname}: import {mod} (distribution {sorted(names)})")
    assert not missing, "imports not declared in settings.ini (requirements or an extra_*):\n" + "\n".join(sorted(missing))


def test_optional_packages_are_imported_lazily():
    "A module that imports an extra's package at its top would fail to import on a plain `pip install temvp`."
    declared, dists = _declared(), packages_distributions()
    bad = []
    for fname, mod, lazy in _imports():
        extras = {declared.get(d.lower().replace("_", "-")) for d in dists.get(mod, [])} - {None}
        if extras and "core" not in extras and not lazy:
            bad.append(f"{fname}: `import {mod}` at module level needs the extra {sorted(extras)}")
    assert not bad, "\n".join(bad)


def test_wheel_declares_the_extras(wheel):
    meta = zipfile.ZipFile(wheel).read("temvp-0.1.0.dist-info/METADATA").decode()
    extras = set(re.findall(r"^Provides-Extra: (\S+)$", meta, re.M))
    assert extras >= {"formats", "cluster", "jupyter", "all", "dev"}, extras
    reqs = re.findall(r"^Requires-Dist: (.+)$", meta, re.M)
    core = {r.split(";")[0] for r in reqs if ";" not in r}
    assert not any(r.startswith(("rosettasciio", "h5py", "distributed", "ipywidgets")) for r in core), core
    dev = {r.split(";")[0].strip() for r in reqs if 'extra == "dev"' in r}
    every = {r.split(";")[0].strip() for r in reqs if "extra ==" in r and 'extra == "dev"' not in r}
    assert every <= dev, f"`pip install -e .[dev]` (.ci/setup) must bring every extra: {every - dev} missing"


def test_missing_formats_extra_names_the_fix(tmp_path):
    "Without rosettasciio, `temvp ingest a.dm3` names the extra to install, not a corrupt file."
    (tmp_path / "a.dm3").write_bytes(b"not a real dm3")
    code = ("import sys; sys.modules['rsciio'] = None; from temvp.cli import main; "
            "sys.exit(main(['ingest', 'a.dm3', '--store', 's.zarr']))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "temvp[formats]" in p.stderr, p.stderr[-2000:]
