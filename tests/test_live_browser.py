"""The dashboard's live tab in Chromium while a simulated experiment streams and `temvp watch` writes the store: it
updates by itself (no reload), shows the frame, the forecast strip and the order curve, with no page error."""
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser import ARGS, CHROMIUM, panel_serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
TEMVP = str(Path(sys.executable).with_name("temvp"))


def _frame_shown(page):
    "The frame number the live tab's status line shows (Playwright's text locators see into Panel's shadow DOM)."
    status = page.get_by_text(re.compile(r"frame \d+ stored"))
    if not status.count():
        return None
    m = re.search(r"frame (\d+) stored", status.first.inner_text())
    return int(m.group(1)) if m else None


def test_live_tab_follows_a_running_watcher(tmp_path, sync_playwright, out_dir):
    from temvp.store import create_store
    store, cam = tmp_path / "s.zarr", tmp_path / "cam"
    create_store(store)
    cam.mkdir()
    # a stream longer than any page load (300 s at 4 frames/s), stopped once the tab has followed it: on a loaded
    # machine a 30 s stream could end before the page showed its first frame, leaving nothing to update
    cam_proc = subprocess.Popen([TEMVP, "synth", "2nm", "--stream", str(cam), "--fps", "4", "--frames", "1200",
                                 "--size", "256", "--seed", "9"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watcher = subprocess.Popen([TEMVP, "watch", str(cam), "--store", str(store), "--label", "run1", "--window", "128",
                                "--chunk", "2", "--idle", "20", "--calibrate", "10", "--no-bf16"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with panel_serve(tmp_path, store) as (url, log), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="domcontentloaded", timeout=120_000)
            page.get_by_text("Live", exact=True).wait_for(timeout=120_000)
            page.get_by_text("Live", exact=True).click()
            seen, t0 = [], time.time()
            while time.time() - t0 < 240 and len(set(v for v in seen if v is not None)) < 3:
                seen.append(_frame_shown(page))
                time.sleep(1.0)
            shown = sorted(set(v for v in seen if v is not None))
            assert len(shown) >= 3, f"the live tab did not update by itself: {seen}\n{log.read_text()[-2000:]}"
            assert page.locator("canvas").count() >= 3        # frame, forecast strip, order curve (Bokeh canvases)
            page.screenshot(path=str(out_dir / "live_tab.png"), full_page=True)
            assert not errors, errors
            browser.close()
    finally:
        cam_proc.terminate(); cam_proc.wait(60)
        watcher.terminate(); watcher.wait(60)
