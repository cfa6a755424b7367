"""The operations endpoints of a real `atrium serve --workers 2`, as a load balancer and Prometheus see it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import httpx

from tests.rig import ATRIUM, free_port, instance_env


def test_two_web_workers_answer_probes_and_one_scrape_sees_both(tmp_path):
    port = free_port()
    data = tmp_path / "paris"
    data.mkdir()
    env = instance_env("paris", data, "127.0.0.1", port, {"ATRIUM_RUN_WORKERS": "false"})
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([ATRIUM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                               env=env, cwd=data, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        pids: set[str] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(pids) < 2:
            try:
                page = httpx.get(f"{base}/metrics", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            pids = set(re.findall(r'^atrium_process_resident_memory_bytes\{pid="(\d+)"\}', page.text, re.M))
            time.sleep(0.2)
        assert len(pids) == 2, (tmp_path / "serve.log").read_text()[-3000:]
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        proxied = httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5)
        assert proxied.status_code == 403
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
    # Workers that stopped cleanly leave no metrics files behind
    assert not list((data / "metrics").glob("*.json"))
