"""Killing a training run with SIGKILL and resuming it gives, on CPU, exactly the weights of an uninterrupted run."""
import json
import signal
import subprocess
import sys
import time
from dataclasses import asdict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from temvp.train import TrainConfig, load_checkpoint, read_history, train  # noqa: E402
from tiny import TRAIN_SCRIPT as SCRIPT, tiny_store  # noqa: E402


@pytest.mark.slow
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
