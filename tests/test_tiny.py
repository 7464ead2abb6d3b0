"""The tests' one tiny store (conftest.py `tiny_store`, from tests/tiny.py) is what the training tests assume."""
import numpy as np

from temvp.store import labels, read_stage


def test_tiny_store_defaults(tiny_store):
    store = tiny_store()
    assert labels(store, "crops") == ["v"] and labels(store, "clips") == ["v"]
    crops = read_stage(store, "crops", "v").crops
    assert crops.shape == (40, 16, 16) and crops.dtype == np.float32
    assert abs(float(crops.mean())) < 1e-5 and abs(float(crops.std()) - 1) < 1e-4
    # fringes drift half a pixel per frame: frame t+2 is frame t moved one pixel along x
    np.testing.assert_allclose(crops.values[2, :, 1:], crops.values[0, :, :-1], atol=1e-5)


def test_tiny_store_options(tiny_store):
    store = tiny_store("two.zarr", labels_=("a", "b"), size=32, n_frames=20, n_s=(1, 2), noise=0.3, fade_first=True)
    assert labels(store, "crops") == ["a", "b"]
    a, b = (read_stage(store, "crops", k).crops.values for k in ("a", "b"))
    assert a.shape == b.shape == (20, 32, 32) and not np.array_equal(a, b)
    assert a[:10].std() > 1.5 * a[10:].std()  # the first video fades at its middle frame
