"""A bounded HTTP load generator: N concurrent clients, one keep-alive connection each.

Run in its own process (so its CPU is not the server's event loop) by the HTTP scenarios:

    python -m bench.loadgen '{"url": "http://127.0.0.1:8123/", "concurrency": 50, "requests": 3000,
                              "seconds": 20, "headers": [{"cookie": "…"}]}'

and prints one JSON object: latencies (ms) measured per request from send to full body, requests
per second over the measured window, status counts. Every loop is bounded by a request count and a
deadline. Client `k` uses `headers[k % len(headers)]` (one token per author, say) and, for POSTs,
`json_body` or `form_body` with `{n}` replaced by the request's number.

`wrk` (a C load generator, when installed) is driven by `run_wrk` for comparison: its client
overhead is far smaller than httpx's on a 2-core machine where client and server share the CPUs.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from .stats import Latency


def _body(template: Any, n: int) -> Any:
    if isinstance(template, str):
        return template.replace("{n}", str(n))
    if isinstance(template, dict):
        return {k: _body(v, n) for k, v in template.items()}
    return template


async def generate(config: dict[str, Any]) -> dict[str, Any]:
    """Drive `config["url"]` with `concurrency` clients until `requests` are done or `seconds` pass.

    Closed loop by default (each client sends its next request when the previous one is answered:
    the server's saturation throughput, latency = clients / throughput). With `rate` (requests per
    second, all clients together) it is open loop: request i is due at start + i / rate, and its
    latency counts from when it was due, so a server falling behind is not hidden by the client
    waiting for it (no coordinated omission).
    """
    concurrency = int(config.get("concurrency", 50))
    total = int(config.get("requests", 2000))
    warmup = int(config.get("warmup", 100))
    seconds = float(config.get("seconds", 20))
    rate = float(config.get("rate") or 0)
    method = str(config.get("method", "GET"))
    headers: list[dict[str, str]] = config.get("headers") or [{}]
    json_body, form_body = config.get("json_body"), config.get("form_body")
    url = str(config["url"])
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    body_bytes = 0
    issued = 0
    failures: list[str] = []
    # One client (one keep-alive connection) per simulated user: a shared httpx pool serialises on
    # its lock and falls to ~150 req/s at 50 concurrent requests, measuring itself, not the server.
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(30.0))
               for _ in range(concurrency)]

    async def one(k: int, n: int) -> tuple[int, int]:
        kwargs: dict[str, Any] = {"headers": headers[k % len(headers)]}
        if json_body is not None:
            kwargs["json"] = _body(json_body, n)
        if form_body is not None:
            kwargs["data"] = _body(form_body, n)
        response = await clients[k].request(method, url, **kwargs)
        body = await response.aread()
        return response.status_code, len(body)

    async def worker(k: int, limit: int, start: float, deadline: float, record: bool) -> None:
        nonlocal issued, body_bytes
        while issued < limit and time.perf_counter() < deadline:
            n = issued
            issued += 1
            due = time.perf_counter()
            if rate and record:
                due = start + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                status, size = await one(k, n)
            except httpx.HTTPError as exc:
                if len(failures) < 5:
                    failures.append(repr(exc))
                statuses["error"] = statuses.get("error", 0) + 1
                continue
            if record:
                latencies.append((time.perf_counter() - due) * 1000)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                body_bytes += size

    try:
        # Warm-up: open the connections, fill the server's caches; not recorded.
        start = time.perf_counter()
        await asyncio.gather(*(worker(k, warmup, start, start + min(10.0, seconds), False)
                               for k in range(concurrency)))
        issued = 0
        start = time.perf_counter()
        await asyncio.gather(*(worker(k, total, start, start + seconds, True) for k in range(concurrency)))
        elapsed = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()

    lat = Latency.of(latencies)
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    return {
        "tool": f"httpx{' paced' if rate else ''}", "count": lat.count, "ok": ok, "statuses": statuses,
        "seconds": elapsed, "rps": ok / elapsed if elapsed else 0.0, "rate": rate, "p50": lat.p50, "p90": lat.p90,
        "p99": lat.p99, "max": lat.max, "mean": lat.mean, "bytes": body_bytes / max(lat.count, 1),
        "failures": failures,
    }


def run_httpx(config: dict[str, Any]) -> dict[str, Any]:
    """Run `generate` in a separate Python process and return its figures."""
    seconds = float(config.get("seconds", 20))
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", json.dumps(config)], capture_output=True, text=True,
        timeout=seconds + 60, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _lua(text: str) -> str:
    return json.dumps(text)   # a JSON string literal is a valid Lua string literal for our ASCII


def wrk_script(method: str, headers: list[dict[str, str]], json_body: Any | None) -> str:
    """A wrk Lua script: rotates `headers` per request and numbers `{n}` in the JSON body."""
    sets = ", ".join("{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in h.items()) + "}" for h in headers or [{}])
    body = _lua(json.dumps(json_body)) if json_body is not None else "nil"
    return f"""
local sets = {{{sets}}}
local template = {body}
local n = 0
request = function()
  n = n + 1
  local h = {{}}
  for k, v in pairs(sets[(n % #sets) + 1]) do h[k] = v end
  local b = nil
  if template then
    b = string.gsub(template, "{{n}}", tostring(n))
    h["Content-Type"] = "application/json"
  end
  return wrk.format({_lua(method)}, nil, h, b)
end
"""


def run_wrk(url: str, *, concurrency: int, seconds: int, headers: list[dict[str, str]] | None = None,
            method: str = "GET", json_body: Any | None = None, folder: Path | None = None) -> dict[str, Any]:
    """Drive `url` with wrk (one thread, `concurrency` connections) for `seconds`; its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=folder, delete=False) as handle:
        handle.write(wrk_script(method, headers or [{}], json_body))
        script = handle.name
    try:
        args = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "--timeout", "10s", "-s", script, url]
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30, check=False)
    finally:
        Path(script).unlink(missing_ok=True)
    out = done.stdout
    figures: dict[str, Any] = {"tool": "wrk", "raw": out[-1500:] + done.stderr[-500:]}
    for label, key in (("50%", "p50"), ("90%", "p90"), ("99%", "p99")):
        match = re.search(rf"^\s+{re.escape(label)}\s+(\S+)", out, re.M)
        figures[key] = _ms(match.group(1)) if match else float("nan")
    match = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    figures["max"] = _ms(match.group(1)) if match else float("nan")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    figures["rps_all"] = float(match.group(1)) if match else 0.0
    match = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    figures["count"] = int(match.group(1)) if match else 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = int(match.group(1)) if match else 0
    errors = re.search(r"Socket errors: (.*)", out)
    figures["socket_errors"] = errors.group(1) if errors else ""
    # Only successful answers count as throughput.
    good = figures["count"] - figures["non2xx"]
    figures["rps"] = figures["rps_all"] * good / figures["count"] if figures["count"] else 0.0
    return figures


def main() -> None:
    config = json.loads(sys.argv[1])
    try:
        import uvloop  # the server runs on uvloop too; give the client the same footing
    except ImportError:
        result = asyncio.run(generate(config))
    else:
        result = uvloop.run(generate(config))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
