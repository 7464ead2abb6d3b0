"""The `temvp` command end to end, as a user runs it."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

TEMVP = [str(Path(sys.executable).with_name("temvp"))]  # the console script installed beside python


def run(*args, ok=True):
    p = subprocess.run(TEMVP + [str(a) for a in args], capture_output=True, text=True, timeout=600)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


@pytest.mark.parametrize("cmd", ["demo", "synth", "ingest", "track", "clips", "info", "train", "sweep", "predict", "evaluate", "dashboard"])
def test_help(cmd):
    p = run(cmd, "--help")
    assert "usage: temvp " + cmd in p.stdout


def test_demo_small(tmp_path):
    p = run("demo", "--out", tmp_path, "--frames", "48", "--size", "256")
    assert "clip counts, Figure S2" in p.stdout
    store = tmp_path / "study.zarr"
    tree = xr.open_datatree(store, engine="zarr", consolidated=False)  # plain xarray, no temvp
    assert sorted(tree["crops"].children) == ["2nm", "4nm", "SL"]
    crops = xr.open_zarr(store, group="crops/2nm", consolidated=False).crops
    assert crops.shape == (48, 128, 128) and crops.dtype == np.float32
    assert abs(float(crops.mean())) < 1e-3 and abs(float(crops.std()) - 1) < 1e-3
    clips = xr.open_zarr(store, group="clips/SL", consolidated=False)
    assert set(clips.n_f.values) == {4, 6}
    # a second run keeps the videos and is quick
    p2 = run("demo", "--out", tmp_path, "--frames", "48", "--size", "256")
    assert p2.stdout.count("already in the store, kept") == 3


def test_ingest_then_track(tmp_path):
    import tifffile
    from temvp.synth import simulate
    video = simulate("2nm", n_frames=30, size=256, seed=5)
    tifffile.imwrite(tmp_path / "movie.tif", video.frames.values)
    store = tmp_path / "s.zarr"
    run("ingest", tmp_path / "movie.tif", "--store", store, "--label", "mine")
    bad = run("ingest", tmp_path / "movie.tif", "--store", store, "--label", "mine", ok=False)
    assert bad.returncode == 2 and "--replace" in bad.stderr
    run("track", store, "--window", "64")
    trk = xr.open_zarr(store, group="tracks/mine", consolidated=False)
    err = np.hypot(*(trk.track.values - video.true_centre.values).T)
    assert np.median(err) < 3


def test_bad_inputs(tmp_path):
    p = run("ingest", tmp_path / "nope.avi", "--store", tmp_path / "s.zarr", ok=False)
    assert p.returncode == 2 and "nope.avi" in p.stderr
    (tmp_path / "x.xyz").write_text("hello")
    p = run("ingest", tmp_path / "x.xyz", "--store", tmp_path / "s.zarr", ok=False)
    assert p.returncode == 2 and ".tif" in p.stderr
    (tmp_path / "plain").mkdir()
    p = run("info", tmp_path / "plain", ok=False)
    assert p.returncode == 2 and "not a temvp store" in p.stderr
    p = run("clips", tmp_path / "plain", ok=False)
    assert p.returncode == 2
