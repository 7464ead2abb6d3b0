"""Shared fixtures of the training tests: a tiny store of moving fringes and a script that trains one run."""
import numpy as np
import xarray as xr

from temvp.clips import write_clips
from temvp.store import create_store, write_stage

# Trains one run from the command line: python -c TRAIN_SCRIPT STORE RUN_DIR CONFIG_JSON
TRAIN_SCRIPT = """
import json, sys
from temvp.train import TrainConfig, train
train(sys.argv[1], TrainConfig(**json.loads(sys.argv[3])), run_dir=sys.argv[2], progress=False)
"""


def tiny_store(path, size=16, n_frames=40):
    "A store with one video 'v' of fringes drifting half a pixel per frame, and clips for n_f=2, n_s=1."
    t, yy, xx = np.meshgrid(np.arange(n_frames), np.arange(size), np.arange(size), indexing="ij")
    frames = np.sin(2 * np.pi * (xx - 0.5 * t) / 8) * np.cos(2 * np.pi * yy / 8)
    frames = ((frames - frames.mean()) / frames.std()).astype(np.float32)
    store = create_store(path)
    write_stage(store, "crops", "v", xr.DataArray(frames, dims=("time", "cy", "cx"), name="crops"))
    write_clips(store, n_f=(2,), n_s=(1,))
    return store
