"""Kill a writing `temvp` command with SIGKILL at every step of its writes (tests/killer.py): after each kill the
store (or run folder, cube, predictions) holds the old or the new version of what the command writes, whole, never
neither and never a mix; and the same command run again finishes with the new version.

Each command runs once per step in a forked child of one server process, so a case costs the command's own time.
"""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from temvp.store import check_pair, create_store, has, labels, read_stage, write_stage

HERE = Path(__file__).resolve().parent


def kill_every_step(tmp_path, base, argv, *, rerun=None, min_steps=2, max_steps=200, timeout=900):
    "Run tests/killer.py on `base` and return its cases; the last one is the uninterrupted run."
    spec = {"base": str(base), "work": str(tmp_path / "cases"), "argv": [str(a) for a in argv],
            "rerun": [str(a) for a in (rerun or argv)], "max_steps": max_steps}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    p = subprocess.run([sys.executable, str(HERE / "killer.py"), str(tmp_path / "spec.json")], capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-4000:]
    cases = json.loads(p.stdout)
    assert cases[-1]["outcome"] == "exit" and cases[-1]["status"] == 0, \
        f"the uninterrupted command failed: {cases[-1]}\n{_stderr(cases[-1])}"
    assert len(cases) > min_steps, f"the command had only {len(cases) - 1} steps: {cases}"
    return cases


def _stderr(case):
    p = Path(case["case"] + ".stderr")
    return p.read_text()[-3000:] if p.exists() else ""


def killed(cases):
    return [c for c in cases if c["outcome"] == "killed"]


def _values(store, stage, label, var):
    "The values of `var` of stage/label as temvp reads them, or None when the store has no such group."
    try:
        return read_stage(store, stage, label)[var].values
    except KeyError:
        return None


def _same(a, b):
    return a is not None and b is not None and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def _which(value, old, new):
    "'old', 'new' or 'absent' when `value` equals one of them whole; else 'neither'."
    if value is None:
        return "absent" if old is None or new is None else "neither (missing)"
    return "old" if _same(value, old) else "new" if _same(value, new) else "neither (damaged or mixed)"


def _ds(path, group=None):
    """The dataset at a zarr path (or a group of it) loaded, or None when there is none; a cube or prediction folder
    that a killed swap left only as its old version beside it is read from there, as temvp's readers do."""
    from temvp.store import swap_leftover
    if group is None and not Path(path).exists() and swap_leftover(path) is not None:
        path = swap_leftover(path)
    try:
        return xr.open_zarr(str(path), group=group, consolidated=False).load()
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return None if not Path(path, group or "").exists() else "unreadable"


def _which_ds(value, old, new):
    """'old', 'new' or 'absent' for a loaded Dataset equal (values and coordinates; attributes such as a write's time
    may differ between runs) to one of them; else 'neither ...'."""
    if value is None:
        return "absent" if old is None or new is None else "neither (missing)"
    if isinstance(value, str):
        return f"neither ({value})"
    return "old" if old is not None and value.equals(old) else "new" if value.equals(new) else "neither (mixed)"


def outcomes(cases, state, *, recover=None):
    """For each killed case: (case, state as a reader finds it, state after `recover` (what the next writer does
    first; None: no recovery step), state after the rerun). `state(folder)` returns {name: which version}."""
    out = []
    for c in killed(cases):
        folder = Path(c["case"])
        raw = state(folder)
        if recover is not None:
            recover(folder)
        out.append((c, raw, state(folder), state(Path(c["rerun"]))))
    return out


def whole(results, which="recovered", allowed=("old", "new", "absent")):
    "Lines naming every kill after which something is neither old nor new (or the rerun failed or is not new)."
    bad = []
    for c, raw, rec, rerun in results:
        got = {"raw": raw, "recovered": rec}[which]
        if any(v not in allowed for v in got.values()):
            bad.append(f"k={c['k']} killed at {c['step']}: {which} {got}")
        if which == "recovered" and (c["rerun_status"] != 0 or any(v != "new" for v in rerun.values())):
            bad.append(f"k={c['k']} killed at {c['step']}: the rerun exited {c['rerun_status']} with {rerun}")
    return bad


