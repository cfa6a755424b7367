"""SECURITY-CASES 23-28: privacy, Atrium's first promise. Limited posts are never boosted, replies never
widen an audience, follows grant nothing until accepted, limited objects are served only to their
audience, and nothing leaves the allowlist; company posts stay inside the company's instances."""

from __future__ import annotations

import json
from typing import Any

from activitypub.constants import AS_PUBLIC
from federation.policy import domain_of
from server.services.accounts import create_account
from storage import peers
from tests.federation.receiver import Answer
from tests.security.harness import BASE, COMPANY, DOMAIN, OUTSIDER, PEER, World, activity, create, note
from tests.security.matrix import CALLERS, SURFACES, run_matrix
from tests.security.tally import TALLY

LIMITED = ("followers", "direct", "company", "local")


def status_uri(status_id: int, user: str = "alice") -> str:
    return f"{BASE}/users/{user}/statuses/{status_id}"


def announce(actor: Any, obj: str, n: str) -> dict[str, Any]:
    return activity(actor, "Announce", obj, n, to=[AS_PUBLIC], cc=[actor.followers])


async def test_case_23_followers_only_and_direct_posts_cannot_be_boosted(paris: World) -> None:
    bob, dave = paris.remotes["bob"], paris.remotes["dave"]
    followers_id = await paris.post("alice", f"for my followers, and @dave@{PEER}", "followers")
    direct_id = await paris.post("alice", f"just for @dave@{PEER} and @dina", "direct")
    # And a followers-only post of dave's that Paris has (fred follows dave)
    await paris.follow("fred", "dave")
    remote_limited = note(dave, 1, to=[dave.followers], cc=[])
    assert (await paris.inbox(dave, create(dave, remote_limited))).status_code == 202
    await paris.drain()
    remote_id = await paris.db.fetchval("SELECT id FROM statuses WHERE uri = ?", (remote_limited["id"],))
    assert await paris.db.fetchval("SELECT visibility FROM statuses WHERE id = ?", (remote_id,)) == "followers"
    # An Announce of any of them, even by its follower or addressee, is not stored
    for uri, what in ((status_uri(followers_id), "alice's followers-only post"), (status_uri(direct_id), "alice's DM"),
                      (remote_limited["id"], "dave's followers-only post")):
        for actor in (bob, dave):
            await paris.ignored("23", f"an Announce by {actor.username} of {what}",
                                lambda uri=uri, actor=actor: paris.inbox(actor, announce(actor, uri, f"b-{len(uri)}")))
    # Nor of a limited post Paris does not have yet (fetched, found limited, dropped)
    unseen = note(dave, 2, to=[dave.followers], cc=[])
    paris.lyon.answers["/users/dave/notes/2"] = Answer.document(unseen)
    await paris.ignored("23", "an Announce of an unseen followers-only post", lambda: paris.inbox(
        bob, announce(bob, unseen["id"], "unseen")), fetches=(f"GET {unseen['id']}",))
    # And the boost API answers 4xx to everyone, the author included
    for status_id, boosters in ((followers_id, ("alice", "fred", "dina")), (direct_id, ("alice", "dina", "fred")),
                                (remote_id, ("fred", "claire"))):
        for name in boosters:
            await paris.refused("23", f"the boost API for {name} on a limited post", lambda s=status_id, n=name: (
                paris.client.post(f"/api/v1/statuses/{s}/reblog", headers=paris.api(n))), (404, 422))
    assert await paris.count("SELECT COUNT(*) FROM statuses WHERE reblog_of_id IS NOT NULL") == 0


def addressed(document: dict[str, Any]) -> set[str]:
    found = set()
    for part in (document, document.get("object") if isinstance(document.get("object"), dict) else {}):
        for key in ("to", "cc", "bto", "bcc", "audience"):
            value = part.get(key) or []
            found |= set(value if isinstance(value, list) else [value])
    return found


