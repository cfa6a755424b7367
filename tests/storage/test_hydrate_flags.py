"""storage.hydrate reads the viewer's four flags in one query: the same answer as four (both engines)."""

from __future__ import annotations

from storage import hydrate, interactions, statuses
from storage.db import Database

from .helpers import local, status


async def test_one_query_flags_equal_the_four_queries(db: Database) -> None:
    alice, bob = await local(db, "alice"), await local(db, "bob")
    posts = [await status(db, alice, f"https://paris.example/s/{n}") for n in range(5)]
    mine = await status(db, bob, "https://paris.example/s/bob")
    async with db.transaction() as tx:
        await interactions.favourite(tx, bob, await statuses.get(tx, posts[0]))
        await interactions.favourite(tx, bob, await statuses.get(tx, posts[3]))
        await interactions.favourite(tx, alice, await statuses.get(tx, posts[1]))   # someone else's like
        await statuses.create(tx, statuses.NewStatus(account_id=bob, uri="https://paris.example/s/boost",
                                                     visibility="public", local=True, reblog_of_id=posts[1]))
    await interactions.bookmark(db, bob, posts[2])
    await interactions.bookmark(db, bob, posts[3])
    await interactions.pin(db, bob, mine)
    ids = [*posts, mine]

    flags = await hydrate.viewer_flags(db, bob, ids)

    assert flags == await interactions.viewer_flags(db, bob, ids)
    assert flags == {"favourited": {posts[0], posts[3]}, "reblogged": {posts[1]}, "bookmarked": {posts[2], posts[3]},
                     "pinned": {mine}}
    bundles = {b.id: b for b in await hydrate.load_statuses(db, ids, bob)}
    assert [bundles[i].favourited for i in ids] == [True, False, False, True, False, False]
    assert bundles[posts[1]].reblogged and bundles[mine].pinned and bundles[posts[2]].bookmarked
    assert await hydrate.viewer_flags(db, alice, ids) == {"favourited": {posts[1]}, "reblogged": set(),
                                                          "bookmarked": set(), "pinned": set()}
