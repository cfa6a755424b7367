"""The leak matrix (issue 6): 6 visibilities x 9 surfaces x 5 callers, each cell asserted through the
real routes against the one spec in tests/security/matrix.py, and the observed table printed."""

from __future__ import annotations

from tests.security.harness import World
from tests.security.matrix import CALLERS, SURFACES, VISIBILITIES, run_matrix
from tests.security.tally import TALLY


async def test_leak_matrix_every_visibility_surface_and_caller(paris: World) -> None:
    await check(paris, "closed")


async def test_leak_matrix_in_open_mode(open_paris: World) -> None:
    await check(open_paris, "open")


async def check(paris: World, mode: str) -> None:
    run = await run_matrix(paris, mode=mode)
    print(f"\nLEAK MATRIX ({mode} mode; ✓ seen, · not seen, then the HTTP status; ✗ = off the spec)")
    print(run.table())
    assert len(run.cells) == len(VISIBILITIES) * len(SURFACES) * len(CALLERS)
    TALLY.matrix_cells += len(run.cells)
    for cell in run.cells:
        if not cell.want.seen:
            TALLY.attempt("matrix", f"{mode}: {cell.caller} reads a {cell.visibility} post on {cell.surface}", None, 0,
                          accepted=cell.seen)
    failures = run.failures()
    assert not failures, "\n".join(
        f"{c.visibility} {c.surface} {c.caller}: seen={c.seen} status={c.status}, want {c.want}" for c in failures)
