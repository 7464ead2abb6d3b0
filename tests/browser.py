"""Shared pieces of the browser tests: Debian's Chromium with the flags this machine needs, a free port."""
import socket

CHROMIUM = "/usr/bin/chromium"  # Debian's package (apt-get install -y chromium); never `playwright install`
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    "A TCP port free on 127.0.0.1 now."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
