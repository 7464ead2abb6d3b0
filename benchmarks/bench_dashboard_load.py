"""Many users on one dashboard at once: first-render and frame-step times, measured in Chromium.

Issue 14's goal, on a 2-core machine: with 10 sessions open at the same time, every first render under 20 s, and a
frame step (the frame slider moved one frame, until the server has drawn that frame) under 1 s median while they are
all open.

It serves `temvp/app.py` with `panel serve` (the way a lab serves it), opens USERS pages at once in one headless
Chromium (each in its own browser context, as separate users), and records per page:
- first render: from the request until the crop tuner's frame plot shows a frame (title "LABEL · frame T/N");
- frame steps: the slider's handle gets ArrowRight, until the plot's title names the next frame; the pages step
  in turn, round-robin, STEPS times each, while all of them stay open.
It prints the figures, the server's CPU time, the CPU's model and flags, and the load average before and after.

Usage:
    python benchmarks/bench_dashboard_load.py [--users 10] [--steps 5] [--out DIR] [--frames 551] [--size 480]
        [--serve-arg=--num-threads=2 ...]
DIR (default: a temporary folder) holds a demo store (temvp.study.demo without training: study.zarr); an existing
DIR/study.zarr is reused. Needs Debian's Chromium (/usr/bin/chromium) and playwright (dev requirement).
"""
import argparse
import asyncio
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# the title of the crop tuner's frame plot, "LABEL · frame T/N", once BokehJS has drawn it ("" before)
TITLE_JS = """
() => {
  if (typeof Bokeh === "undefined" || !Bokeh.index) return "";
  for (const v of Bokeh.index.all_views()) {
    const t = v.frame && v.model.title ? String(v.model.title.text ?? "") : "";
    if (t.includes(" · frame ") && v.canvas_view.el.getBoundingClientRect().width > 0) return t;
  }
  return "";
}
"""


def cpu_info():
    "The CPU's model and the vector extensions that matter for torch/numpy, from /proc/cpuinfo."
    model, flags = platform.processor() or "?", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    keep = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return f"{model} ({os.cpu_count()} CPUs; {' '.join(keep) or 'no AVX2'})"


def make_store(out, frames, size):
    "A demo store without training (the data half of `temvp demo`), reused when it is there."
    store = Path(out) / "study.zarr"
    if not store.exists():
        from temvp.study import demo
        t0 = time.perf_counter()
        demo(out, n_frames=frames, size=size, progress=False, log=lambda *a: None)
        print(f"built {store} ({frames} frames of {size}x{size} per video) in {time.perf_counter() - t0:.0f} s")
    return store


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store, extra, log):
    "`panel serve temvp/app.py --args STORE` on a free port; returns (process, url) once it answers."
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", str(ROOT / "temvp" / "app.py"), "--address", "127.0.0.1",
           "--port", str(port), "--allow-websocket-origin", f"127.0.0.1:{port}", *extra, "--args", str(store)]
    proc = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/app"
    for _ in range(480):
        if proc.poll() is not None:
            raise SystemExit(f"panel serve exited:\n{Path(log).read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit(f"panel serve did not answer:\n{Path(log).read_text()}")


async def wait_title(page, want, timeout):
    "Poll the frame plot's title until `want(title)`; returns the title (TimeoutError after `timeout` s)."
    t_end = time.perf_counter() + timeout
    while time.perf_counter() < t_end:
        t = await page.evaluate(TITLE_JS)
        if t and want(t):
            return t
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the frame plot did not show the wanted frame within {timeout} s (last title {t!r})")


async def first_render(browser, url, timeout):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url, timeout=timeout * 1000)
    await wait_title(page, lambda t: True, timeout)
    took = time.perf_counter() - t0
    nav = await page.evaluate("() => { const t = performance.timing; return [t.responseEnd - t.navigationStart, "
                              "t.loadEventEnd - t.navigationStart]; }")
    PHASES.append([x / 1000 for x in nav])
    return page, took


