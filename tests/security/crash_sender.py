"""A sending instance in a process of its own, for SECURITY-CASES 32: it runs Paris's federation workers
on an SQLite database prepared by the test until the test kills it with SIGKILL.

    python -m tests.security.crash_sender <database path> <lyon address> <lock ms>
"""

from __future__ import annotations

import asyncio
import sys

from federation.instance import Instance
from federation.runner import FederationRuntime
from storage.db import connect

BASE = "http://paris.test"
COMPANY = "https://company.atrium.test/ns/members"


def paris(lyon_address: str) -> Instance:
    return Instance.create(base_url=BASE, company_audience=COMPANY, peers=["lyon.test"],
                           peer_addresses={"lyon.test": lyon_address})


async def main(database: str, lyon_address: str, lock_ms: int) -> None:
    db = await connect(f"sqlite:///{database}")
    runtime = FederationRuntime(db, paris(lyon_address), lock_ms=lock_ms, poll_interval=0.05, concurrency=8)
    await runtime.start(run_workers=True)
    print("sending", flush=True)
    await asyncio.Event().wait()     # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
