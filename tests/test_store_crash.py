"""A writer killed with SIGKILL in the middle of replacing a video leaves the store with the old video."""
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import xarray as xr

from temvp.store import create_store, labels, read_stage, write_stage

WRITER = textwrap.dedent("""
    import sys, numpy as np, xarray as xr
    from temvp.store import write_stage
    big = xr.DataArray(np.random.default_rng(0).integers(0, 255, (1200, 480, 480), dtype='uint8'),
                       dims=('time', 'y', 'x'), name='frames')
    print('writing', flush=True)
    write_stage(sys.argv[1], 'videos', 'a', big, replace=True, chunks={'frames': (1, 480, 480)})
    print('done', flush=True)
""")


def test_sigkill_during_replace_keeps_old_video(tmp_path):
    store = create_store(tmp_path / "s.zarr")
    old = xr.DataArray(np.full((3, 8, 8), 7, "uint8"), dims=("time", "y", "x"), name="frames")
    write_stage(store, "videos", "a", old)
    write_stage(store, "videos", "b", old + 1)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    # kill the writer in the middle: once its staging folder holds some chunks, long before all 1200 frames
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        staged = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
        if staged and sum(1 for f in staged[0].rglob("*") if f.is_file()) >= 20:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the writer finished before it could be killed; the test did not exercise a crash"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    staged = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert staged, "no staging folder was left; the test did not exercise a crash"
    assert labels(store) == ["a", "b"]
    np.testing.assert_array_equal(read_stage(store, "videos", "a").frames.values, old.values)
    np.testing.assert_array_equal(read_stage(store, "videos", "b").frames.values, old.values + 1)
    # the whole study still opens with plain xarray, without the half-written data
    tree = xr.open_datatree(str(store), engine="zarr", consolidated=False)
    assert sorted(tree["videos"].children) == ["a", "b"]
    assert tree["videos/a"].dataset.sizes["time"] == 3
    # the next writer removes what the killed one left (its process is gone)
    write_stage(store, "videos", "d", old)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert labels(store) == ["a", "b", "d"]
