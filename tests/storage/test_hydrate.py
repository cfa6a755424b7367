"""storage.hydrate reads mentions, hashtags, whether there is media and the viewer's four flags in one
query: the same answers as one query per kind (both engines)."""

from __future__ import annotations

from storage import hydrate, interactions, media, statuses
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
        boost = await statuses.create(tx, statuses.NewStatus(account_id=bob, uri="https://paris.example/s/boost",
                                                             visibility="public", local=True, reblog_of_id=posts[1]))
    await interactions.bookmark(db, bob, posts[2])
    await interactions.bookmark(db, bob, posts[3])
    await interactions.pin(db, bob, mine)
    ids = [*posts, mine]

    bundles = {b.id: b for b in await hydrate.load_statuses(db, [*ids, boost], bob)}

    flags = await interactions.viewer_flags(db, bob, ids)
    assert flags == {"favourited": {posts[0], posts[3]}, "reblogged": {posts[1]}, "bookmarked": {posts[2], posts[3]},
                     "pinned": {mine}}
    for name in ("favourited", "reblogged", "bookmarked", "pinned"):
        assert {i for i in ids if getattr(bundles[i], name)} == flags[name], name
    assert bundles[boost].reblog is not None and bundles[boost].reblog.reblogged
    anonymous = await hydrate.load_statuses(db, ids, None)
    assert not any(b.favourited or b.reblogged or b.bookmarked or b.pinned for b in anonymous)
    as_alice = {b.id: b for b in await hydrate.load_statuses(db, ids, alice)}
    assert [i for i in ids if as_alice[i].favourited] == [posts[1]]


async def test_mentions_hashtags_and_media_of_a_page(db: Database) -> None:
    alice, bob, carol = await local(db, "alice"), await local(db, "bob"), await local(db, "carol")
    async with db.transaction() as tx:
        tagged = await statuses.create(tx, statuses.NewStatus(
            account_id=alice, uri="https://paris.example/s/tagged", visibility="public", local=True,
            mention_ids=(carol, bob), tag_names=["roadmap", "q3_planning", "café"]))
        plain = await statuses.create(tx, statuses.NewStatus(
            account_id=bob, uri="https://paris.example/s/plain", visibility="public", local=True))
    second = await media.create(db, account_id=alice, type_="image", file_path="b.webp", mime_type="image/webp",
                                file_size=2, status_id=tagged, position=1)
    first = await media.create(db, account_id=alice, type_="image", file_path="a.webp", mime_type="image/webp",
                               file_size=1, status_id=tagged, position=0)

    loaded = {b.id: b for b in await hydrate.load_statuses(db, [tagged, plain, 123456789], alice)}

    assert set(loaded) == {tagged, plain}
    assert sorted(int(a["id"]) for a in loaded[tagged].mentions) == sorted([bob, carol])
    assert sorted(loaded[tagged].tags) == ["café", "q3_planning", "roadmap"]
    assert [int(m["id"]) for m in loaded[tagged].media] == [first, second]
    assert loaded[plain].mentions == [] and loaded[plain].tags == [] and loaded[plain].media == []
