"""`make run`'s server: starts on 127.0.0.1, and the curl lines it prints work as printed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_api(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_make_run_serves_and_its_printed_curl_lines_work(tmp_path):
    api_port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "STAGE"}
    env.update({"PORT": str(api_port), "MOTO_PORT": str(moto_port), "COALITION_ADMIN_KEY": "fixed-admin-key"})
    log = tmp_path / "run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "localdev.run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_api(api_port, time.monotonic() + 90)
        text = log.read_text()
        exports = [line.strip() for line in text.splitlines() if line.strip().startswith("export ")]
        curls = [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]
        assert "export ADMIN_KEY=fixed-admin-key" in exports
        assert len(curls) >= 6

        outputs = []
        for curl in curls:
            script = "\n".join([*exports, curl.replace("curl -s", "curl -s -w '\\n%{http_code}'", 1)])
            done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
            body, status = done.stdout.rsplit("\n", 1)
            outputs.append((curl, int(status), json.loads(body)))

        for curl, status, body in outputs:
            assert status in (200, 201), (curl, status, body)
            assert "error" not in body, (curl, body)
        earned = next(body for curl, _, body in outputs if "/v1/transactions" in curl)
        assert earned["points"] == 25 and sum(line["points"] for line in earned["breakdown"]) == 25
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does in a terminal
        try:
            stopped = server.wait(timeout=20) is not None
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            stopped = False
    assert stopped, "Ctrl-C did not stop make run"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", api_port)) != 0, "the API still listens after Ctrl-C"
