"""temvp.ingest.read_video against real microscope files (see ../shared/data/formats/README.md).

The files live outside the repository, in ``<repo>/../shared/data/formats``; users' checkouts don't
have them, so the whole module is skipped when the folder is absent. Expected values were read from
the files (rosettasciio / h5py / tifffile metadata) and, for the README's nominal values, agree
with them (0.0178 nm/px, 10 pm/px, 12.2 pm/px ...).
"""
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

FORMATS = Path(__file__).resolve().parents[2] / "shared" / "data" / "formats"
if not FORMATS.is_dir():
    pytest.skip(f"real-format test files not found at {FORMATS}", allow_module_level=True)

from temvp.ingest import read_video  # noqa: E402

# file -> expected (shape, dtype, format, pixel_size in A or None, frame_time in s or None, sum of values)
CASES = {
    "rosettasciio/multi_signal.dm3": ((1, 512, 512), np.uint16, "dm3", 0.17751578, None, 949490255),
    "rosettasciio/test_STEM_image.dm3": ((1, 68, 68), np.uint32, "dm3", 2.48538017, None, 150998555),
    "rosettasciio/test_stackbuilder_imagestack.dm3": ((3, 2, 16), np.uint32, "dm3", 599.82903, None, 58576739),
    "rosettasciio/fei_example_tem_stack.emd": ((2, 3, 3), np.int16, "emd-velox", 0.08172883, 0.8, 153),
    "rosettasciio/ROI_Random_Scan_movie.mrc": ((348, 16, 16), np.uint16, "mrc", None, 1 / 217.869674, 104477835),
    "rosettasciio/test_loading_image_saved_with_DM_stack.tif": ((2, 68, 68), np.float32, "tiff", 1686.7400, 2.5, 30845660.0),
    "rosettasciio/128x128-TEM_search.emi": ((1, 128, 128), np.int32, "emi", 52.612142, None, 169637782),
    "rosettasciio/128x128-TEM_search_1.ser": ((1, 128, 128), np.int32, "ser", 52.612142, None, 169637782),
    "ncempy/16_STOimage.emi": ((1, 1024, 1024), np.uint16, "emi", 0.10012704, None, 19659051598),
    "ncempy/16_STOimage_1.ser": ((1, 1024, 1024), np.uint16, "ser", 0.10012704, None, 19659051598),
    "ncempy/Acquisition_18.emd": ((1, 1024, 1024), np.uint16, "emd-berkeley", 0.12246525, None, 11181441555),
    "ncempy/Camera_Ceta_Imaging_Micro.emd": ((1, 512, 512), np.int16, "emd-velox", 31.388371, None, -411708),
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _read(name):
    path = FORMATS / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return read_video(path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_file(name):
    shape, dtype, fmt, px, ft, total = CASES[name]
    v = _read(name)
    path = (FORMATS / name).resolve()
    assert v.name == "frames" and v.dims == ("time", "y", "x")
    assert v.shape == shape and v.dtype == dtype
    assert v.time.dtype == np.int64 and v.time.values.tolist() == list(range(shape[0]))
    assert v.attrs["format"] == fmt
    assert v.attrs["label"] == path.stem and v.attrs["source"] == str(path)
    assert all(val is not None for val in v.attrs.values())
    if px is None:
        assert "pixel_size" not in v.attrs
    else:
        assert math.isclose(v.attrs["pixel_size"], px, rel_tol=1e-6)
    if ft is None:
        assert "frame_time" not in v.attrs and "seconds" not in v.coords
    else:
        assert math.isclose(v.attrs["frame_time"], ft, rel_tol=1e-6)
        np.testing.assert_allclose(v.seconds.values, np.arange(shape[0]) * ft)
    acc = np.float64 if v.dtype.kind == "f" else np.int64
    assert v.values.astype(acc).sum() == total   # no clipping or rescaling


def test_nominal_pixel_sizes():
    "The README's rounded values: 0.0178 nm, 10 pm, 12.2 pm per pixel."
    assert round(_read("rosettasciio/multi_signal.dm3").attrs["pixel_size"], 3) == 0.178
    assert round(_read("ncempy/16_STOimage.emi").attrs["pixel_size"], 3) == 0.100
    assert round(_read("ncempy/Acquisition_18.emd").attrs["pixel_size"], 3) == 0.122


def test_multi_signal_picks_the_image():
    v = _read("rosettasciio/multi_signal.dm3")
    assert (v.attrs["signal_index"], v.attrs["n_signals"], v.attrs["signal_title"]) == (0, 2, "HAADF")


def test_dm_tiff_stack_matches_tifffile_and_keeps_nonsquare_pixels():
    import tifffile
    name = "rosettasciio/test_loading_image_saved_with_DM_stack.tif"
    v = _read(name)
    np.testing.assert_array_equal(v.values, tifffile.imread(FORMATS / name))
    # DM wrote 0.16867 um along x and 1.68674 um along y (rosettasciio's own test asserts the same)
    assert math.isclose(v.attrs["pixel_size"], 0.168674007 * 1e4, rel_tol=1e-6)
    assert math.isclose(v.attrs["pixel_size_y"], 1.686740041 * 1e4, rel_tol=1e-6)


def test_velox_stack_time_axis():
    v = _read("rosettasciio/fei_example_tem_stack.emd")
    np.testing.assert_allclose(v.seconds.values, [0.0, 0.8])
    assert v.values[0, 0].tolist() == [0, 2, 4] and v.values[-1, -1, -1] == 17


def test_berkeley_emd_keeps_file_axis_order():
    "dim1 of a Berkeley EMD is the first array axis (rows); rosettasciio returns the transpose."
    import h5py
    from rsciio.emd import file_reader
    name = "ncempy/Acquisition_18.emd"
    v = _read(name)
    with h5py.File(FORMATS / name, "r") as f:
        np.testing.assert_array_equal(v.values[0], f["data/single/data"][()])
        assert f["data/single/dim1"].attrs["name"] == b"Y"
    np.testing.assert_array_equal(v.values[0], file_reader(str(FORMATS / name))[0]["data"].T)


def test_de_movie_frame_time_from_info_file():
    v = _read("rosettasciio/ROI_Random_Scan_movie.mrc")
    # ROI_Random_Scan_info.txt: Frames Per Second = 217.869674, Frame Time (nanoseconds) = 4589900
    assert math.isclose(v.attrs["frame_time"], 4589900e-9, rel_tol=1e-6)
    assert "pixel_size" not in v.attrs    # the file writes -1 nm (unknown)


def test_emi_and_ser_agree():
    a, b = _read("ncempy/16_STOimage.emi"), _read("ncempy/16_STOimage_1.ser")
    np.testing.assert_array_equal(a.values, b.values)
    assert a.attrs["pixel_size"] == b.attrs["pixel_size"]
