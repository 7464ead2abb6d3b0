"""temvp watch on a simulated experiment, as a user runs it: the CLI end to end, a SIGKILL mid-stream and a restart
(no frame lost or stored twice), a second writer refused, bad frames skipped with a message."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

TEMVP = [str(Path(sys.executable).with_name("temvp"))]
COMMON = ["--window", "64", "--chunk", "4", "--no-bf16", "--calibrate", "8"]


def run(*args, ok=True, **kw):
    p = subprocess.run(TEMVP + [str(a) for a in args], capture_output=True, text=True, timeout=300, **kw)
    if ok:
        assert p.returncode == 0, p.stderr + p.stdout
    return p


def stored(store, label):
    return xr.open_zarr(store, group=f"live/{label}", consolidated=False)


def test_stream_then_watch(tmp_path):
    cam, store = tmp_path / "cam", tmp_path / "s.zarr"
    run("synth", "SL", "--stream", cam, "--fps", "0", "--frames", "24", "--size", "192", "--seed", "4")
    assert json.loads((cam / "truth.json").read_text())["onset"] >= 0
    (cam / "frame_000024.tif").write_bytes(b"II*\x00 truncated")      # a broken file: skipped, with a message
    p = run("watch", cam, "--store", store, "--label", "live1", "--idle", "1", *COMMON)
    assert "24 frames stored, 1 skipped" in p.stdout, p.stdout
    assert "frame_000024.tif could not be read" in p.stdout + p.stderr
    v = xr.open_zarr(store, group="videos/live1", consolidated=False)
    assert v.frames.shape == (24, 192, 192)                          # like any ingested video
    lv = stored(store, "live1")
    assert lv.forecast.shape == (24, 4, 64, 64) and np.isfinite(lv.order_observed.values).all()


def test_sigkill_and_restart_lose_nothing(tmp_path):
    cam, store = tmp_path / "cam", tmp_path / "s.zarr"
    run("synth", "2nm", "--stream", cam, "--fps", "0", "--frames", "40", "--size", "192", "--seed", "6")
    proc = subprocess.Popen(TEMVP + ["watch", str(cam), "--store", str(store), "--label", "k", *COMMON],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:                                    # kill once some chunks are stored
        g = store / "live" / "k" / "zarr.json"
        if g.exists() and json.loads(g.read_text()).get("attributes", {}).get("n_frames", 0) >= 12:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    lock = store / ".live-k.lock"
    assert lock.exists()                                             # left by the killed writer, taken over next
    run("watch", cam, "--store", store, "--label", "k", "--idle", "1", *COMMON)
    lv = stored(store, "k")
    assert list(lv.file.values) == [f"frame_{i:06d}.tif" for i in range(40)]
    assert xr.open_zarr(store, group="videos/k", consolidated=False).sizes["time"] == 40
    assert xr.open_zarr(store, group="tracks/k", consolidated=False).sizes["time"] == 40


def test_second_writer_refused(tmp_path):
    cam, store = tmp_path / "cam", tmp_path / "s.zarr"
    cam.mkdir()
    proc = subprocess.Popen(TEMVP + ["watch", str(cam), "--store", str(store), "--label", "x", "--idle", "20", *COMMON],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not (store / ".live-x.lock").exists() and time.time() < deadline:
            time.sleep(0.05)
        p = run("watch", cam, "--store", store, "--label", "x", "--idle", "0.2", *COMMON, ok=False)
        assert p.returncode == 2 and "another watcher" in p.stderr, p.stderr
    finally:
        proc.send_signal(signal.SIGINT); proc.wait(timeout=60)
    assert not (store / ".live-x.lock").exists()                     # a clean stop removes the lock
