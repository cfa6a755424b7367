"""federation.webfinger: @user@host → actor, with the subject and the round trip checked (SECURITY-CASES 8)."""

from __future__ import annotations

from typing import Any

import pytest

from federation.fetch import Fetcher
from federation.webfinger import WebFingerError, parse_handle, resolve
from storage.db import SQLiteDatabase
from tests.federation.rig import FakeHttp, make_instance, remote_actor

BOB = remote_actor("lyon.example", "bob")


def jrd(subject: str, actor: str, *, kind: str = "application/activity+json") -> dict[str, Any]:
    return {"subject": subject, "links": [{"rel": "self", "type": kind, "href": actor}]}


def wf(domain: str, user: str) -> str:
    return f"https://{domain}/.well-known/webfinger?resource=acct:{user}@{domain}"


def _setup(db: SQLiteDatabase, *peers: str) -> tuple[Fetcher, FakeHttp]:
    instance = make_instance("paris.example", peers=peers or ("lyon.example",))
    http = FakeHttp(instance.policy)
    return Fetcher(db, instance, http), http  # type: ignore[arg-type]


def test_handles_are_read_in_their_usual_spellings() -> None:
    assert parse_handle("@bob@Lyon.Example") == ("bob", "lyon.example")
    assert parse_handle("acct:bob@lyon.example:8443") == ("bob", "lyon.example:8443")
    for bad in ("bob", "@bob@", "bob@lyon example", "@a@b@c", "x" * 70 + "@lyon.example"):
        with pytest.raises(WebFingerError):
            parse_handle(bad)


async def test_a_handle_resolves_to_its_stored_actor(db: SQLiteDatabase) -> None:
    fetcher, http = _setup(db)
    http.serve(wf("lyon.example", "bob"), jrd("acct:bob@lyon.example", BOB.uri), content_type="application/jrd+json")
    http.serve(BOB.uri, BOB.document())
    account = await resolve(fetcher, "@bob@lyon.example")
    assert account["uri"] == BOB.uri and account["domain"] == "lyon.example"


@pytest.mark.parametrize(
    "answer",
    [jrd("acct:alice@lyon.example", BOB.uri), jrd("acct:bob@lyon.example", BOB.uri, kind="text/html"), {"links": []}],
)
async def test_an_answer_for_someone_else_or_without_an_activitypub_link_is_ignored(
    db: SQLiteDatabase, answer: dict[str, Any]
) -> None:
    fetcher, http = _setup(db)
    http.serve(wf("lyon.example", "bob"), answer, content_type="application/jrd+json")
    http.serve(BOB.uri, BOB.document())
    with pytest.raises(WebFingerError):
        await resolve(fetcher, "bob@lyon.example")


async def test_an_actor_on_another_host_must_name_itself_back(db: SQLiteDatabase) -> None:
    fetcher, http = _setup(db, "lyon.example", "social.lyon.example")
    real = remote_actor("social.lyon.example", "bob")
    http.serve(wf("lyon.example", "bob"), jrd("acct:bob@lyon.example", real.uri))
    http.serve(real.uri, real.document())
    # No WebFinger on the actor's own host confirms it: refused
    with pytest.raises(WebFingerError):
        await resolve(fetcher, "bob@lyon.example")
    # Once its own host confirms, accepted
    http.serve(wf("social.lyon.example", "bob"), jrd("acct:bob@social.lyon.example", real.uri))
    assert (await resolve(fetcher, "bob@lyon.example"))["uri"] == real.uri


async def test_a_host_claiming_another_hosts_user_is_refused(db: SQLiteDatabase) -> None:
    fetcher, http = _setup(db, "lyon.example", "montreal.example")
    victim = remote_actor("montreal.example", "ceo")
    http.serve(wf("lyon.example", "ceo"), jrd("acct:ceo@lyon.example", victim.uri))
    http.serve(victim.uri, victim.document())
    # lyon says its "ceo" is montreal's actor; montreal's own WebFinger names someone else: refused
    http.serve(wf("montreal.example", "ceo"), jrd("acct:ceo@montreal.example", "https://montreal.example/users/other"))
    with pytest.raises(WebFingerError):
        await resolve(fetcher, "ceo@lyon.example")


async def test_hosts_outside_the_allowlist_and_our_own_are_not_asked(db: SQLiteDatabase) -> None:
    fetcher, http = _setup(db)
    for handle in ("bob@evil.example", "alice@paris.example"):
        with pytest.raises(WebFingerError):
            await resolve(fetcher, handle)
    assert http.requests == []