def _recover_swap(dest):
    from temvp.store import recover_swap
    recover_swap(dest)


def _recover_store(folder):
    from temvp.store import recover
    recover(Path(folder) / "s.zarr")



# ---------------------------------------------------------------- ingest --replace: one video's frames replaced
def _tif(path, value, n=6, size=32):
    import tifffile
    tifffile.imwrite(path, np.random.default_rng(value).integers(0, 255, (n, size, size), dtype="uint8"))
    return path


DERIVED_A = {"tracks": ("track", np.ones((6, 2))), "crops": ("crops", np.ones((6, 8, 8))),
             "clips": ("start", np.arange(3))}


@pytest.fixture(scope="module")
def ingest_cases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ingest")
    base = tmp / "base"
    base.mkdir()
    _tif(base / "old.tif", 1), _tif(base / "new.tif", 2)
    store = create_store(base / "s.zarr")
    from temvp.pipeline import ingest_to_store
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no calibration in the test files
        ingest_to_store(store, base / "old.tif", label="a"), ingest_to_store(store, base / "old.tif", label="b")
    # what was derived from the old frames of a (contents do not matter here, only whether they survive)
    write_stage(store, "tracks", "a", xr.DataArray(DERIVED_A["tracks"][1], dims=("time", "axis"), name="track"))
    write_stage(store, "crops", "a", xr.DataArray(DERIVED_A["crops"][1].astype("float32"), dims=("time", "cy", "cx"),
                                                  name="crops"), chunks={"crops": (1, 8, 8)})
    write_stage(store, "clips", "a", xr.Dataset({"start": ("clip", DERIVED_A["clips"][1])}))
    old = read_stage(store, "videos", "a").frames.values
    cases = kill_every_step(tmp, base, ["ingest", "new.tif", "--store", "s.zarr", "--label", "a", "--replace"])
    new = read_stage(Path(cases[-1]["case"]) / "s.zarr", "videos", "a").frames.values
    assert not _same(old, new)

    def state(folder):
        store = Path(folder) / "s.zarr"
        out = {"videos/a": _which(_values(store, "videos", "a", "frames"), old, new),
               "videos/b": "new" if _same(_values(store, "videos", "b", "frames"), old) else "neither (b changed)"}
        for s, (var, value) in DERIVED_A.items():
            try:
                v = _values(store, s, "a", var)
                out[s + "/a"] = "absent" if v is None else "old" if _same(v, value) else "neither (half deleted)"
            except Exception as e:  # noqa: BLE001
                out[s + "/a"] = f"neither ({type(e).__name__})"
        return out
    return outcomes(cases, state, recover=_recover_store)


def _videos_only(results):
    return [(c, {k: v for k, v in raw.items() if k.startswith("videos")},
             {k: v for k, v in rec.items() if k.startswith("videos")},
             {k: v for k, v in rerun.items() if k.startswith("videos")}) for c, raw, rec, rerun in results]


@pytest.mark.slow
def test_ingest_replace_video_is_old_or_new(ingest_cases):
    "After a kill and the next writer's recover(), videos/a is the old or the new video; the rerun gives the new."
    assert len(ingest_cases) >= 4
    bad = whole(_videos_only(ingest_cases))
    assert not bad, "\n".join(bad)


@pytest.mark.slow
def test_ingest_replace_video_is_readable_before_any_recovery(ingest_cases):
    "Before any writer runs recover(), read_stage finds the old or the new video (the old one where a swap left it)."
    bad = whole(_videos_only(ingest_cases), "raw")
    assert not bad, "\n".join(bad)