async def test_case_24_a_reply_to_a_limited_post_reaches_only_that_posts_audience(paris: World) -> None:
    dave = paris.remotes["dave"]
    alice = paris.api("alice")
    direct_id = await paris.post("alice", f"@dave@{PEER} the plan", "direct")
    company_id = await paris.post("alice", "company news", "company")
    followers_id = await paris.post("alice", "for followers", "followers")
    await paris.follow("fred", "dave")
    remote_limited = note(dave, 1, to=[dave.followers], cc=[])
    assert (await paris.inbox(dave, create(dave, remote_limited))).status_code == 202
    await paris.drain()
    remote_id = await paris.db.fetchval("SELECT id FROM statuses WHERE uri = ?", (remote_limited["id"],))
    replies = [("alice", direct_id, "direct", "a public reply to alice's DM"),
               ("claire", company_id, "company", "a public reply to a company post"),
               ("fred", followers_id, "followers", "a public reply to a followers-only post"),
               ("fred", remote_id, "followers", "a public reply to dave's followers-only post")]
    for name, parent, narrowest, what in replies:
        sent = len(paris.lyon.posts())
        response = await paris.client.post("/api/v1/statuses", headers=paris.api(name), json={
            "status": f"re: {what}", "in_reply_to_id": str(parent), "visibility": "public"})
        assert response.status_code == 200, response.text
        reply_id = int(response.json()["id"])
        await paris.drain()
        stored = await paris.db.fetchval("SELECT visibility FROM statuses WHERE id = ?", (reply_id,))
        delivered = [json.loads(r.body) for r in paris.lyon.posts()[sent:]]
        widened = stored != narrowest or any(AS_PUBLIC in addressed(d) or "as:Public" in addressed(d) for d in delivered)
        followers_of_replier = f"{BASE}/users/{name}/followers"
        if narrowest in ("direct", "company"):
            widened = widened or any(followers_of_replier in addressed(d) for d in delivered)
        if narrowest == "company":   # the company collection, and company members only
            widened = widened or any(domain_of(a) not in (DOMAIN, PEER) for d in delivered for a in addressed(d) - {COMPANY})
        TALLY.attempt("24", what, response.status_code, 0, accepted=widened)
        assert not widened, f"{what}: stored {stored}, delivered {[addressed(d) for d in delivered]}"
    # A direct reply is delivered only where its addressees are (dave at lyon), nowhere else
    hosts = {r["host"] for r in await paris.db.fetchall("SELECT DISTINCT host FROM deliveries")}
    assert hosts <= {PEER}
    assert alice


async def test_case_25_a_follow_grants_nothing_until_accepted_and_stray_accepts_are_ignored(paris: World) -> None:
    bob, carl, dave = paris.remotes["bob"], paris.remotes["carl"], paris.remotes["dave"]
    created = await create_account(paris.ctx, "lucy", display_name="Lucy Locked", locked=True)
    paris.people["lucy"] = await paris.db.fetchone("SELECT * FROM accounts WHERE id = ?", (created.account_id,))
    # Given carl@lyon asks to follow lucy, who approves followers by hand
    follow = activity(carl, "Follow", f"{BASE}/users/lucy", "lucy")
    assert (await paris.inbox(carl, follow)).status_code == 202
    await paris.drain()
    assert await paris.db.fetchval("SELECT state FROM follows WHERE uri = ?", (follow["id"],)) == "pending"
    secret = await paris.post("lucy", "followers only", "followers")
    await paris.drain()
    # Then carl gets nothing of lucy's followers-only posts: not served, not listed, not delivered
    await paris.refused("25", "a pending follower fetches a followers-only post",
                        lambda: paris.signed_get(carl, f"/users/lucy/statuses/{secret}"), 404)
    outbox = await paris.refused("25", "a pending follower reads the outbox",
                                 lambda: paris.signed_get(carl, "/users/lucy/outbox?page=true"), 200,
                                 accepted=lambda r: "followers only" in r.text)
    assert "followers only" not in outbox.text
    assert not any("followers only" in json.dumps(d) for d in paris.delivered())
    # And Accepts that match no pending Follow of ours change nothing
    await paris.client.post(f"/api/v1/accounts/{paris.id_of('dave')}/follow", headers=paris.api("alice"))
    await paris.drain()
    alice_follow = await paris.db.fetchone("SELECT * FROM follows WHERE account_id = ? AND target_account_id = ?",
                                           (paris.id_of("alice"), paris.id_of("dave")))
    assert alice_follow is not None and alice_follow["state"] == "pending"
    stray = {
        "an Accept of a Follow that does not exist": activity(bob, "Accept", f"{BASE}/users/alice/follows/404", "a1"),
        "an Accept of alice's Follow of dave, sent by bob": activity(bob, "Accept", alice_follow["uri"], "a2"),
        "an Accept embedding a Follow alice never sent": activity(bob, "Accept", {
            "id": f"{BASE}/users/alice/follows/forged", "type": "Follow", "actor": f"{BASE}/users/alice",
            "object": bob.uri}, "a3"),
        "an Accept of fred's Follow of carl, which never happened": activity(carl, "Accept", {
            "type": "Follow", "actor": f"{BASE}/users/fred", "object": carl.uri}, "a4"),
        "an Accept by carl of his own Follow of lucy": activity(carl, "Accept", follow["id"], "a5"),
        "an Accept by carl of lucy's side": activity(carl, "Accept", {"type": "Follow", "actor": carl.uri,
                                                                       "object": f"{BASE}/users/lucy"}, "a6"),
    }
    for what, accept in stray.items():
        await paris.ignored("25", what, lambda accept=accept: paris.inbox((accept["actor"] == bob.uri and bob) or carl,
                                                                          accept))
    assert await paris.db.fetchval("SELECT state FROM follows WHERE uri = ?", (follow["id"],)) == "pending"
    assert await paris.db.fetchval("SELECT state FROM follows WHERE id = ?", (alice_follow["id"],)) == "pending"
    # (The real Accept, from dave, is applied; the same Accept again changes nothing.)
    real = activity(dave, "Accept", alice_follow["uri"], "real")
    assert (await paris.inbox(dave, real)).status_code == 202
    await paris.drain()
    assert await paris.db.fetchval("SELECT state FROM follows WHERE id = ?", (alice_follow["id"],)) == "accepted"
    again = activity(dave, "Accept", alice_follow["uri"], "again")
    await paris.ignored("25", "the Accept again", lambda: paris.inbox(dave, again), states=("done", "ignored"))


