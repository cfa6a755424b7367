"""storage.remote: tombstones of unseen posts and remote poll votes."""

from __future__ import annotations

from storage import polls, remote, statuses
from storage.db import Database
from tests.storage.helpers import local, status


async def test_a_tombstone_refuses_a_late_create(db: Database) -> None:
    alice = await local(db, "alice")
    async with db.transaction() as tx:
        await remote.add_tombstone(tx, "https://lyon.example/notes/1", None)
        await remote.add_tombstone(tx, "https://lyon.example/notes/1", alice)
    assert await statuses.is_tombstoned(db, "https://lyon.example/notes/1")
    row = await remote.tombstone_owner(db, "https://lyon.example/notes/1")
    assert row is not None and row["account_id"] is None


async def _poll(db: Database, multiple: bool) -> tuple[int, int]:
    alice = await local(db, "alice")
    voter = await local(db, "voter")
    status_id = await status(db, alice, "https://paris.example/users/alice/statuses/9")
    async with db.transaction() as tx:
        poll_id = await polls.create(tx, account_id=alice, status_id=status_id, options=["a", "b", "c"],
                                     expires_at=None, multiple=multiple)
    return poll_id, voter


async def test_remote_votes_on_a_multiple_choice_poll_count_one_voter(db: Database) -> None:
    poll_id, voter = await _poll(db, multiple=True)
    async with db.transaction() as tx:
        for choice in (0, 2, 2):
            poll = await polls.get(tx, poll_id)
            assert poll is not None
            await remote.record_vote(tx, poll, voter, choice, None)
    poll = await polls.get(db, poll_id)
    assert poll is not None and poll["votes_count"] == 2 and poll["voters_count"] == 1


async def test_a_single_choice_poll_takes_one_remote_vote(db: Database) -> None:
    poll_id, voter = await _poll(db, multiple=False)
    async with db.transaction() as tx:
        poll = await polls.get(tx, poll_id)
        assert poll is not None
        assert await remote.record_vote(tx, poll, voter, 1, "https://x/v/1")
        assert not await remote.record_vote(tx, poll, voter, 0, "https://x/v/2")
    assert (await polls.get(db, poll_id))["votes_count"] == 1  # type: ignore[index]
