"""Starts `./absorb serve` for the compatibility checks (tools/check_openai_server.py, tools/check_lm_eval_server.py)
and stops it again (SIGINT, as Ctrl-C)."""
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`./absorb serve ARGS` on a free port; `url` is its /v1 root."""

    def __init__(self, *args, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = open(ROOT / "target" / f"serve-{self.port}.log", "w")
        # start_new_session: the server gets SIGINT from us, not from the terminal, and handles it as Ctrl-C
        self.proc = subprocess.Popen([str(ROOT / "absorb"), "serve", "--port", str(self.port), *args],
                                     stdout=subprocess.DEVNULL, stderr=self.log, env={**os.environ, **(env or {})},
                                     start_new_session=True)
        deadline = time.time() + 600
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"absorb serve exited ({self.proc.returncode}); see {self.log.name}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("absorb serve did not start")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