async def test_case_26_limited_objects_are_served_to_no_anonymous_or_outsider_caller(paris: World) -> None:
    run = await run_matrix(paris, visibilities=LIMITED, callers=("anonymous", "outsider"))
    print("\nCASE 26 (limited posts, anonymous and outsider callers)\n" + run.table())
    assert len(run.cells) == len(LIMITED) * len(SURFACES) * 2
    for cell in run.cells:
        TALLY.attempt("26", f"{cell.caller}: a {cell.visibility} post on {cell.surface}", cell.status or None, 0,
                      accepted=cell.seen)
        assert not cell.seen, cell
        assert cell.status in {0, 200, 303, 401, 403, 404}, cell
        if cell.surface in ("ap_object", "api_status"):
            assert cell.status in (401, 403, 404), cell
    # Media are capability URLs: unguessable names, a near miss is 404, limited ones never cached publicly
    upload = await paris.client.post("/api/v2/media", headers=paris.api("alice"), files={"file": (
        "a.png", (await _png()), "image/png")})
    media = upload.json()
    await paris.client.post("/api/v1/statuses", headers=paris.api("alice"), json={
        "status": "with a picture", "visibility": "private", "media_ids": [media["id"]]})
    path = media["url"].removeprefix(BASE)
    name = path.rsplit("/", 1)[1].removesuffix(".webp")
    assert len(name) >= 22
    served = await paris.client.get(path)
    assert served.status_code == 200 and served.headers["cache-control"].startswith("private")
    near = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]
    response = await paris.client.get(near)
    TALLY.attempt("26", "a guessed media name", response.status_code, 0)
    assert response.status_code == 404
    assert CALLERS


async def _png() -> bytes:
    from tests.api.conftest import png

    return png()


async def test_case_27_no_delivery_ever_leaves_the_allowlist(paris: World, open_paris: World) -> None:
    for world, blocked in ((paris, "closed mode"), (open_paris, "open mode, a suspended domain")):
        if world is open_paris:
            await peers.add_domain_block(world.db, OUTSIDER, "suspend")
            await world.ctx.instance.policy.reload(world.db)
        mallory = world.remotes["mallory"]
        # Given mallory@evil is known from the past: a follower of alice, with a post of hers stored
        await world.follow("mallory", "alice", uri=f"{mallory.uri}/follows/1")
        async with world.db.transaction() as tx:
            from storage import statuses

            await statuses.create(tx, statuses.NewStatus(account_id=world.id_of("mallory"), uri=f"{mallory.uri}/notes/1",
                                                         visibility="public", local=False, content="<p>old</p>"))
        old = await world.db.fetchval("SELECT id FROM statuses WHERE uri = ?", (f"{mallory.uri}/notes/1",))
        alice = world.api("alice")
        actions = {
            "a public post mentioning mallory": ("POST", "/api/v1/statuses", {"status": f"hi @mallory@{OUTSIDER}"}),
            "a DM to mallory": ("POST", "/api/v1/statuses", {"status": f"@mallory@{OUTSIDER} psst",
                                                             "visibility": "direct"}),
            "a reply to mallory's post": ("POST", "/api/v1/statuses", {"status": "re", "in_reply_to_id": str(old)}),
            "a like of mallory's post": ("POST", f"/api/v1/statuses/{old}/favourite", {}),
            "a boost of mallory's post": ("POST", f"/api/v1/statuses/{old}/reblog", {}),
            "a follow of mallory": ("POST", f"/api/v1/accounts/{world.id_of('mallory')}/follow", {}),
            "a company post": ("POST", "/api/v1/statuses", {"status": "inside", "visibility": "company"}),
            "a profile update": ("PATCH", "/api/v1/accounts/update_credentials", {"display_name": "Alice M."}),
        }
        for what, (method, path, body) in actions.items():
            sent = len(world.outgoing)
            response = await world.client.request(method, path, headers=alice, json=body)
            await world.drain()
            went = [r for r in world.outgoing[sent:] if OUTSIDER in r]
            rows = await world.count("SELECT COUNT(*) FROM deliveries WHERE host = ?", OUTSIDER)
            TALLY.attempt("27", f"{blocked}: {what}", response.status_code, rows, accepted=bool(went or rows))
            assert response.status_code < 500, response.text
            assert not went and rows == 0, f"{blocked}: {what}: {went}"
        hosts = {r["host"] for r in await world.db.fetchall("SELECT DISTINCT host FROM deliveries")}
        assert hosts <= {PEER}, hosts


