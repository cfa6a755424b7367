"""`make demo`: three subsidiaries' instances on loopback, federating, with employees and activity.

Starts `atrium serve` three times (paris, lyon, montreal on ports 8101-8103, data under
./data/demo/), creates employees with managers and departments, has them follow each other across
instances, post, reply and like, then prints the URLs and logins and serves until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "demo-password-2026"
ATRIUM = str(Path(sys.executable).parent / "atrium")


@dataclass
class DemoInstance:
    name: str
    port: int
    people: list[tuple[str, str, str, str | None]]   # username, display name, department/title, manager
    data_dir: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path("data/demo") / self.name

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    def env(self, peers: list[str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
        env.update({
            "ATRIUM_DOMAIN": self.domain, "ATRIUM_SCHEME": "http", "ATRIUM_DATA_DIR": str(self.data_dir.resolve()),
            "ATRIUM_INSTANCE_NAME": f"ACME {self.name.capitalize()}", "ATRIUM_COMPANY_NAME": "ACME",
            "ATRIUM_COMPANY_AUDIENCE": "https://acme.example/ns/members", "ATRIUM_PEERS": ",".join(peers),
            "ATRIUM_PEER_ADDRESSES": ",".join(f"{p}={p}" for p in peers), "ATRIUM_LOG_LEVEL": "warning",
        })
        return env


def _run(instance: DemoInstance, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([ATRIUM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"demo: atrium {' '.join(args)} failed on {instance.name}: {result.stderr.strip()}")
    return result.stdout.strip()


def _wait_until(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    print(f"demo: still waiting for {what}; continuing", file=sys.stderr)
    return None


def _api(instance: DemoInstance, user: str) -> httpx.Client:
    return httpx.Client(base_url=instance.base_url, headers={"Authorization": f"Bearer {instance.tokens[user]}"},
                        timeout=30)


def _resolve(client: httpx.Client, handle: str) -> dict[str, Any] | None:
    def found() -> dict[str, Any] | None:
        accounts = client.get("/api/v2/search", params={"q": handle, "resolve": "true", "type": "accounts"}).json()
        return (accounts.get("accounts") or [None])[0]

    return _wait_until(found, f"{handle} to resolve")


INSTANCES = [
    DemoInstance("paris", 8101, [
        ("claire", "Claire Martin", "Executive/CEO", None),
        ("alice", "Alice Durand", "Sales/Sales director", "claire"),
        ("hugo", "Hugo Bernard", "Sales/Account manager", "alice"),
    ]),
    DemoInstance("lyon", 8102, [
        ("bob", "Bob Moreau", "Engineering/Head of engineering", None),
        ("ines", "Inès Petit", "Engineering/Developer", "bob"),
    ]),
    DemoInstance("montreal", 8103, [
        ("carol", "Carol Tremblay", "Support/Support lead", None),
        ("li", "Li Wei", "Support/Support engineer", "carol"),
    ]),
]


def start_all() -> None:
    domains = {i.name: i.domain for i in INSTANCES}
    for instance in INSTANCES:
        fresh = not (instance.data_dir / "atrium.db").exists()
        instance.data_dir.mkdir(parents=True, exist_ok=True)
        env = instance.env([d for n, d in domains.items() if n != instance.name])
        if fresh:
            for username, display, dept_title, manager in instance.people:
                department, title = dept_title.split("/")
                args = ["users", "create", username, "--password-stdin", "--display-name", display,
                        "--department", department, "--title", title]
                if manager:
                    args += ["--manager", manager]
                _run(instance, env, *args, stdin=PASSWORD + "\n")
        for username, *_ in instance.people:
            instance.tokens[username] = _run(instance, env, "tokens", "create", username, "--scopes", "read", "write",
                                             "follow").splitlines()[0]
        log = (instance.data_dir / "serve.log").open("ab")
        instance.process = subprocess.Popen([ATRIUM, "serve", "--port", str(instance.port)], env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
    for instance in INSTANCES:
        def up(instance: DemoInstance = instance) -> bool:
            try:
                return httpx.get(instance.base_url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        if not _wait_until(up, f"{instance.name} to start"):
            raise SystemExit(f"demo: {instance.name} did not start; see {instance.data_dir / 'serve.log'}")


def seed() -> None:
    paris, lyon, montreal = INSTANCES
    with _api(paris, "alice") as alice, _api(lyon, "bob") as bob, _api(montreal, "carol") as carol:
        bob_at_paris = _resolve(alice, f"@bob@{lyon.domain}")
        alice_at_montreal = _resolve(carol, f"@alice@{paris.domain}")
        if bob_at_paris:
            alice.post(f"/api/v1/accounts/{bob_at_paris['id']}/follow")
        if alice_at_montreal:
            carol.post(f"/api/v1/accounts/{alice_at_montreal['id']}/follow")
        alice_at_lyon = _resolve(bob, f"@alice@{paris.domain}")
        if alice_at_lyon:
            bob.post(f"/api/v1/accounts/{alice_at_lyon['id']}/follow")
        news = bob.post("/api/v1/statuses", json={"status": "Release 4.2 of our platform is out! #release",
                                                  "visibility": "company"}).json()
        alice.post("/api/v1/statuses", json={"status": "Welcome to Atrium, everyone 👋 #hello", "visibility": "public"})
        carol.post("/api/v1/statuses", json={"status": "Support is now open 24/7 across the company.",
                                             "visibility": "company"})
        if bob_at_paris:
            local = _wait_until(lambda: next((s for s in alice.get("/api/v1/timelines/home").json()
                                              if s["uri"] == news["uri"]), None), "bob's post at paris")
            if local:
                alice.post("/api/v1/statuses", json={"status": f"@bob@{lyon.domain} congratulations to the team!",
                                                     "in_reply_to_id": local["id"], "visibility": "company"})
                alice.post(f"/api/v1/statuses/{local['id']}/favourite")


def main() -> int:
    try:
        start_all()
        seed()
        print("\nAtrium demo: three subsidiaries federating on loopback (Ctrl-C stops them)\n")
        for instance in INSTANCES:
            users = ", ".join(p[0] for p in instance.people)
            print(f"  {instance.name:<9} {instance.base_url}/auth/sign_in   users: {users}")
        print(f"\n  password for every demo user: {PASSWORD}\n")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for instance in INSTANCES:
            if instance.process is not None and instance.process.poll() is None:
                os.killpg(instance.process.pid, signal.SIGTERM)
                instance.process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
