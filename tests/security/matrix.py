"""The leak matrix: every visibility x every surface x every caller, expected from ONE declarative spec
and observed through the real routes of Paris (tests/security/harness.py).

The spec, in three statements:

1. AUDIENCE — who may see a post of each visibility (the rule of storage.timelines.visible_sql):
   public and unlisted: anyone; followers: followers and addressees; direct: addressees; company:
   every member of the company's instances; local: members on this instance only.
2. GATES — who may use a surface at all, in closed mode: ActivityPub documents need a signature from
   a company instance (anonymous 401, outsider 403) and never carry local posts; the client API and
   streaming need a token (anonymous and outsider 401); HTML pages are open to anyone who reaches the
   instance, and ask for sign-in (303) for what the visitor may not see.
3. LISTING — streams push a post to someone only with a reason: they follow the author, are mentioned,
   or the post's visibility is listed on a public stream (public; company on the company stream;
   never unlisted; local posts only on hashtag streams, not subscribed here).
Discovery surfaces (WebFinger, NodeInfo) never carry a post. The media URL of an attachment is a
capability (federation/media_files.py): a caller holds it only if some surface open to them showed
it, and then can fetch it; so a media cell is "seen" when the caller was given the URL and its bytes.

Callers: anonymous (no credentials); outsider (signed by mallory@evil.test, not on the allowlist);
company non-follower, follower, addressee — as signed company-instance actors on ActivityPub surfaces
(carl, bob, dave @lyon.test) and as colleagues on this instance elsewhere (claire, fred, dina @paris).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field

import httpx

from server.streaming import Connection, Subscription
from tests.security.harness import AP, DOMAIN, PEER, World

VISIBILITIES = ("public", "unlisted", "followers", "direct", "company", "local")
CALLERS = ("anonymous", "outsider", "company_nonfollower", "follower", "addressee")
SURFACES = ("ap_object", "ap_outbox", "html_page", "api_status", "api_timeline", "streaming", "media",
            "webfinger", "nodeinfo")
FEDERATION_SURFACES = frozenset({"ap_object", "ap_outbox"})
TOKEN_SURFACES = frozenset({"api_status", "api_timeline", "streaming"})
DISCOVERY_SURFACES = frozenset({"webfinger", "nodeinfo"})

EVERYONE = frozenset(CALLERS)
MEMBERS = frozenset({"company_nonfollower", "follower", "addressee"})
AUDIENCE = {
    "public": EVERYONE,
    "unlisted": EVERYONE,
    "followers": frozenset({"follower", "addressee"}),
    "direct": frozenset({"addressee"}),
    "company": MEMBERS,
    "local": MEMBERS,       # members on this instance: the local colleagues
}
LISTED_PUBLICLY = frozenset({"public", "company"})
ANONYMOUS_LIKE = frozenset({"anonymous", "outsider"})

# Which identity plays each caller: (remote actor for ActivityPub surfaces, local colleague elsewhere)
REMOTE_OF = {"outsider": "mallory", "company_nonfollower": "carl", "follower": "bob", "addressee": "dave"}
LOCAL_OF = {"company_nonfollower": "claire", "follower": "fred", "addressee": "dina"}


@dataclass(frozen=True)
class Expected:
    seen: bool
    statuses: frozenset[int]      # acceptable HTTP answers


def expected(visibility: str, surface: str, caller: str, mode: str = "closed") -> Expected:
    """The spec: what `caller` must get for a post of `visibility` on `surface`.

    In open mode the gates open for anonymous readers and for instances outside the company (they
    are then held to the audience rule like anyone: public and unlisted only), except streaming.
    """
    in_audience = caller in AUDIENCE[visibility]
    closed = mode == "closed"
    if surface in DISCOVERY_SURFACES:
        return Expected(False, frozenset({200}))
    if surface in FEDERATION_SURFACES:
        if caller == "anonymous" and closed:
            return Expected(False, frozenset({401}))
        if caller == "outsider" and closed:
            return Expected(False, frozenset({403}))
        seen = in_audience and visibility != "local"
        listing = surface == "ap_outbox"
        return Expected(seen, frozenset({200}) if seen or listing else frozenset({404}))
    if surface in TOKEN_SURFACES and caller in ANONYMOUS_LIKE and (closed or surface == "streaming"):
        return Expected(False, frozenset({401}))
    if surface == "streaming":
        reason = caller in ("follower", "addressee") or visibility in LISTED_PUBLICLY
        return Expected(in_audience and reason, frozenset({200}))
    if surface in ("html_page", "media") and closed and caller in ANONYMOUS_LIKE:
        # A closed instance's pages need a sign-in, so no media URL is ever shown to them either.
        return Expected(False, frozenset({303}) if surface == "html_page" else frozenset({0}))
    if surface == "html_page":
        return Expected(in_audience, frozenset({200}) if in_audience else
                        frozenset({303}) if caller in ANONYMOUS_LIKE else frozenset({404}))
    if surface == "api_status":
        return Expected(in_audience, frozenset({200}) if in_audience else frozenset({404}))
    if surface == "api_timeline":
        return Expected(in_audience, frozenset({200}))
    if surface == "media":
        # Derived: the URL was shown on some surface above, and then its bytes are served.
        return Expected(in_audience, frozenset({200, 0}))
    raise AssertionError(f"no rule for {surface}")


@dataclass
class Cell:
    visibility: str
    surface: str
    caller: str
    want: Expected
    seen: bool
    status: int
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.seen == self.want.seen and self.status in self.want.statuses


@dataclass
class Post:
    visibility: str
    status_id: int
    marker: str
    media_url: str


@dataclass
class Run:
    cells: list[Cell] = field(default_factory=list)

    def failures(self) -> list[Cell]:
        return [c for c in self.cells if not c.ok]

    def table(self) -> str:
        """The observed matrix: ✓ seen / · hidden, with the status; ✗ marks a cell off the spec."""
        callers = sorted({c.caller for c in self.cells}, key=CALLERS.index)
        width = 24
        lines = ["visibility × surface".ljust(width) + "".join(c[:19].ljust(20) for c in callers)]
        rows: dict[tuple[str, str], dict[str, Cell]] = {}
        for cell in self.cells:
            rows.setdefault((cell.visibility, cell.surface), {})[cell.caller] = cell
        for (visibility, surface), by_caller in rows.items():
            line = f"{visibility:<9} {surface:<14}"
            for caller in callers:
                cell = by_caller.get(caller)
                if cell is None:
                    line += "".ljust(20)
                    continue
                mark = ("✓" if cell.seen else "·") + ("" if cell.ok else "✗")
                line += f"{mark} {cell.status or '-'}".ljust(20)
            lines.append(line)
        return "\n".join(lines)


async def _make_posts(w: World, visibilities: tuple[str, ...]) -> list[Post]:
    from tests.api.conftest import png

    alice = w.api("alice")
    posts = []
    for visibility in visibilities:
        marker = f"MARK{secrets.token_hex(6)}{visibility}"
        upload = await w.client.post("/api/v2/media", headers=alice, files={"file": ("a.png", png(), "image/png")})
        assert upload.status_code == 200, upload.text
        created = await w.client.post("/api/v1/statuses", headers=alice, json={
            "status": f"{marker} for @dina and @dave@{PEER}", "media_ids": [upload.json()["id"]],
            "visibility": {"followers": "private", "local": "public"}.get(visibility, visibility),
            "local_only": visibility == "local"})
        assert created.status_code == 200, created.text
        body = created.json()
        stored = await w.db.fetchval("SELECT visibility FROM statuses WHERE id = ?", (int(body["id"]),))
        assert stored == visibility, (stored, visibility)
        posts.append(Post(visibility, int(body["id"]), marker, body["media_attachments"][0]["url"]))
    return posts


async def run_matrix(w: World, *, visibilities: tuple[str, ...] = VISIBILITIES,
                     callers: tuple[str, ...] = CALLERS, surfaces: tuple[str, ...] = SURFACES,
                     mode: str = "closed") -> Run:
    """Create one post per visibility by alice (mentioning dina and dave, with an image) and ask
    every surface as every caller; returns the observed cells, each compared with the spec."""
    hub = w.ctx.extras["streaming_hub"]
    streams = {}
    for caller in callers:
        if caller in LOCAL_OF:
            connection = Connection(w.id_of(LOCAL_OF[caller]), {Subscription(s) for s in (
                "user", "public", "public:local", "public:company", "direct")})
            hub.add(connection)
            streams[caller] = connection
    await asyncio.sleep(0.01)
    posts = await _make_posts(w, visibilities)
    await w.drain()
    for _ in range(3):          # the hub's own loop polls too; a few rounds let every event through
        await hub.poll_once()
        await asyncio.sleep(0.05)
    received: dict[str, str] = {caller: "" for caller in streams}
    for caller, connection in streams.items():
        while not connection.queue.empty():
            message = connection.queue.get_nowait()
            if message is not None:
                received[caller] += str(message)
        hub.remove(connection)

    run = Run()
    shown: dict[str, str] = {caller: "" for caller in callers}    # everything each caller was served
    for post in posts:
        for caller in callers:
            for surface in surfaces:
                if surface == "media":
                    continue
                status, body = await _ask(w, post, surface, caller, received)
                shown[caller] += body
                seen = post.marker in body
                run.cells.append(Cell(post.visibility, surface, caller,
                                      expected(post.visibility, surface, caller, mode), seen, status))
        if "media" in surfaces:
            for caller in callers:
                status, seen = 0, False
                media_path = post.media_url.removeprefix(f"http://{DOMAIN}")
                if media_path in shown[caller]:
                    media = await w.client.get(media_path, headers=_headers(w, caller))
                    status, seen = media.status_code, media.status_code == 200 and media.content[:4] == b"RIFF"
                run.cells.append(Cell(post.visibility, "media", caller,
                                      expected(post.visibility, "media", caller, mode), seen, status))
    return run


def _headers(w: World, caller: str, *, html: bool = False) -> dict[str, str]:
    if caller in LOCAL_OF:
        return w.browser(LOCAL_OF[caller]) if html else w.api(LOCAL_OF[caller])
    return {"Accept": "text/html"} if html else {}


async def _signed(w: World, caller: str, path: str) -> httpx.Response:
    if caller == "anonymous":
        return await w.client.get(path, headers=AP)
    return await w.signed_get(w.remotes[REMOTE_OF[caller]], path)


async def _ask(w: World, post: Post, surface: str, caller: str, received: dict[str, str]) -> tuple[int, str]:
    """(HTTP status, everything the caller was shown) for one cell."""
    path = f"/users/alice/statuses/{post.status_id}"
    if surface == "ap_object":
        response = await _signed(w, caller, path)
        return response.status_code, response.text
    if surface == "ap_outbox":
        response = await _signed(w, caller, "/users/alice/outbox?page=true")
        return response.status_code, response.text
    if surface == "html_page":
        headers = _headers(w, caller, html=True)
        if caller == "outsider":   # a signed request means nothing to a page: it is anonymous
            headers = {**w.signed_headers(w.remotes["mallory"], "GET", f"/@alice/{post.status_id}", None,
                                          {"Accept": "text/html"})}
        response = await w.client.get(f"/@alice/{post.status_id}", headers=headers)
        if response.status_code == 303:
            assert re.match(r"^/auth/sign_in", response.headers["location"]), response.headers["location"]
        return response.status_code, response.text
    if surface == "api_status":
        response = await w.client.get(f"/api/v1/statuses/{post.status_id}", headers=_api_headers(w, caller))
        return response.status_code, response.text
    if surface == "api_timeline":
        statuses, text = [], ""
        home = () if caller in ANONYMOUS_LIKE else ("/api/v1/timelines/home",)   # no home without an account
        for timeline in (*home, "/api/v1/timelines/public", "/api/v1/timelines/public?company=true",
                         f"/api/v1/accounts/{w.id_of('alice')}/statuses", "/api/v1/timelines/tag/nothing"):
            response = await w.client.get(timeline, headers=_api_headers(w, caller))
            statuses.append(response.status_code)
            text += response.text
        return max(statuses), text
    if surface == "streaming":
        if caller in ANONYMOUS_LIKE:
            response = await w.client.get("/api/v1/streaming/public", headers=_api_headers(w, caller))
            return response.status_code, response.text
        return 200, received.get(caller, "")
    if surface == "webfinger":
        response = await w.client.get("/.well-known/webfinger", params={"resource": f"acct:alice@{DOMAIN}"},
                                      headers=_api_headers(w, caller))
        return response.status_code, response.text
    if surface == "nodeinfo":
        response = await w.client.get("/nodeinfo/2.1", headers=_api_headers(w, caller))
        return response.status_code, response.text
    raise AssertionError(surface)


def _api_headers(w: World, caller: str) -> dict[str, str]:
    if caller in LOCAL_OF:
        return w.api(LOCAL_OF[caller])
    if caller == "outsider":   # a signature is no API credential: it must read as anonymous
        return w.signed_headers(w.remotes["mallory"], "GET", "/api/v1/statuses", None, {"Accept": "application/json"})
    return {}
