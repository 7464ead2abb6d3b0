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


@pytest.mark.parametrize("cmd", ["demo", "synth", "ingest", "track", "clips", "info", "train", "sweep", "predict", "evaluate", "dashboard",
                                 "forecast", "pretrain", "watch"])
def test_help(cmd):
    p = run(cmd, "--help")
    assert "usage: temvp " + cmd in p.stdout


def test_demo_small(tmp_path):
    p = run("demo", "--out", tmp_path, "--frames", "48", "--size", "256", "--no-train")
    assert "clip counts, Figure S2" in p.stdout and not (tmp_path / "runs").exists()
    store = tmp_path / "study.zarr"
    tree = xr.open_datatree(store, engine="zarr", consolidated=False)  # plain xarray, no temvp
    assert sorted(tree["crops"].children) == ["2nm", "4nm", "SL"]
    crops = xr.open_zarr(store, group="crops/2nm", consolidated=False).crops
    assert crops.shape == (48, 128, 128) and crops.dtype == np.float32
    assert abs(float(crops.mean())) < 1e-3 and abs(float(crops.std()) - 1) < 1e-3
    clips = xr.open_zarr(store, group="clips/SL", consolidated=False)
    assert set(clips.n_f.values) == {4, 6}
    # a second run keeps the videos and is quick
    p2 = run("demo", "--out", tmp_path, "--frames", "48", "--size", "256", "--no-train")
    assert p2.stdout.count("already in the store, kept") == 3


def test_demo_trains_evaluates_draws(tmp_path):
    "The whole demo on a tiny recipe: it ends with the metric cube, every figure and Table 1 in OUT/figures."
    import json
    from temvp.study import load_recipe
    rec = {**load_recipe(), "train": {**load_recipe()["train"], "epochs": 2, "checkpoint_every": 1,
                                      "clips_per_epoch": 8, "batch_size": 8, "grid": {"2nm": {"n_f": [4], "n_s": [1, 2]}}},
           "evaluate": {"max_clips": 6}}
    (tmp_path / "tiny.json").write_text(json.dumps(rec))
    p = run("demo", "--out", tmp_path, "--frames", "40", "--size", "192", "--recipe", tmp_path / "tiny.json")
    assert "Table 1" in p.stdout and "SSIM ceiling" in p.stdout
    figs = tmp_path / "figures"
    t1 = (figs / "table1.txt").read_text()
    assert "SSIM persistence" in t1 and "2nm" in t1
    listed = [line.split(",") for line in (figs / "figures.csv").read_text().splitlines()[1:]]
    assert {row[0] for row in listed} >= {"S1", "S2", "2", "3/4", "5-7", "8", "9", "10", "S3", "Table 1", "order"}
    for row in listed:
        assert Path(row[2] + ".png").stat().st_size > 1000 and Path(row[2] + ".html").is_file()
    cube = xr.open_zarr(tmp_path / "runs" / "metrics.zarr", consolidated=False)  # plain xarray
    assert cube.metrics.sizes["n_s"] == 2 and bool(cube.has_run.sel(size="2nm", n_f=4, n_s=2))
    assert cube.ceiling.sel(size="2nm", metric="ssim").notnull().all()


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
