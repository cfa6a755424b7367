"""The three-instance federation scenario at scale-out shape: each instance on its own PostgreSQL
schema, two web workers (`atrium serve --workers 2`) and two `atrium worker` delivery processes."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess

import asyncpg
import pytest

from tests.conftest import PG_URL, require_postgres
from tests.e2e.federation_rig import start_company
from tests.e2e.test_federation_three_instances import colleagues_follow_post_reply_boost_like_edit_and_delete
from tests.rig import ATRIUM, UserSpec


async def _schemas(names: list[str], create: bool) -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        for name in names:
            await conn.execute(f"CREATE SCHEMA {name}" if create else f"DROP SCHEMA IF EXISTS {name} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def company_on_postgres(tmp_path):
    import asyncio

    asyncio.run(require_postgres("the federation scenario on PostgreSQL"))
    suffix = secrets.token_hex(4)
    schemas = {name: f"e2e_{name}_{suffix}" for name in ("paris", "lyon", "montreal")}
    asyncio.run(_schemas(list(schemas.values()), True))
    separator = "&" if "?" in PG_URL else "?"
    layout = {"paris": [UserSpec("alice")], "lyon": [UserSpec("bob")], "montreal": [UserSpec("carol")]}
    instances = start_company(tmp_path, layout, per_instance_env={
        # asyncpg passes unknown DSN parameters on as server settings: one schema per instance.
        name: {"ATRIUM_DATABASE_URL": f"{PG_URL}{separator}search_path={schema}", "ATRIUM_RUN_WORKERS": "false"}
        for name, schema in schemas.items()
    }, serve_args=("--workers", "2"))
    workers = []
    try:
        for instance in instances.values():
            for _ in range(2):
                workers.append(subprocess.Popen([ATRIUM, "worker", "--concurrency", "4"], env=instance.env,
                                                cwd=instance.data_dir, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL, start_new_session=True))
        yield instances
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=20)
        for instance in instances.values():
            instance.stop()
        asyncio.run(_schemas(list(schemas.values()), False))


def test_the_federation_scenario_on_postgresql_with_two_web_and_two_delivery_workers(company_on_postgres):
    colleagues_follow_post_reply_boost_like_edit_and_delete(company_on_postgres)
