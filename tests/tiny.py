"""The one tiny store of the tests (conftest.py's `tiny_store` fixture wraps it; subprocesses import it from here):
normalised crops of fringes drifting half a pixel per frame, with clip tables, built in a second."""
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


def fringes(*, size=16, n_frames=40, period=8, noise=0.0, fade=False, seed=0):
    """(n_frames, size, size) float32 fringes drifting half a pixel per frame, normalised to mean 0 and std 1.

    `noise` adds Gaussian noise of that standard deviation (before normalising); `fade` drops the contrast to 0.3
    from the middle frame on (a change a forecaster cannot see coming).
    """
    t, yy, xx = np.meshgrid(np.arange(n_frames), np.arange(size), np.arange(size), indexing="ij")
    f = np.sin(2 * np.pi * (xx - 0.5 * t) / period) * np.cos(2 * np.pi * yy / period)
    if fade:
        f = np.where(t < n_frames // 2, 1.0, 0.3) * f
    if noise:
        f = f + noise * np.random.default_rng(seed).standard_normal(f.shape)
    return ((f - f.mean()) / f.std()).astype(np.float32)


def tiny_store(path, *, size=16, n_frames=40, labels_=("v",), n_f=(2,), n_s=(1,), period=8, noise=0.0,
               fade_first=False, seed=0, chunk=8):
    """A store at `path` with crops of `fringes` for each label and clip tables for the strategies n_f x n_s.

    Video k uses seed `seed + k`; with `fade_first` the first video fades at its middle frame. Returns the path.
    """
    store = create_store(path)
    for k, label in enumerate(labels_):
        f = fringes(size=size, n_frames=n_frames, period=period, noise=noise, fade=fade_first and k == 0, seed=seed + k)
        da = xr.DataArray(f, dims=("time", "cy", "cx"), coords={"time": np.arange(n_frames)}, name="crops",
                          attrs={"norm_mean": 0.0, "norm_std": 1.0, "window": size})
        write_stage(store, "crops", label, da, chunks={"crops": (min(chunk, n_frames), size, size)})
    write_clips(store, n_f=tuple(n_f), n_s=tuple(n_s))
    return store