@pytest.mark.slow
def test_ingest_replace_never_keeps_what_the_old_frames_gave(ingest_cases):
    "The new video never sits beside the old video's tracks/crops/clips, and no derived group is half deleted."
    bad = []
    for c, raw, rec, rerun in ingest_cases:
        for when, st in (("after recover()", rec), ("after the rerun", rerun)):
            derived = [k for k in DERIVED_A if st[k + "/a"] != "absent"]
            if st["videos/a"] == "new" and derived:
                bad.append(f"k={c['k']} killed at {c['step']}: {when}, the new video keeps the old {derived}")
            bad += [f"k={c['k']} killed at {c['step']}: {when}, {k}/a is {st[k + '/a']}" for k in DERIVED_A
                    if st[k + "/a"].startswith("neither")]
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------- track: tracks and crops of a video rewritten
@pytest.fixture(scope="module")
def track_cases(tmp_path_factory):
    from temvp.pipeline import synth_to_store, track_to_store
    tmp = tmp_path_factory.mktemp("track")
    base = tmp / "base"
    base.mkdir()
    store = create_store(base / "s.zarr")
    synth_to_store(store, "2nm", label="a", n_frames=8, size=192, seed=0)
    track_to_store(store, window=64)
    old = {s: _ds(store, f"{s}/a") for s in ("tracks", "crops")}
    # a key frame moves the window centres: the new tracks and crops carry another track digest than the old
    cases = kill_every_step(tmp, base, ["track", "s.zarr", "--window", "64", "--key", "a:0:90,90"])
    new = {s: _ds(Path(cases[-1]["case"]) / "s.zarr", f"{s}/a") for s in ("tracks", "crops")}

    def state(folder):
        store = Path(folder) / "s.zarr"
        out = {s: _which_ds(_ds(store, f"{s}/a"), old[s], new[s]) for s in ("tracks", "crops")}
        if out["tracks"] != out["crops"] and "absent" not in out.values():
            try:
                check_pair(store, "a")
                out["pair"] = "neither (a mixed pair that check_pair accepts)"
            except ValueError:
                out["pair"] = "new"  # a mixed pair, refused by every reader with "run temvp track again"
        return out
    return outcomes(cases, state, recover=_recover_store)


@pytest.mark.slow
def test_track_writes_old_or_new_tracks_and_crops(track_cases):
    bad = whole(track_cases)
    assert len(track_cases) >= 4 and not bad, "\n".join(bad)


# ---------------------------------------------------------------- clips: a clip table rewritten
@pytest.fixture(scope="module")
def clips_cases(tmp_path_factory):
    from tiny import tiny_store
    tmp = tmp_path_factory.mktemp("clips")
    base = tmp / "base"
    base.mkdir()
    store = tiny_store(base / "s.zarr")
    old = _ds(store, "clips/v")
    cases = kill_every_step(tmp, base, ["clips", "s.zarr", "--nf", "2", "3", "--ns", "1", "2"])
    new = _ds(Path(cases[-1]["case"]) / "s.zarr", "clips/v")
    assert not old.equals(new)
    return outcomes(cases, lambda f: {"clips/v": _which_ds(_ds(Path(f) / "s.zarr", "clips/v"), old, new)},
                    recover=_recover_store)


@pytest.mark.slow
def test_clips_writes_old_or_new_table(clips_cases):
    bad = whole(clips_cases)
    assert len(clips_cases) >= 2 and not bad, "\n".join(bad)


# ---------------------------------------------------------------- train: checkpoints, history, config of a run
TRAIN = ["train", "s.zarr", "--label", "v", "--nf", "2", "--ns", "1", "--preset", "small", "--epochs", "2",
         "--checkpoint-every", "1", "--batch-size", "8", "--device", "cpu", "--seed", "3", "--run-dir", "run"]


def _run_files(run):
    "{file: epoch of the checkpoint, or 'rows N' for the history} of a run folder; 'damaged ...' for a bad one."
    from temvp.train import load_checkpoint, read_history
    out = {}
    for p in [run / "last.pt"] + sorted((run / "checkpoints").glob("epoch_*.pt")):
        if p.exists():
            try:
                out[str(p.relative_to(run))] = load_checkpoint(p)["epoch"]
            except Exception as e:  # noqa: BLE001
                out[str(p.relative_to(run))] = f"damaged ({type(e).__name__})"
    if (run / "history.csv").exists():
        try:
            out["history.csv"] = f"rows {len(read_history(run))}"
        except Exception as e:  # noqa: BLE001
            out["history.csv"] = f"damaged ({type(e).__name__})"
    return out


