"""Killing a training run with SIGKILL and resuming it gives, on CPU, exactly the weights of an uninterrupted run."""
import json
import signal
import subprocess
import sys
import time
from dataclasses import asdict

import numpy as np
import pytest
import xarray as xr

torch = pytest.importorskip("torch")

from temvp.clips import write_clips  # noqa: E402
from temvp.store import create_store, write_stage  # noqa: E402
from temvp.train import TrainConfig, load_checkpoint, read_history, train  # noqa: E402

SCRIPT = """
import json, sys
from temvp.train import TrainConfig, train
train(sys.argv[1], TrainConfig(**json.loads(sys.argv[3])), run_dir=sys.argv[2], progress=False)
"""


def tiny_store(path, size=16, n_frames=40):
    t, yy, xx = np.meshgrid(np.arange(n_frames), np.arange(size), np.arange(size), indexing="ij")
    frames = np.sin(2 * np.pi * (xx - 0.5 * t) / 8) * np.cos(2 * np.pi * yy / 8)
    frames = ((frames - frames.mean()) / frames.std()).astype(np.float32)
    store = create_store(path)
    write_stage(store, "crops", "v", xr.DataArray(frames, dims=("time", "cy", "cx"), name="crops"))
    write_clips(store, n_f=(2,), n_s=(1,))
    return store


def test_sigkill_and_resume_matches_uninterrupted(tmp_path):
    store = tiny_store(tmp_path / "s.zarr")
    cfg = TrainConfig("v", n_f=2, n_s=1, preset="small", epochs=25, batch_size=8, device="cpu",
                      checkpoint_every=1, seed=3)
    ref = train(store, cfg, run_dir=tmp_path / "ref", progress=False)

    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(store), str(run), json.dumps(asdict(cfg))])
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if (run / "checkpoints" / "epoch_0002.pt").exists():
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed; raise epochs"
    killed_at = load_checkpoint(run / "last.pt")["epoch"]
    assert 2 <= killed_at < cfg.epochs

    train(store, cfg, run_dir=run, resume=True, progress=False)
    a, b = load_checkpoint(ref / "last.pt"), load_checkpoint(run / "last.pt")
    assert a["epoch"] == b["epoch"] == cfg.epochs
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    ha, hb = read_history(ref), read_history(run)
    assert ha.epoch.tolist() == hb.epoch.tolist() == list(range(1, cfg.epochs + 1))
    np.testing.assert_array_equal(ha.train_loss.values, hb.train_loss.values)
    np.testing.assert_array_equal(ha.val_loss.values, hb.val_loss.values)
