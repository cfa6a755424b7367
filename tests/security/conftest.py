"""Fixtures of the security suite: the SSRF canary (one per session, never to be reached), the world
under attack (tests/security/harness.py), and the scoreboard printed at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.security.canary import Canary
from tests.security.harness import World, world
from tests.security.tally import TALLY


@pytest.fixture(scope="session")
def canary() -> Iterator[Canary]:
    """A loopback listener no test may ever reach; checked when the session ends."""
    listener = Canary.start()
    yield listener
    listener.stop()
    assert listener.hits == [], f"the SSRF canary was reached: {listener.hits}"
    bad = TALLY.bad()
    assert not bad, TALLY.summary()


@pytest.fixture
async def paris(tmp_path: Path, canary: Canary) -> AsyncIterator[World]:
    """Paris in closed mode with lyon as its one company peer (see harness.py)."""
    async with world(tmp_path, canary) as running:
        yield running
    assert canary.hits == [], f"the SSRF canary was reached: {canary.hits}"


@pytest.fixture
async def open_paris(tmp_path: Path, canary: Canary) -> AsyncIterator[World]:
    """Paris in open mode: the fediverse minus blocks, company posts still inside the company."""
    async with world(tmp_path, canary, mode="open") as running:
        yield running
    assert canary.hits == [], f"the SSRF canary was reached: {canary.hits}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.tried or TALLY.matrix_cells:
        terminalreporter.write_sep("=", "security counts")
        terminalreporter.write_line(TALLY.summary())
