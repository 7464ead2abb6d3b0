"""End-to-end test of the metric explorer in headless Chromium (Debian's `chromium`, driven by Playwright).

A small demo output is trained and evaluated (tests/evaluated.py), served with `panel serve temvp/app.py`,
and driven like a person would: open the tab, click a heat-map cell, jump to the worst clip.
Run: pytest -m browser tests/test_explorer_browser.py  (TEMVP_KEEP=1 keeps the screenshots in test-output/).
"""
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser import ARGS, CHROMIUM, panel_serve  # noqa: E402
from evaluated import evaluated_output  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

# The Bokeh plots on the page: title, factors of categorical axes, and the page position of every factor.
PLOTS_JS = """
() => {
  const out = [];
  for (const v of Bokeh.index.all_views()) {
    if (!v.frame || !v.model.title) continue;
    const r = v.canvas_view.el.getBoundingClientRect();
    const p = {title: v.model.title.text, visible: r.width > 0 && r.height > 0, x: {}, y: {}};
    for (const [axis, range, scale, off] of [["x", v.model.x_range, v.frame.x_scale, r.left + window.scrollX],
                                             ["y", v.model.y_range, v.frame.y_scale, r.top + window.scrollY]]) {
      if (range.factors) for (const f of range.factors) p[axis][f] = off + scale.compute(range.synthetic(f));
    }
    out.push(p);
  }
  return out;
}
"""



def _serve(tmp, *args):
    "`panel serve temvp/app.py --args ARGS` on a free port; yields its URL once it answers."
    with panel_serve(tmp, *args) as (url, _):
        yield url


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    "A trained and evaluated demo output (2nm, N_f 4 6 x N_s 1 2)."
    return evaluated_output(tmp_path_factory.mktemp("explorer"))


@pytest.fixture(scope="module")
def served(evaluated):
    yield from _serve(evaluated, evaluated / "study.zarr")


def _plots(page):
    return [p for p in page.evaluate(PLOTS_JS) if p["visible"]]


def _plot(page, word):
    "The visible plot whose title contains `word`."
    hits = [p for p in _plots(page) if word in p["title"]]
    assert hits, f"no visible plot titled with {word!r}: {[p['title'] for p in _plots(page)]}"
    return hits[0]


def _wait_title(page, word, timeout=30):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if any(word in p["title"] for p in _plots(page)):
            return time.perf_counter() - t0
        time.sleep(0.05)
    raise AssertionError(f"no plot titled with {word!r} after {timeout} s: {[p['title'] for p in _plots(page)]}")


def _open_explorer(page, url):
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    page.get_by_text("Metric explorer", exact=True).wait_for(timeout=60_000)
    page.get_by_text("Metric explorer", exact=True).click()


def test_metric_explorer_in_browser(evaluated, served, sync_playwright, out_dir):
    from temvp.evaluate import NOISY_SSIM, open_cube
    cube = open_cube(evaluated / "runs" / "metrics.zarr")
    noisy = "frame_ssim" in cube and float(cube.frame_ssim.sel(size="2nm")) < NOISY_SSIM
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _open_explorer(page, served)
        page.get_by_text("2nm · N_f 4, N_s 1").wait_for(timeout=60_000)
        _wait_title(page, "N_f=4 N_s=1: SSIM per predicted frame")
        page.get_by_text("histogram-matched predictions").first.wait_for(timeout=30_000)  # the variant shown, named
        assert page.get_by_text("dominated by noise").count() == int(noisy)  # the noisy-targets warning, when due
        time.sleep(1)
        page.screenshot(path=str(out_dir / "10_explorer_loaded.png"), full_page=True)

        # click the heat map's cell N_f 6, N_s 2: the strategy, the lead-time curves and the epoch curves follow
        heat = _plot(page, "2nm: SSIM (test")
        assert set(heat["x"]) == {"4", "6"} and set(heat["y"]) == {"1", "2"}, heat
        t0 = time.perf_counter()
        page.mouse.click(heat["x"]["6"] - page.evaluate("window.scrollX"),
                         heat["y"]["2"] - page.evaluate("window.scrollY"))
        _wait_title(page, "N_f=6 N_s=2: SSIM per predicted frame")
        print(f"heat-map click -> new lead-time curve drawn: {1e3 * (time.perf_counter() - t0):.0f} ms")
        page.get_by_text("2nm · N_f 6, N_s 2").wait_for(timeout=30_000)
        _wait_title(page, "N_f=6 N_s=2: SSIM against epoch")
        page.get_by_text("Selected 2nm N_f 6, N_s 2").wait_for(timeout=10_000)
        page.screenshot(path=str(out_dir / "11_strategy_selected.png"), full_page=True)

        # another metric: the heat map and curves redraw in MSE
        t0 = time.perf_counter()
        page.locator("select").nth(1).select_option(label="MSE")
        _wait_title(page, "N_f=6 N_s=2: MSE per predicted frame")
        _wait_title(page, "2nm: MSE (test")
        print(f"metric change -> heat map and curves redrawn: {1e3 * (time.perf_counter() - t0):.0f} ms")

        # the raw predictions: the curves and the summary say so
        page.get_by_role("button", name="raw", exact=True).click()
        _wait_title(page, "N_f=6 N_s=2: MSE per predicted frame (test, raw")
        page.get_by_text("raw predictions").first.wait_for(timeout=30_000)

        # the worst clip by MSE, one click away
        page.get_by_role("button", name="Worst clip").click()
        page.get_by_text("the worst test clip by MSE").wait_for(timeout=30_000)
        msg = page.get_by_text("the worst test clip by MSE").inner_text()
        clip = int(msg.split("Clip ")[1].split(":")[0])
        _wait_title(page, f"test clip {clip}")
        time.sleep(1)
        page.screenshot(path=str(out_dir / "12_worst_clip.png"), full_page=True)
        browser.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def served_without_runs(tmp_path_factory):
    "A demo store with no runs beside it."
    from temvp.study import demo
    tmp = tmp_path_factory.mktemp("noruns")
    store = demo(tmp, n_frames=32, size=192, progress=False, log=lambda *a: None)
    yield from _serve(tmp, store)


def test_explorer_without_runs(served_without_runs, sync_playwright, out_dir):
    "A store without runs: the explorer says there is nothing to explore yet and how to make it."
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 800})
        _open_explorer(page, served_without_runs)
        page.get_by_text("Nothing to explore yet").wait_for(timeout=30_000)
        assert page.get_by_text("temvp evaluate").count() >= 1
        page.screenshot(path=str(out_dir / "13_explorer_no_runs.png"), full_page=True)
        browser.close()


def test_explorer_cube_missing(evaluated, tmp_path):
    "A --cube that does not exist: the explorer's tab says so and how to make it (checked without a browser)."
    from temvp.dashboard import app
    page = app(evaluated / "study.zarr", cube=tmp_path / "nope.zarr")
    assert "No metric cube at" in page.explorer.object and "temvp evaluate" in page.explorer.object
    assert type(app(evaluated / "study.zarr").explorer).__name__ == "MetricExplorer"
