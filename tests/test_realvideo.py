"""The real in-situ recordings of ../shared/data/realvideo (skipped where the folder is absent): read with their
stated shape and calibration, and carried through ingest, tracking, cropping and a forecast by the bundled model."""
import warnings
from pathlib import Path

import numpy as np
import pytest

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "realvideo"
N6 = REAL / "liquidet-n6" / "N6_liquid_sample_stack.mat"
pytestmark = pytest.mark.skipif(not N6.exists(), reason=f"{N6} not present (real recordings are not in checkouts)")


def test_mat_series_as_stated():
    from temvp.ingest import read_video
    with pytest.warns(UserWarning, match="has no unit"):
        v = read_video(N6)
    # as the folder's README states: 116 frames of 256 x 256 float32, pix_sz 0.26, tilt angles -46..+44 degrees
    assert v.shape == (116, 256, 256) and v.dtype == np.float32
    assert v.attrs["pixel_size_unitless"] == pytest.approx(0.26) and "pixel_size" not in v.attrs
    angles = np.asarray(v.attrs["per_frame_angles"])
    assert len(angles) == 116 and angles[0] == -46 and angles[-1] == 44 and (np.diff(angles) >= 0).all()
    assert 0.0 <= float(v.min()) and float(v.max()) == pytest.approx(0.686, abs=1e-3)


def test_real_series_forecast_by_base_model(tmp_path):
    from temvp.models import forecast
    from temvp.pipeline import ingest_to_store, track_to_store
    from temvp.store import read_stage
    store = tmp_path / "real.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ingest_to_store(store, N6, label="N6")
    track_to_store(store)
    crops = read_stage(store, "crops", "N6").crops.values
    pred = forecast(store, "N6", n_f=4, n_s=1, bf16=False)
    assert pred.shape == (116 - 7, 4, 128, 128) and np.isfinite(pred.values).all()
    tgt = crops[pred["frame"].values]
    inp = crops[pred["frame"].values[:, :1] - 1 - np.arange(4)[::-1]]
    mse = lambda p: float(((p - tgt) ** 2).mean())
    assert mse(pred.values) < mse(inp[:, -1:])  # better than persistence on a video it never saw
