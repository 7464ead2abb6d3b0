"""End-to-end test of the crop tuner in headless Chromium (Debian's `chromium`, driven by Playwright for Python).

Setup (never `playwright install`: it downloads browsers):
    apt-get install -y chromium
    pip install playwright
Run: pytest -m browser tests/test_dashboard_browser.py  (TEMVP_KEEP=1 keeps the screenshots in test-output/).
"""
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser import ARGS, CHROMIUM, free_port, panel_serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

# The crop tuner's frame plot (title "LABEL · frame T/N"): its window centre (the one-point renderer with columns
# col and row) in data pixels and in viewport pixels, and the viewport pixels of (col + dc, row + dr).
CENTRE_JS = """
([dc, dr]) => {
  for (const v of Bokeh.index.all_views()) {
    const title = v.frame && v.model.title ? String(v.model.title.text ?? "") : "";
    if (!title.includes(" · frame ")) continue;
    const r = v.canvas_view.el.getBoundingClientRect();
    if (r.width == 0) continue;
    for (const g of v.model.renderers) {
      const d = g.data_source ? g.data_source.data : null;
      if (!d || !d.col || !d.row || d.col.length != 1 || g.glyph.x == null) continue;
      const [col, row] = [d.col[0], d.row[0]];
      const sx = (c) => r.left + v.frame.x_scale.compute(c), sy = (w) => r.top + v.frame.y_scale.compute(w);
      return {title, col, row, x: sx(col), y: sy(row), x1: sx(col + dc), y1: sy(row + dr)};
    }
  }
  return null;
}
"""


