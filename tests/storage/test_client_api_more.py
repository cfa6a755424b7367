"""Storage of filters, account notes, followed tags and scheduled posts, on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import account_notes, filters, followed_tags, follows, notifications, oauth, scheduled, statuses, web_push
from storage.db import Database
from storage.ids import now_ms
from storage.pagination import Page
from tests.storage.helpers import local, remote, status


async def test_filters_with_keywords_and_statuses(db: Database) -> None:
    alice = await local(db, "alice")
    bob = await local(db, "bob")
    post = await status(db, bob, "https://paris.example/s/1")
    filter_id = await filters.create(db, alice, title="Spoilers", context=["home", "public"], action="warn",
                                     expires_at=None)
    kw = await filters.add_keyword(db, filter_id, "dragon", True)
    await filters.add_keyword(db, filter_id, "#got", False)
    entry = await filters.add_status(db, filter_id, post)
    assert await filters.add_status(db, filter_id, post) == entry   # adding twice keeps one entry

    found = await filters.get(db, alice, filter_id)
    assert found is not None and found.context == ["home", "public"]
    assert [k["keyword"] for k in found.keywords] == ["dragon", "#got"]
    assert [int(s["status_id"]) for s in found.statuses] == [post]
    # Somebody else's filter, keyword or entry is not found.
    assert await filters.get(db, bob, filter_id) is None
    assert await filters.get_keyword(db, bob, kw) is None
    assert await filters.get_status(db, bob, entry) is None

    await filters.update(db, filter_id, title="Dragons", action="hide", expires_at=now_ms() - 1)
    await filters.update_keyword(db, kw, keyword="wyvern", whole_word=False)
    updated = await filters.get(db, alice, filter_id)
    assert updated is not None and updated.filter["title"] == "Dragons" and updated.filter["filter_action"] == "hide"
    assert updated.keywords[0]["keyword"] == "wyvern" and not updated.keywords[0]["whole_word"]
    # Expired: still listed, no longer active.
    assert [b.id for b in await filters.of_account(db, alice)] == [filter_id]
    assert await filters.active_of_account(db, alice, now_ms()) == []
    await filters.update(db, filter_id, expires_at=None)
    assert [b.id for b in await filters.active_of_account(db, alice, now_ms())] == [filter_id]
    # Leaving expires_at out keeps it.
    await filters.update(db, filter_id, title="Again")
    kept = await filters.get(db, alice, filter_id)
    assert kept is not None and kept.filter["expires_at"] is None

    await filters.delete_keyword(db, kw)
    await filters.delete_status(db, entry)
    after = await filters.get(db, alice, filter_id)
    assert after is not None and len(after.keywords) == 1 and after.statuses == []
    await filters.delete(db, filter_id)
    assert await filters.count(db, alice) == 0
    assert await db.fetchval("SELECT COUNT(*) FROM custom_filter_keywords") == 0


async def test_account_notes(db: Database) -> None:
    alice = await local(db, "alice")
    bob = await local(db, "bob")
    carol = await local(db, "carol")
    await account_notes.set_note(db, alice, bob, "met at the offsite")
    await account_notes.set_note(db, alice, bob, "knows the billing system")   # replaces
    await account_notes.set_note(db, carol, bob, "carol's own")
    assert await account_notes.notes_about(db, alice, [bob, carol]) == {bob: "knows the billing system"}
    await account_notes.set_note(db, alice, bob, "")
    assert await account_notes.notes_about(db, alice, [bob]) == {}
    assert await account_notes.notes_about(db, carol, [bob]) == {bob: "carol's own"}


async def _tagged(db: Database, author: int, n: int, tags: list[str], visibility: str = "public") -> int:
    async with db.transaction() as tx:
        status_id = await statuses.create(tx, statuses.NewStatus(
            account_id=author, uri=f"https://paris.example/s/t{n}", visibility=visibility, local=True, tag_names=tags))
        await followed_tags.fan_out(tx, status_id=status_id, author_id=author, visibility=visibility)
    return status_id


async def _home(db: Database, account_id: int) -> set[int]:
    return {int(r["status_id"]) for r in await db.fetchall("SELECT status_id FROM home_feed WHERE account_id = ?",
                                                           (account_id,))}


async def test_followed_tags_and_their_fan_out(db: Database) -> None:
    alice, bob, carol, dave = [await local(db, n) for n in ("alice", "bob", "carol", "dave")]
    remote_reader = await remote(db, "erin", "lyon.example")
    rust = await followed_tags.ensure_tag(db, "rust")
    assert (await followed_tags.ensure_tag(db, "rust"))["id"] == rust["id"]
    for reader in (alice, carol, dave, remote_reader):
        await followed_tags.follow(db, reader, int(rust["id"]))
    await followed_tags.follow(db, alice, int(rust["id"]))   # twice: one row
    assert await followed_tags.count(db, alice) == 1
    assert await followed_tags.is_following(db, alice, int(rust["id"]))
    assert await followed_tags.following_names(db, alice, ["rust", "go"]) == {"rust"}
    async with db.transaction() as tx:
        await follows.block(tx, carol, bob)                   # carol blocks the author
        await follows.mute(tx, dave, bob, notifications_too=True, expires_at=None)   # dave mutes him

    public = await _tagged(db, bob, 1, ["rust"])
    private = await _tagged(db, bob, 2, ["rust"], "followers")
    company = await _tagged(db, bob, 3, ["rust", "go"], "company")
    untagged = await _tagged(db, bob, 4, ["go"])
    assert await _home(db, alice) == {public, company}
    assert private not in await _home(db, alice) and untagged not in await _home(db, alice)
    assert await _home(db, carol) == set() and await _home(db, dave) == set()
    assert await _home(db, remote_reader) == set()

    page = await followed_tags.followed(db, alice, Page(limit=10))
    assert [r["name"] for r in page] == ["rust"]
    await followed_tags.unfollow(db, alice, int(rust["id"]))
    assert await followed_tags.followed(db, alice, Page(limit=10)) == []
    assert await _tagged(db, bob, 5, ["rust"]) not in await _home(db, alice)


async def test_scheduled_posts_are_claimed_once_and_fenced(db: Database) -> None:
    alice = await local(db, "alice")
    now = now_ms()
    due = await scheduled.create(db, alice, now - 1000, {"text": "due", "visibility": "public"}, [])
    later = await scheduled.create(db, alice, now + 3_600_000, {"text": "later", "visibility": "public"}, [])
    assert (await scheduled.counts(db, alice, now + 3_600_000))[0] == 2
    assert await scheduled.counts(db, alice, now + 30 * 86_400_000) == (2, 0)   # nothing that day
    page = await scheduled.of_account(db, alice, Page(limit=10))
    assert [int(r["id"]) for r in page] == [later, due]

    claimed = await scheduled.claim_due(db, now=now, lock_ms=60_000, limit=10)
    assert [int(r["id"]) for r in claimed] == [due] and claimed[0]["attempts"] == 1
    assert await scheduled.claim_due(db, now=now, lock_ms=60_000, limit=10) == []     # held
    # While it is being published, its owner can neither move nor cancel it.
    assert not await scheduled.reschedule(db, alice, due, now + 600_000)
    assert not await scheduled.delete(db, alice, due)
    # The claim expires; another publisher takes it: the first one's claim no longer finishes it.
    again = await scheduled.claim_due(db, now=now + 61_000, lock_ms=60_000, limit=10)
    assert [int(r["id"]) for r in again] == [due]
    assert not await scheduled.finish(db, claimed[0])
    assert await scheduled.finish(db, again[0])
    assert await scheduled.get(db, alice, due) is None

    # A parked post waits for its owner; rescheduling gives it another chance.
    await db.execute("UPDATE scheduled_statuses SET scheduled_at = ? WHERE id = ?", (now - 1, later))
    row = (await scheduled.claim_due(db, now=now, lock_ms=60_000, limit=10))[0]
    assert await scheduled.park(db, row, error="reply target gone")
    assert await scheduled.claim_due(db, now=now + 10**9, lock_ms=60_000, limit=10) == []
    parked = await scheduled.get(db, alice, later)
    assert parked is not None and parked["last_error"] == "reply target gone"
    assert await scheduled.reschedule(db, alice, later, now - 1)
    row = (await scheduled.claim_due(db, now=now, lock_ms=60_000, limit=10))[0]
    assert await scheduled.retry_later(db, row, at=now + 5_000, error="busy")
    assert await scheduled.claim_due(db, now=now + 1_000, lock_ms=60_000, limit=10) == []
    assert len(await scheduled.claim_due(db, now=now + 6_000, lock_ms=60_000, limit=10)) == 1
    assert await scheduled.get(db, await local(db, "bob"), later) is None    # not bob's


async def test_web_push_batches_are_taken_once(db: Database) -> None:
    alice, bob, carol = [await local(db, n) for n in ("alice", "bob", "carol")]
    token = await oauth.create_token(db, token_hash="h1", refresh_hash=None, app_id=None, account_id=alice,
                                     scopes="push")
    state = await web_push.state(db, lambda: ("PEM", "KEY"))
    assert state["vapid_public_key"] == "KEY"
    assert (await web_push.state(db, lambda: ("OTHER", "OTHER")))["vapid_public_key"] == "KEY"   # made once
    await web_push.subscribe(db, account_id=alice, token_id=token, endpoint="https://push.example/1", p256dh="p",
                             auth="a", alerts={"mention": True}, policy="all", standard=False)
    senders = [bob, await local(db, "dave"), await local(db, "erin")]
    async with db.transaction() as tx:
        for sender in senders:
            await notifications.notify(tx, alice, sender, "follow")
        await notifications.notify(tx, carol, bob, "follow")      # no subscription: never taken
    later = now_ms() + 10_000
    first = await web_push.take_batch(db, limit=2, now=later)
    second = await web_push.take_batch(db, limit=2, now=later)
    assert len(first) == 2 and len(second) == 1
    assert {r["notification_id"] for r in first}.isdisjoint({r["notification_id"] for r in second})
    assert all(r["endpoint"] == "https://push.example/1" and r["account_id"] == alice for r in first + second)
    assert await web_push.take_batch(db, limit=2, now=later) == []
    # Carol subscribes now: her notification from before is not pushed (no backlog).
    carol_token = await oauth.create_token(db, token_hash="h2", refresh_hash=None, app_id=None, account_id=carol,
                                           scopes="push")
    await db.execute("UPDATE web_push_state SET last_notification_id = 0")
    await web_push.subscribe(db, account_id=carol, token_id=carol_token, endpoint="https://push.example/c", p256dh="p",
                             auth="a", alerts={}, policy="all", standard=False)
    replayed = await web_push.take_batch(db, limit=10, now=later)
    assert len(replayed) == 3 and all(r["account_id"] == alice for r in replayed)   # alice's again, not carol's
    # A revoked token's subscription receives nothing; a replaced subscription is one row per token.
    await web_push.subscribe(db, account_id=alice, token_id=token, endpoint="https://push.example/2", p256dh="p",
                             auth="a", alerts={}, policy="none", standard=True)
    row = await web_push.of_token(db, token)
    assert row is not None and row["endpoint"] == "https://push.example/2"
    await oauth.revoke(db, token)
    async with db.transaction() as tx:
        await notifications.notify(tx, alice, carol, "follow")
    assert await web_push.take_batch(db, limit=2, now=later + 10_000) == []
    await web_push.delete_gone(db, int(row["id"]), "https://push.example/1")   # another endpoint: kept
    assert await web_push.of_token(db, token) is not None
    await web_push.delete_gone(db, int(row["id"]), "https://push.example/2")
    assert await web_push.of_token(db, token) is None
