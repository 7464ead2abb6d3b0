"""Shared pieces of the browser tests: Debian's Chromium with the flags this machine needs, a free port."""
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = "/usr/bin/chromium"  # Debian's package (apt-get install -y chromium); never `playwright install`
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    "A TCP port free on 127.0.0.1 now."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def panel_serve(tmp, *args):
    "`panel serve temvp/app.py --args ARGS` on a free port, run in `tmp`: yields (url, log path) once it answers."
    port = free_port()
    log = Path(tmp) / f"panel-{port}.log"
    cmd = [sys.executable, "-m", "panel", "serve", str(ROOT / "temvp" / "app.py"), "--address", "127.0.0.1",
           "--port", str(port), "--allow-websocket-origin", f"127.0.0.1:{port}", "--args", *map(str, args)]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=tmp)
    url = f"http://127.0.0.1:{port}/app"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"panel serve exited:\n{log.read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"panel serve did not answer at {url}:\n{log.read_text()}")
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
