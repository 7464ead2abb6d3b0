"""Hostile and unusual cases of issue 14 that no other test checked (the audit: /tmp/coord/issue14_cases.md).

Each test makes one case and asserts its outcome: a one-line error naming the fix (exit status 2 from the CLI), or
the correct result. Every case below is handled.
All run on CPU in seconds, on the tests' tiny store (tests/tiny.py) or a store made here.
"""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))
from tiny import tiny_store as make_tiny  # noqa: E402

from temvp.cli import main  # noqa: E402
from temvp.store import labels, read_stage  # noqa: E402


def cli(capsys, *argv):
    "Run `temvp ARGV`: (exit status, stderr)."
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def one_line_error(err, command):
    "The CLI's message: one line, `temvp COMMAND: error: ...`, no traceback."
    lines = [l for l in err.splitlines() if "temvp " + command + ": error: " in l]   # beside progress bars
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0][lines[0].index("temvp " + command):]


TRAIN = ["--nf", "2", "--ns", "1", "--preset", "small", "--batch-size", "8", "--device", "cpu", "--no-bf16",
         "--checkpoint-every", "1"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    "A tiny store and a 2-epoch run of it (small preset, CPU): (store, run_dir)."
    d = tmp_path_factory.mktemp("trained")
    store = make_tiny(d / "s.zarr")
    run = d / "run"
    assert main(["train", str(store), "--label", "v", *TRAIN, "--epochs", "2", "--run-dir", str(run)]) == 0
    return store, run


def copy_run(trained, tmp_path):
    "A private copy of the trained store and run: (store, run_dir)."
    store, run = trained
    s2, r2 = tmp_path / "s.zarr", tmp_path / "run"
    shutil.copytree(store, s2)
    shutil.copytree(run, r2)
    cfg = json.loads((r2 / "config.json").read_text())
    cfg["store"] = str(s2)
    (r2 / "config.json").write_text(json.dumps(cfg, indent=1))
    return s2, r2


# ---------------------------------------------------------------- worst 1: outputs never clobber foreign data

def test_predict_out_dot_keeps_the_working_directory(trained, tmp_path, capsys, monkeypatch):
    "`temvp predict RUN --out .` (case 1): refused, the working directory untouched."
    _, run = trained
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    code, err = cli(capsys, "predict", run, "--out", ".", "--device", "cpu", "--no-bf16")
    assert code == 2 and "not a temvp prediction" in one_line_error(err, "predict")
    assert (work / "notes.txt").read_text() == "mine"


def test_write_cube_replace_keeps_a_foreign_folder(tmp_path):
    "`evaluate --out X --replace` (case 1) where X is a user's folder: refused, the folder kept."
    from temvp.evaluate import write_cube
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("years of work")
    cube = xr.Dataset({"metrics": (("run",), np.zeros(2))})
    with pytest.raises((ValueError, FileExistsError), match="not a (temvp )?metric cube|choose"):
        write_cube(cube, foreign, replace=True)
    assert (foreign / "chapter1.tex").read_text() == "years of work"


def test_evaluate_out_replace_keeps_a_foreign_folder(trained, tmp_path, capsys):
    "The same through the CLI: `temvp evaluate STORE --runs R --out FOLDER --replace`."
    store, run = copy_run(trained, tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.move(str(run), runs / "v_nf2_ns1_small_random")
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("years of work")
    code, err = cli(capsys, "evaluate", store, "--runs", runs, "--out", foreign, "--replace", "--no-order",
                    "--device", "cpu", "--epochs", "last")
    assert (foreign / "chapter1.tex").exists(), "the user's folder was replaced by a metric cube"
    assert code == 2


# ---------------------------------------------------------------- worst 4: a missing crops chunk

def _drop_chunk(store, label="v", index=1):
    "Delete one chunk file of crops/LABEL (8 frames each in the tiny store): zarr then reads NaN there."
    chunk = Path(store) / "crops" / label / "crops" / "c" / str(index) / "0" / "0"
    assert chunk.is_file(), chunk
    chunk.unlink()


def test_train_refuses_a_missing_crops_chunk(tmp_path, capsys):
    "Case 4: training on crops with a missing chunk stops with a clear error; no NaN checkpoint is saved."
    store = make_tiny(tmp_path / "s.zarr")
    _drop_chunk(store)
    run = tmp_path / "run"
    code, err = cli(capsys, "train", store, "--label", "v", *TRAIN, "--epochs", "1", "--run-dir", run)
    line = one_line_error(err, "train")
    assert code == 2 and "NaN" in line and "temvp track" in line
    assert not (run / "last.pt").exists()


def test_predict_refuses_a_missing_crops_chunk(trained, tmp_path, capsys):
    "Case 4: `predict` on a store whose test crops lost a chunk must not write all-NaN forecasts and exit 0."
    store, run = copy_run(trained, tmp_path)
    for i in range(5):   # the tiny store's 40 frames in 5 chunks: the test clips lie at the end
        _drop_chunk(store, index=i)
    out = tmp_path / "p.zarr"
    code, err = cli(capsys, "predict", run, "--out", out, "--device", "cpu", "--no-bf16")
    assert code == 2, "predict exited 0"
    assert not out.exists() or np.isfinite(xr.open_zarr(out, consolidated=False).prediction.values).all()


def test_predict_refuses_nan_weights(trained, tmp_path, capsys):
    "Case 4: a run whose last.pt holds NaN weights: predict refuses it, naming the earlier checkpoints."
    import torch
    _, run = copy_run(trained, tmp_path)
    ck = torch.load(run / "last.pt", weights_only=True)
    k = next(iter(ck["model"]))
    ck["model"][k] = ck["model"][k] * float("nan")
    torch.save(ck, run / "last.pt")
    code, err = cli(capsys, "predict", run, "--out", tmp_path / "p.zarr", "--device", "cpu", "--no-bf16")
    assert code == 2 and "NaN or inf" in one_line_error(err, "predict")
    assert not (tmp_path / "p.zarr").exists()


# ---------------------------------------------------------------- worst 5: reserved labels

@pytest.mark.parametrize("label", ["zarr.json", ".hidden", "a/b"])
def test_ingest_refuses_a_reserved_or_invalid_label(tmp_path, capsys, label):
    "Case 5: `ingest --label zarr.json [--replace]` is refused before anything is written; the store still opens."
    import tifffile
    from temvp.pipeline import synth_to_store
    store = tmp_path / "s.zarr"
    synth_to_store(store, "SL", n_frames=4, size=64, seed=0)
    tifffile.imwrite(tmp_path / "m.tif", np.zeros((3, 32, 32), np.uint8))
    code, err = cli(capsys, "ingest", tmp_path / "m.tif", "--store", store, "--label", label, "--replace",
                    "--pixel-size", "0.1nm", "--frame-time", "0.1s")
    line = one_line_error(err, "ingest")
    assert code == 2 and repr(label) in line
    assert labels(store) == ["SL"] and cli(capsys, "info", store)[0] == 0


# ---------------------------------------------------------------- Also: raw tracebacks

def test_corrupt_chunk_names_the_store_and_the_fix(tmp_path, capsys):
    "A crops chunk that is not zstd: `temvp train` says the store is damaged and which command rebuilds it."
    store = make_tiny(tmp_path / "s.zarr")
    (store / "crops" / "v" / "crops" / "c" / "1" / "0" / "0").write_bytes(b"not a zstd frame")
    code, err = cli(capsys, "train", store, "--label", "v", *TRAIN, "--epochs", "1", "--run-dir", tmp_path / "r")
    line = one_line_error(err, "train")
    assert code == 2 and "damaged" in line and "temvp track" in line


def test_deleted_crops_array_names_the_fix(tmp_path, capsys):
    "crops/v/crops deleted by hand: `temvp train` names the damaged group and `temvp track`."
    store = make_tiny(tmp_path / "s.zarr")
    shutil.rmtree(store / "crops" / "v" / "crops")
    code, err = cli(capsys, "train", store, "--label", "v", *TRAIN, "--epochs", "1", "--run-dir", tmp_path / "r")
    line = one_line_error(err, "train")
    assert code == 2 and "temvp track" in line


def test_string_store_attribute_via_cli(tmp_path, capsys):
    "A store whose `temvp_store` attribute is the string '1': `temvp info` names the damage."
    import zarr
    g = zarr.open_group(str(tmp_path / "bad.zarr"), mode="w")
    g.attrs["temvp_store"] = "1"
    code, err = cli(capsys, "info", tmp_path / "bad.zarr")
    assert code == 2 and "damaged 'temvp_store' attribute" in one_line_error(err, "info")


def test_string_epoch_checkpoint_via_cli(trained, tmp_path, capsys):
    "last.pt with a string epoch: `temvp predict` names the checkpoint and the earlier ones to use."
    import torch
    _, run = copy_run(trained, tmp_path)
    ck = torch.load(run / "last.pt", weights_only=True)
    ck["epoch"] = "two"
    torch.save(ck, run / "last.pt")
    code, err = cli(capsys, "predict", run, "--out", tmp_path / "p.zarr", "--device", "cpu", "--no-bf16")
    line = one_line_error(err, "predict")
    assert code == 2 and "'epoch' is 'two'" in line and "last.pt" in line


def test_config_json_of_the_wrong_shape_via_cli(trained, tmp_path, capsys):
    "config.json holding a JSON list: `temvp predict` names the file and says it is not a run record."
    _, run = copy_run(trained, tmp_path)
    (run / "config.json").write_text("[1, 2]")
    code, err = cli(capsys, "predict", run, "--out", tmp_path / "p.zarr", "--device", "cpu", "--no-bf16")
    line = one_line_error(err, "predict")
    assert code == 2 and "config.json" in line and "not a temvp run record" in line


def test_inconsistent_array_shape(tmp_path, capsys):
    "crops whose array is shorter than its time coordinate (metadata edited): a clear error, not a traceback."
    store = make_tiny(tmp_path / "s.zarr")
    meta = store / "crops" / "v" / "crops" / "zarr.json"
    m = json.loads(meta.read_text())
    m["shape"][0] = 30                     # the time coordinate still has 40 entries
    meta.write_text(json.dumps(m))
    code, err = cli(capsys, "train", store, "--label", "v", *TRAIN, "--epochs", "1", "--run-dir", tmp_path / "r")
    line = one_line_error(err, "train")
    assert code == 2 and "crops/v" in line and "damaged" in line and "temvp track" in line


# ---------------------------------------------------------------- Also: vague errors

def test_checkpoint_without_rng_on_resume(trained, tmp_path, capsys):
    import torch
    store, run = copy_run(trained, tmp_path)
    ck = torch.load(run / "last.pt", weights_only=True)
    del ck["rng"]
    torch.save(ck, run / "last.pt")
    code, err = cli(capsys, "train", store, "--label", "v", *TRAIN, "--epochs", "3", "--run-dir", run, "--resume")
    line = one_line_error(err, "train")
    assert code == 2 and "last.pt" in line and "rng" in line


def test_unreadable_config_json_is_named(trained, tmp_path, capsys):
    "config.json that is not JSON: the file is named, with the fix."
    _, run = copy_run(trained, tmp_path)
    (run / "config.json").write_text("{not json")
    code, err = cli(capsys, "predict", run, "--out", tmp_path / "p.zarr", "--device", "cpu", "--no-bf16")
    line = one_line_error(err, "predict")
    assert code == 2 and str(run / "config.json") in line and "not valid JSON" in line


def test_one_frame_video_via_cli(tmp_path, capsys):
    "A 1-frame video: `temvp clips` says a clip needs at least 2 frames (not 'use n_f <= 0')."
    from temvp.store import create_store, write_stage
    store = create_store(tmp_path / "s.zarr")
    write_stage(store, "crops", "v", xr.DataArray(np.ones((1, 16, 16), np.float32), dims=("time", "cy", "cx"),
                                                  name="crops", attrs={"window": 16}))
    code, err = cli(capsys, "clips", store, "--nf", "2", "--ns", "1")
    line = one_line_error(err, "clips") if code else ""
    if code == 0:   # the strategy left out with a warning: then nothing must claim a clip exists
        assert labels(store, "clips") == [] or read_stage(store, "clips", "v").sizes.get("clip", 0) == 0
    else:
        assert code == 2 and "n_f <= 0" not in line and "at least 2 frames" in line


def test_stray_folder_in_a_stage_group_is_ignored(tmp_path, capsys):
    "A stray folder (no zarr.json) in crops/: not a video; info and clips work and do not list it."
    store = make_tiny(tmp_path / "s.zarr")
    (store / "crops" / "junk").mkdir()
    (store / "crops" / "junk" / "notes.txt").write_text("x")
    assert labels(store, "crops") == ["v"]
    assert cli(capsys, "info", store)[0] == 0
    assert cli(capsys, "clips", store, "--nf", "2", "--ns", "1")[0] == 0


def test_unknown_key_frame_label_via_cli(tmp_path, capsys):
    "`temvp track --key nope:0:10,10`: refused, naming the label and the videos there are."
    from temvp.pipeline import synth_to_store
    store = tmp_path / "s.zarr"
    synth_to_store(store, "SL", n_frames=4, size=64, seed=0)
    code, err = cli(capsys, "track", store, "--window", "32", "--key", "nope:0:10,10")
    line = one_line_error(err, "track")
    assert code == 2 and "'nope'" in line and "SL" in line
    assert labels(store, "tracks") == []


def test_frame_files_ordered_by_number(tmp_path):
    "frame_1, frame_2, frame_10 are read in number order (not listing order); frame_1 beside frame_01 warns."
    import tifffile
    from temvp.ingest import read_video
    d = tmp_path / "frames"
    d.mkdir()
    for n in (10, 2, 1):
        tifffile.imwrite(d / f"frame_{n}.tif", np.full((8, 8), n, np.uint16))
    v = read_video(d)
    assert v.isel(y=0, x=0).values.tolist() == [1, 2, 10]
    tifffile.imwrite(d / "frame_01.tif", np.full((8, 8), 1, np.uint16))
    with pytest.warns(UserWarning, match="carry the same frame number"):
        read_video(d)


def test_failed_ingest_into_an_existing_store_leaves_it_as_it_was(tmp_path, capsys):
    "A failed ingest (a broken file) into an existing store: the store unchanged, no staging folder left."
    from temvp.pipeline import synth_to_store
    store = tmp_path / "s.zarr"
    synth_to_store(store, "SL", n_frames=4, size=64, seed=0)
    (tmp_path / "bad.avi").write_bytes(b"not a video")
    code, err = cli(capsys, "ingest", tmp_path / "bad.avi", "--store", store, "--label", "x")
    assert code == 2 and "bad.avi" in one_line_error(err, "ingest")
    assert labels(store) == ["SL"] and not list(tmp_path.glob(".s.zarr.*"))
    code, err = cli(capsys, "ingest", tmp_path / "bad.avi", "--store", tmp_path / "new.zarr")
    assert code == 2 and not (tmp_path / "new.zarr").exists()


def test_full_disk_during_a_checkpoint_keeps_history_and_last_pt_together(tmp_path, monkeypatch):
    "Disk full while the epoch-2 checkpoint is written: no partial file, history.csv and last.pt both at epoch 1."
    import torch
    from temvp import train as tr
    store = make_tiny(tmp_path / "s.zarr")
    cfg = tr.TrainConfig("v", n_f=2, n_s=1, preset="small", epochs=2, batch_size=8, device="cpu", bf16=False)
    real = torch.save
    calls = {"n": 0}

    def full(obj, f, *a, **k):
        if isinstance(obj, dict) and obj.get("epoch") == 2:
            Path(f).write_bytes(b"partial")
            raise OSError(28, "No space left on device")
        return real(obj, f, *a, **k)
    monkeypatch.setattr(torch, "save", full)
    run = tmp_path / "run"
    with pytest.raises(OSError, match="No space left"):
        tr.train(store, cfg, run_dir=run, progress=False)
    monkeypatch.setattr(torch, "save", real)
    assert tr.load_checkpoint(run / "last.pt")["epoch"] == 1
    assert tr.read_history(run).epoch.tolist() == [1]
    assert [p.name for p in run.rglob(".*tmp-*")] == []
    tr.train(store, cfg, run_dir=run, progress=False, resume=True)      # the rerun completes
    assert tr.read_history(run).epoch.tolist() == [1, 2]


def test_atomic_write_uses_unique_names_and_leaves_nothing(tmp_path):
    "train._atomic: each write on its own temporary name (two writers never share one), none left behind."
    from temvp.train import _atomic
    seen = []

    def write(p):
        seen.append(Path(p).name)
        Path(p).write_text("x")
    _atomic(tmp_path / "a.txt", write)
    _atomic(tmp_path / "a.txt", write)
    assert len(set(seen)) == 2 and all(n.startswith(".a.txt.tmp-") for n in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


# ---------------------------------------------------------------- dashboard and sweep

@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    "A store with one small tracked video 'SL' (12 frames of 128 px, window 64)."
    from temvp.pipeline import synth_to_store, track_to_store
    store = tmp_path_factory.mktemp("tracked") / "t.zarr"
    synth_to_store(store, "SL", n_frames=12, size=128, seed=1)
    track_to_store(store, window=64)
    return store


def test_dashboard_window_of_9_px_is_refused_and_the_track_kept(tracked, tmp_path):
    "A 9 px window saved from the crop tuner: the page says why, the stored track and crops stay as they were."
    from temvp.crop_model import CropModel
    store = tmp_path / "t.zarr"
    shutil.copytree(tracked, store)
    before = read_stage(store, "crops", "SL").crops.values.copy()
    m = CropModel(store, label="SL")
    m.window = 9
    assert m.save() is False
    assert "9x9" in m.message and m.level == "danger"
    assert read_stage(store, "tracks", "SL").attrs["window"] == 64
    np.testing.assert_array_equal(read_stage(store, "crops", "SL").crops.values, before)


def test_dashboard_with_nothing_tracked_says_so_on_the_page(tmp_path):
    "A store with no tracked video: the page shows the message (not a blank page, not only the server log)."
    pytest.importorskip("panel")
    from temvp.dashboard import app
    from temvp.pipeline import synth_to_store
    store = tmp_path / "s.zarr"
    synth_to_store(store, "SL", n_frames=4, size=64, seed=0)
    page = app(store)
    assert "has no tracked videos" in page.tuner.object and "temvp track" in page.tuner.object


def test_sweep_cluster_binds_locally_without_a_dashboard(monkeypatch):
    "The sweep's local dask cluster: host 127.0.0.1 and no Bokeh dashboard (no open port 8787)."
    distributed = pytest.importorskip("distributed")
    from temvp import sweep
    got = {}

    class FakeCluster:
        def __init__(self, **kw):
            got.update(kw)
    monkeypatch.setattr(distributed, "LocalCluster", FakeCluster)
    monkeypatch.setattr(distributed, "Client", lambda cluster: ("client", cluster))
    sweep._client(None, 2, 5)
    assert got["host"] == "127.0.0.1" and got["dashboard_address"] is None


# ---------------------------------------------------------------- 6: every error a clear one, --debug shows it

def test_debug_shows_the_traceback(tmp_path, capsys):
    "Without --debug an error is one line (exit 2); with --debug the exception itself propagates, traceback and all."
    code, err = cli(capsys, "info", tmp_path / "nope.zarr")
    assert code == 2
    one_line_error(err, "info")
    with pytest.raises(FileNotFoundError):
        main(["--debug", "info", str(tmp_path / "nope.zarr")])


def test_unexpected_error_is_one_line(tmp_path, capsys, monkeypatch):
    "An error nobody foresaw (here a RuntimeError) is still one line, naming its type and --debug."
    import temvp.cli as c

    def boom(args):
        raise RuntimeError("boom")
    monkeypatch.setattr(c, "_run", boom)
    code, err = cli(capsys, "info", tmp_path)
    line = one_line_error(err, "info")
    assert code == 2 and "RuntimeError: boom" in line and "--debug" in line