async def test_case_28_company_posts_are_never_delivered_served_or_boostable_outside_the_company(open_paris: World) -> None:
    paris = open_paris
    mallory, dave = paris.remotes["mallory"], paris.remotes["dave"]
    # Given mallory@evil (an ordinary fediverse instance in open mode) follows alice and fred
    await paris.follow("mallory", "alice", uri=f"{mallory.uri}/follows/a")
    await paris.follow("mallory", "fred", uri=f"{mallory.uri}/follows/f")
    await paris.follow("mallory", "claire", uri=f"{mallory.uri}/follows/c")
    company_id = await paris.post("alice", "company only", "company")
    uri = status_uri(company_id)
    # And a company post from lyon, which Paris holds
    remote_company = note(dave, 1, to=[COMPANY], cc=[])
    assert (await paris.inbox(dave, create(dave, remote_company))).status_code == 202
    await paris.drain()
    remote_id = await paris.db.fetchval("SELECT id FROM statuses WHERE uri = ?", (remote_company["id"],))
    assert await paris.db.fetchval("SELECT visibility FROM statuses WHERE id = ?", (remote_id,)) == "company"
    # Not served to mallory
    await paris.refused("28", "mallory fetches a company post",
                        lambda: paris.signed_get(mallory, f"/users/alice/statuses/{company_id}"), 404)
    await paris.refused("28", "mallory reads alice's outbox",
                        lambda: paris.signed_get(mallory, "/users/alice/outbox?page=true"), 200,
                        accepted=lambda r: "company only" in r.text)
    # Not boostable, likable or votable by mallory
    for what, hostile in (("mallory boosts it", announce(mallory, uri, "1")),
                          ("mallory boosts lyon's company post", announce(mallory, remote_company["id"], "2")),
                          ("mallory likes it", activity(mallory, "Like", uri, "3"))):
        await paris.ignored("28", what, lambda h=hostile: paris.inbox(mallory, h))
    # Mallory cannot make her own post company-wide either
    claim = note(mallory, 9, to=[COMPANY], cc=[])
    assert (await paris.inbox(mallory, create(mallory, claim))).status_code == 202
    await paris.drain()
    visibility = await paris.db.fetchval("SELECT visibility FROM statuses WHERE uri = ?", (claim["id"],))
    TALLY.attempt("28", "an outsider's post addressed to the company", 202, 0, accepted=visibility == "company")
    assert visibility != "company"
    # Boosts and replies by colleagues stay company-wide and go only to the company's instances
    for what, send in (
        ("fred boosts alice's company post", lambda: paris.client.post(f"/api/v1/statuses/{company_id}/reblog",
                                                                       headers=paris.api("fred"))),
        ("fred boosts lyon's company post", lambda: paris.client.post(f"/api/v1/statuses/{remote_id}/reblog",
                                                                      headers=paris.api("fred"))),
        ("claire replies publicly to it", lambda: paris.client.post("/api/v1/statuses", headers=paris.api("claire"), json={
            "status": "re: company", "in_reply_to_id": str(company_id), "visibility": "public"})),
        ("alice edits it", lambda: paris.client.put(f"/api/v1/statuses/{company_id}", headers=paris.api("alice"),
                                                    json={"status": "company only, edited"})),
    ):
        sent = len(paris.outgoing)
        response = await send()
        await paris.drain()
        went = [r for r in paris.outgoing[sent:] if OUTSIDER in r]
        rows = await paris.count("SELECT COUNT(*) FROM deliveries WHERE host = ?", OUTSIDER)
        TALLY.attempt("28", what, response.status_code, rows, accepted=bool(went or rows))
        assert response.status_code == 200, response.text
        assert not went and rows == 0, f"{what}: {went}"
    assert {r["host"] for r in await paris.db.fetchall("SELECT DISTINCT host FROM deliveries")} == {PEER}
    assert all(AS_PUBLIC not in addressed(d) for d in paris.delivered())