@pytest.fixture(scope="module")
def train_cases(tmp_path_factory):
    from tiny import tiny_store
    tmp = tmp_path_factory.mktemp("train")
    base = tmp / "base"
    base.mkdir()
    tiny_store(base / "s.zarr")
    cases = kill_every_step(tmp, base, TRAIN, rerun=TRAIN + ["--resume"])
    return cases, Path(cases[-1]["case"]) / "run"


@pytest.mark.slow
def test_train_killed_at_any_write_resumes_to_the_same_run(train_cases):
    "Every file of the run is whole after a kill; resuming gives the uninterrupted run's weights and history."
    import torch
    from temvp.train import load_checkpoint, read_history
    cases, ref = train_cases
    a, ha = load_checkpoint(ref / "last.pt"), read_history(ref)
    bad = []
    for c in killed(cases):
        files = _run_files(Path(c["case"]) / "run")
        bad += [f"k={c['k']} killed at {c['step']}: {f} is {v}" for f, v in files.items() if str(v).startswith("damaged")]
        run = Path(c["rerun"]) / "run"
        if c["rerun_status"] != 0 and not (Path(c["case"]) / "run" / "config.json").exists():
            continue  # killed before the run's record was written: test_train_killed_before_its_record_restarts
        if c["rerun_status"] != 0:
            bad.append(f"k={c['k']} killed at {c['step']}: the resumed run exited {c['rerun_status']}")
            continue
        b, hb = load_checkpoint(run / "last.pt"), read_history(run)
        if b["epoch"] != a["epoch"] or any(not torch.equal(v, b["model"][k]) for k, v in a["model"].items()):
            bad.append(f"k={c['k']} killed at {c['step']}: resumed to epoch {b['epoch']} with other weights")
        if not np.array_equal(ha.train_loss.values, hb.train_loss.values):
            bad.append(f"k={c['k']} killed at {c['step']}: resumed history differs")
    assert len(killed(cases)) >= 6 and not bad, "\n".join(bad)


@pytest.mark.slow
def test_train_killed_before_its_record_restarts(train_cases):
    "A train killed before its config.json is written starts again with --resume."
    cases, _ = train_cases
    early = [c for c in killed(cases) if not (Path(c["case"]) / "run" / "config.json").exists()]
    bad = [f"k={c['k']} killed at {c['step']}: `temvp train --resume` exited {c['rerun_status']}: "
           f"{Path(c['rerun'] + '.stderr').read_text().strip()[-300:] if Path(c['rerun'] + '.stderr').exists() else ''}"
           for c in early if c["rerun_status"] != 0]
    assert early and not bad, "\n".join(bad)


@pytest.mark.slow
def test_train_killed_at_any_write_keeps_every_checkpoint(train_cases):
    "The resumed run keeps every checkpoint the uninterrupted run keeps."
    cases, ref = train_cases
    want = sorted(p.name for p in (ref / "checkpoints").glob("epoch_*.pt"))
    bad = []
    for c in killed(cases):
        got = sorted(p.name for p in (Path(c["rerun"]) / "run" / "checkpoints").glob("epoch_*.pt"))
        if got != want:
            bad.append(f"k={c['k']} killed at {c['step']}: resumed run has {got}, not {want}")
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------- evaluate (metric cube) and predict (predictions)
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    "A tiny store with one trained run in runs/, its metric cube (runs/metrics.zarr) and test predictions."
    from temvp.cli import main
    from tiny import tiny_store
    base = tmp_path_factory.mktemp("trained") / "base"
    base.mkdir()
    tiny_store(base / "s.zarr")
    run = base / "runs" / "v_nf2_ns1"
    assert main(["train", str(base / "s.zarr")] + TRAIN[2:-1] + [str(run)]) == 0
    assert main(["evaluate", str(base / "s.zarr"), "--runs", str(base / "runs"), "--device", "cpu", "--no-order"]) == 0
    assert main(["predict", str(run), "--device", "cpu"]) == 0
    return base, run


