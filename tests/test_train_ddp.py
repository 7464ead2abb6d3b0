"""Data-parallel training under torchrun: 2 CPU processes (gloo) follow the loss curve of 1 process with the same global batch."""
import json
import os
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from temvp.train import TrainConfig, load_checkpoint, read_history  # noqa: E402
from tiny import TRAIN_SCRIPT as SCRIPT, tiny_store  # noqa: E402


def test_two_gloo_processes_match_one(tmp_path):
    store = tiny_store(tmp_path / "s.zarr")
    cfg = TrainConfig("v", n_f=2, n_s=1, preset="small", epochs=3, batch_size=8, device="cpu", seed=1, lr=1e-3)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = [str(store), None, json.dumps(asdict(cfg))]
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run([sys.executable, str(script), str(store), str(one), args[2]], env=env, check=True, timeout=300)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
                    str(store), str(two), args[2]], env=env, check=True, timeout=300)
    h1, h2 = read_history(one), read_history(two)
    assert h1.epoch.tolist() == h2.epoch.tolist() == [1, 2, 3]
    # the all-reduced gradient sums in another order than one process does: float32 rounding differs by CPU and
    # grows over epochs (seen: 1.8e-4 relative at epoch 3 on an AVX-512 AMD EPYC), so the bound is 1e-3
    for col in ("train_loss", "val_loss", "val_mse"):
        np.testing.assert_allclose(h2[col].values, h1[col].values, rtol=1e-3, err_msg=col)
    a, b = load_checkpoint(one / "last.pt")["model"], load_checkpoint(two / "last.pt")["model"]
    for k in a:
        # Adam turns a rounding-level gradient difference into a step of up to lr (1e-3): weights agree to a few lr
        torch.testing.assert_close(b[k], a[k], rtol=1e-3, atol=3 * cfg.lr, msg=k)