PHASES = []   # per page: (HTML received, page loaded with its scripts) in s after the request


def frame_of(title):
    return int(title.split(" · frame ")[1].split("/")[0])


async def step(page, timeout):
    "Move the frame slider one frame to the right; seconds until the plot shows that frame."
    before = frame_of(await wait_title(page, lambda t: True, timeout))
    handle = page.locator(".noUi-handle").first
    await handle.focus()
    t0 = time.perf_counter()
    await handle.press("ArrowRight")
    await wait_title(page, lambda t: frame_of(t) != before, timeout)
    return time.perf_counter() - t0


async def run(url, users, steps, timeout):
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        got = await asyncio.gather(*[first_render(browser, url, timeout) for _ in range(users)],
                                   return_exceptions=True)
        pages = [g[0] for g in got if not isinstance(g, BaseException)]
        renders = [g[1] for g in got if not isinstance(g, BaseException)]
        failed = [repr(g) for g in got if isinstance(g, BaseException)]
        steps_s = []
        for _ in range(steps):
            for page in pages:
                try:
                    steps_s.append(await step(page, timeout))
                except TimeoutError as e:
                    failed.append(f"step: {e}")
        await browser.close()
    return renders, steps_s, failed


def _tree(pid):
    "pid and its descendants (Linux /proc), e.g. the forked processes of `panel serve --num-procs 2`."
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [q for c in (task / "children").read_text().split() for q in _tree(int(c))]
        except OSError:
            pass
    return out


def server_cpu(pid):
    "User + system CPU seconds of a process and its descendants (Linux /proc)."
    total = 0.0
    for p in _tree(pid):
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--steps", type=int, default=5, help="frame steps per page, round-robin over the open pages")
    ap.add_argument("--out", help="folder of the demo store (default: a temporary one)")
    ap.add_argument("--frames", type=int, default=551)
    ap.add_argument("--size", type=int, default=480)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a page or step counts as failed")
    ap.add_argument("--serve-arg", action="append", default=[], help="extra `panel serve` argument (repeatable)")
    a = ap.parse_args(argv)
    out = Path(a.out or tempfile.mkdtemp(prefix="temvp-load-"))
    store = make_store(out, a.frames, a.size)
    print(f"CPU: {cpu_info()}; load average before: {os.getloadavg()[0]:.2f}")
    proc, url = serve(store, a.serve_arg, out / "panel.log")
    try:
        cpu0, b0 = server_cpu(proc.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
        renders, steps_s, failed = asyncio.run(run(url, a.users, a.steps, a.timeout))
        cpu1, b1 = server_cpu(proc.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)   # the forked servers of --num-procs too
        proc.wait(20)
    print(f"{a.users} sessions at once, panel serve {' '.join(a.serve_arg) or '(defaults)'}:")
    if renders:
        print(f"  first render: median {statistics.median(renders):.1f} s, max {max(renders):.1f} s "
              f"(goal: every one under 20 s) -> {'met' if max(renders) < 20 and len(renders) == a.users else 'NOT met'}")
    if PHASES:
        print(f"  of which: HTML received after median {statistics.median(p[0] for p in PHASES):.1f} s, scripts "
              f"loaded after median {statistics.median(p[1] for p in PHASES):.1f} s; the rest is the document's first "
              "sync over the websocket and BokehJS drawing it")
    if steps_s:
        print(f"  frame step with all open: median {statistics.median(steps_s):.2f} s, max {max(steps_s):.2f} s over "
              f"{len(steps_s)} steps (goal: median under 1 s) -> {'met' if statistics.median(steps_s) < 1 else 'NOT met'}")
    print(f"  server CPU: {cpu1 - cpu0:.1f} s in all ({(cpu1 - cpu0) / max(1, a.users):.2f} s per session)")
    browser = (b1.ru_utime + b1.ru_stime) - (b0.ru_utime + b0.ru_stime)
    print(f"  browser CPU (Chromium and the playwright driver): {browser:.1f} s in all")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")
    for f in failed:
        print("  FAILED:", f)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