def _altered_copy(src, dst, var):
    "Write zarr `src` again at `dst` with `var` changed (an 'old' version that differs from what the command gives)."
    import shutil
    ds = xr.open_zarr(str(src), consolidated=False).load()
    shutil.rmtree(dst)
    ds.assign({var: ds[var] + 1}).to_zarr(str(dst), mode="w-", consolidated=False, zarr_format=3)


@pytest.fixture(scope="module")
def evaluate_cases(trained, tmp_path_factory):
    import shutil
    src, _ = trained
    tmp = tmp_path_factory.mktemp("evaluate")
    shutil.copytree(src, tmp / "base")
    cube = tmp / "base" / "runs" / "metrics.zarr"
    new = _ds(cube)
    from temvp.evaluate import write_cube
    write_cube(new.assign(metrics=new.metrics + 1), cube, replace=True)  # the old cube: other values
    old = _ds(cube)
    cases = kill_every_step(tmp, tmp / "base", ["evaluate", "s.zarr", "--runs", "runs", "--device", "cpu",
                                                "--no-order", "--no-predictions", "--replace"])
    got_new = _ds(Path(cases[-1]["case"]) / "runs" / "metrics.zarr")
    assert got_new.metrics.identical(new.metrics)
    return outcomes(cases, lambda f: {"metrics.zarr": _which_ds(_ds(Path(f) / "runs" / "metrics.zarr"), old, got_new)},
                    recover=lambda f: _recover_swap(Path(f) / "runs" / "metrics.zarr"))


@pytest.mark.slow
def test_evaluate_writes_old_or_new_cube(evaluate_cases):
    "As read, and after the next writer's recover_swap, the cube is the old or the new one; the rerun gives the new."
    bad = whole(evaluate_cases, "raw", ("old", "new")) + whole(evaluate_cases, "recovered", ("old", "new"))
    assert len(evaluate_cases) >= 2 and not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def predict_cases(trained, tmp_path_factory):
    import shutil
    src, _ = trained
    tmp = tmp_path_factory.mktemp("predict")
    shutil.copytree(src, tmp / "base")
    pred = tmp / "base" / "runs" / "v_nf2_ns1" / "predictions" / "test_last.zarr"
    new = _ds(pred)
    _altered_copy(pred, pred, "prediction")
    old = _ds(pred)
    cases = kill_every_step(tmp, tmp / "base", ["predict", "runs/v_nf2_ns1", "--device", "cpu"])
    return outcomes(cases, lambda f: {"predictions": _which_ds(
        _ds(Path(f) / "runs" / "v_nf2_ns1" / "predictions" / "test_last.zarr"), old, new)},
        recover=lambda f: _recover_swap(Path(f) / "runs" / "v_nf2_ns1" / "predictions" / "test_last.zarr"))


@pytest.mark.slow
def test_predict_replaces_old_or_new(predict_cases):
    "As read, and after the next writer's recover_swap, the predictions are the old or the new ones."
    bad = whole(predict_cases, "raw", ("old", "new")) + whole(predict_cases, "recovered", ("old", "new"))
    assert len(predict_cases) >= 2 and not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def predict_out_cases(trained, tmp_path_factory):
    import shutil
    src, run = trained
    tmp = tmp_path_factory.mktemp("predict_out")
    shutil.copytree(src, tmp / "base")
    cases = kill_every_step(tmp, tmp / "base", ["predict", "runs/v_nf2_ns1", "--device", "cpu", "--out", "p.zarr"],
                            min_steps=1)  # one step: the staged folder moved to the new path
    new = _ds(Path(cases[-1]["case"]) / "p.zarr")
    assert new.prediction.equals(_ds(run / "predictions" / "test_last.zarr").prediction)
    return outcomes(cases, lambda f: {"p.zarr": _which_ds(_ds(Path(f) / "p.zarr"), None, new)})


@pytest.mark.slow
def test_predict_out_is_absent_or_whole(predict_out_cases):
    "predict --out PATH never leaves a half-written PATH (which would block the rerun: it refuses an existing --out)."
    bad = whole(predict_out_cases)
    assert len(predict_out_cases) >= 1 and not bad, "\n".join(bad)