# The crop preview (title "crop WxW"): its canvas size and its frame (left, top, width, height) in canvas pixels.
CROP_JS = """
() => {
  for (const v of Bokeh.index.all_views()) {
    if (!v.frame || !v.model.title || !String(v.model.title.text ?? "").startsWith("crop ")) continue;
    const r = v.canvas_view.el.getBoundingClientRect();
    if (r.width == 0) continue;
    const b = v.frame.bbox;
    return {canvas: [r.width, r.height], frame: [b.left, b.top, b.width, b.height]};
  }
  return null;
}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory, sync_playwright):
    "A demo store served by `panel serve temvp/app.py` on a free port: (url, store, log path)."
    from temvp.study import demo
    tmp = tmp_path_factory.mktemp("dash")
    store = demo(tmp, n_frames=40, size=256, progress=False, log=lambda *a: None)
    with panel_serve(tmp, store) as (url, log):
        yield url, store, log


def _input(page, label):
    "The <input> of the Panel widget whose label is `label`."
    return page.locator(f".bk-input-group:has(label:text-is('{label}')) input").first


def _wait_value(page, label, pred, timeout=20):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        v = _input(page, label).input_value()
        if pred(v):
            return v
        time.sleep(0.05)
    raise AssertionError(f"{label} input stayed at {v!r}")


def test_crop_tuner_in_browser(served, sync_playwright, out_dir):
    from temvp.store import read_stage
    url, store, log = served
    old = read_stage(store, "tracks", "2nm").load()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1150})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url, wait_until="domcontentloaded", timeout=60_000)
        page.get_by_text("Set key frame here").wait_for(timeout=60_000)
        page.locator("canvas").first.wait_for(timeout=60_000)
        time.sleep(2)
        page.screenshot(path=str(out_dir / "01_crop_tuner_loaded.png"), full_page=True)
        crop = page.evaluate(CROP_JS)  # the crop preview is square and wholly inside its canvas (not cut by a
        assert crop and crop["frame"][2] == crop["frame"][3] == 240, crop  # layout that aligns it with another plot)
        assert crop["frame"][0] + crop["frame"][2] <= crop["canvas"][0], crop

        # move the frame slider with the keyboard (value_throttled fires on each key press)
        row0 = _input(page, "row (px)").input_value()
        handle = page.locator(".noUi-handle").first
        handle.focus()
        times = []
        for _ in range(10):
            before = _input(page, "row (px)").input_value()
            t0 = time.perf_counter()
            handle.press("ArrowRight")
            try:
                _wait_value(page, "row (px)", lambda v: v != before, timeout=5)
                times.append(time.perf_counter() - t0)
            except AssertionError:
                pass  # the centre may not move between two frames
        page.get_by_text("Frame: 10").first.wait_for(timeout=10_000)
        print(f"slider step -> new centre shown: median {1e3 * np.median(times):.0f} ms over {len(times)} steps")
        assert _input(page, "row (px)").input_value() != row0 or times == []

        # type a window centre at frame 10 and make it a key frame
        want = old.track.values[10] + [6.0, -4.0]
        for name, v in zip(("row (px)", "col (px)"), want):
            box = _input(page, name)
            box.fill(f"{v:.1f}")
            box.press("Enter")
        time.sleep(0.5)
        page.get_by_role("button", name="Set key frame here").click()
        page.get_by_text("Key frame 10").wait_for(timeout=20_000)

        # tap on the frame at frame 11: a second key frame where the click was
        handle.press("ArrowRight")
        page.get_by_text("Frame: 11").first.wait_for(timeout=10_000)
        for _ in range(100):  # the slider's label moves at once; wait until the server has drawn frame 11, or
            c = page.evaluate(CENTRE_JS, [0.0, 0.0])  # a loaded machine's click lands on frame 10's key
            if c and "frame 11/" in c["title"]:
                break
            time.sleep(0.1)
        assert c and "frame 11/" in c["title"], c
        time.sleep(0.3)
        frame_plot = page.locator(".bk-Canvas").first
        box = frame_plot.bounding_box()
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        for attempt in range(3):  # a click that lands while the frame is still redrawing is lost: click again
            page.mouse.click(box["x"] + box["width"] * (0.5 + 0.03 * attempt), box["y"] + box["height"] * 0.45)
            try:
                page.get_by_text("Key frame 11").wait_for(timeout=10_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        tapped = [float(_input(page, n).input_value()) for n in ("row (px)", "col (px)")]

        # drag the window centre at frame 12 by (-6, +9) px (row, col) with the mouse: a third key frame there
        handle.press("ArrowRight")
        page.get_by_text("Frame: 12").first.wait_for(timeout=10_000)
        for _ in range(100):  # the frame plot shows frame 12
            c = page.evaluate(CENTRE_JS, [9.0, -6.0])
            if c and "frame 12/" in c["title"]:
                break
            time.sleep(0.1)
        assert c and "frame 12/" in c["title"], c
        time.sleep(0.3)
        c = page.evaluate(CENTRE_JS, [9.0, -6.0])
        dragged_from = np.array([c["row"], c["col"]])
        t0 = time.perf_counter()
        page.mouse.move(c["x"], c["y"])
        page.mouse.down()
        page.mouse.move((c["x"] + c["x1"]) / 2, (c["y"] + c["y1"]) / 2, steps=5)
        page.mouse.move(c["x1"], c["y1"], steps=5)
        page.mouse.up()
        page.get_by_text("Key frame 12").wait_for(timeout=20_000)
        print(f"drag dropped -> key frame set: {1e3 * (time.perf_counter() - t0):.0f} ms")
        time.sleep(0.5)
        c2 = page.evaluate(CENTRE_JS, [0.0, 0.0])  # the cross is redrawn where it was dropped
        np.testing.assert_allclose([c2["row"], c2["col"]], dragged_from + [-6.0, 9.0], atol=0.5)
        page.screenshot(path=str(out_dir / "02_key_frames_set.png"), full_page=True)

        page.get_by_role("button", name="Save to store").click()
        page.get_by_text("Saved 2nm").wait_for(timeout=120_000)
        page.screenshot(path=str(out_dir / "03_saved.png"), full_page=True)

        page.locator("select").first.select_option("4nm")  # a video whose window is clamped on every frame
        page.get_by_text("Opened 4nm").wait_for(timeout=30_000)
        time.sleep(1)
        page.screenshot(path=str(out_dir / "04_clamped_video.png"), full_page=True)

        page.get_by_text("Metric explorer", exact=True).click()
        page.get_by_text("Nothing to explore yet").wait_for(timeout=10_000)  # no runs beside this store
        page.screenshot(path=str(out_dir / "05_metric_explorer_no_runs.png"), full_page=True)
        browser.close()
    assert not errors, errors

    new = read_stage(store, "tracks", "2nm").load()
    np.testing.assert_allclose(new.track.values[10] - old.track.values[10], [6.0, -4.0], atol=0.051)
    np.testing.assert_allclose(new.track.values[11], tapped, atol=0.051)
    np.testing.assert_allclose(new.track.values[12] - dragged_from, [-6.0, 9.0], atol=1.0)  # moved as dragged
    assert new.keyframe.values[[10, 11, 12]].all() and new.keyframe.sum() == 3
    crops = read_stage(store, "crops", "2nm")
    assert int(crops.row0.values[10]) == int(np.rint(new.track.values[10, 0])) - 64


def test_serve_function(served):
    "temvp.dashboard.serve on a free port answers on 127.0.0.1; a port in use is a clear error."
    _, store, _ = served
    port = free_port()
    code = f"from temvp.dashboard import serve; serve({str(store)!r}, port={port})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(120):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/temvp", timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.5)
        else:
            pytest.fail("serve() did not answer")
        assert "temvp" in page
        busy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert busy.returncode != 0 and "already in use" in busy.stderr, busy.stderr[-2000:]
    finally:
        proc.terminate()
        proc.wait(10)
