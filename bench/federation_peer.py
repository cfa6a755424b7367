"""Loopback federation peers for the federation scenarios: one process, many ports, raw asyncio HTTP/1.1.

    python -m bench.federation_peer '{"ports": [9001, 9002], "slow": [9002], "delay": 2.0,
                                      "actor_key_pem": "-----BEGIN PUBLIC KEY-----…", "stats": "/tmp/x.json"}'

Every port answers `POST …` with `202 Accepted` (after `delay` seconds on the `slow` ports) and
`GET /users/<name>` with an actor document of that name on the requested Host whose key is
`actor_key_pem` (the key-cache-miss variant of the inbox scenario fetches those). It prints
`ready` once listening, counts the POSTs per port and writes the counts to `stats` on SIGTERM.

Deliberately not Starlette/uvicorn: a receiver must cost far less than the sender it measures, so
that the sender is the bottleneck. The parser understands what httpx sends (Content-Length bodies,
keep-alive), nothing more.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

_ACCEPTED = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


def actor_document(host: str, name: str, public_key_pem: str) -> bytes:
    uri = f"http://{host}/users/{name}"
    return json.dumps({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri, "type": "Person", "preferredUsername": name, "name": name,
        "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
        "following": f"{uri}/following", "endpoints": {"sharedInbox": f"http://{host}/inbox"},
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_key_pem},
    }).encode()


class Peer:
    def __init__(self, config: dict[str, Any]) -> None:
        self.slow = set(config.get("slow") or [])
        self.delay = float(config.get("delay", 2.0))
        self.key_pem = str(config.get("actor_key_pem") or "")
        self.posts: dict[int, int] = {}

    async def serve(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                if method == "POST":
                    if port in self.slow:
                        await asyncio.sleep(self.delay)
                    self.posts[port] = self.posts.get(port, 0) + 1
                    writer.write(_ACCEPTED)
                elif method == "GET" and target.startswith("/users/"):
                    body = actor_document(headers.get("host", ""), target.split("/")[2], self.key_pem)
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\n"
                                 b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                else:
                    writer.write(_NOT_FOUND)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def main(config: dict[str, Any]) -> dict[int, int]:
    peer = Peer(config)
    servers = []
    for port in config["ports"]:
        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter, port: int = port) -> None:
            await peer.serve(port, r, w)
        servers.append(await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()
    return peer.posts


if __name__ == "__main__":
    cfg = json.loads(sys.argv[1])
    try:
        import uvloop
    except ImportError:
        counts = asyncio.run(main(cfg))
    else:
        counts = uvloop.run(main(cfg))
    if cfg.get("stats"):
        Path(cfg["stats"]).write_text(json.dumps(counts))
