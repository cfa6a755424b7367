"""SECURITY-CASES 21-22: rendering and media. Hostile remote content is stored sanitized and shown
with nothing executable on any surface; media names, paths and types from elsewhere cannot write
anywhere, and local uploads are identified by their bytes with bombs refused."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

from tests.federation.receiver import Answer
from tests.security.executable import executable
from tests.security.harness import PEER, World, activity, create, note
from tests.security.tally import TALLY

VECTORS = [
    '<script>alert("x1")</script>',
    '<img src=x onerror=alert("x2")>',
    "<a href=\"javascript:alert('x3')\">x3</a>",
    '<iframe src="https://evil.test/x4"></iframe>',
    '<svg onload=alert("x5")><circle/></svg>',
    '<a href="jav&#x09;ascript:alert(6)">tab</a>',
    '<a href=" JaVaScRiPt:alert(7)">case</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(8)>",
    '<p style="background:url(javascript:alert(9))">css</p>',
    '<object data="data:text/html,<script>alert(10)</script>"></object>',
    '<base href="https://evil.test/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.test">',
    '<form action="javascript:alert(11)"><button formaction="javascript:alert(12)">go</button></form>',
    "<details open ontoggle=alert(13)>x</details>",
    '"><script>alert(14)</script><x y="',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(15)>">',
    "<img src=`javascript:alert(16)`>",
    "<<script>alert(17)//<</script>",
    '<a href="vbscript:msgbox(18)">vb</a>',
]
HOSTILE = "".join(VECTORS)


# Fields that are HTML (Mastodon's API contract): a post's content, a bio, a profile field's value.
# The others (display names, content warnings, field names, poll options, alt text) are plain text,
# kept as typed ("I <3 cats") and escaped wherever they are shown: the pages below prove it.
HTML_KEYS = frozenset({"content", "note", "value"})


def html_strings(value: Any, key: str | None = None) -> list[str]:
    """The HTML strings inside a JSON value (a bare string counts as a whole page)."""
    if isinstance(value, str):
        return [value] if key is None or key in HTML_KEYS else []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in html_strings(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in html_strings(v, key or "")]
    return []


def check(case: str, surface: str, html_or_json: Any) -> None:
    found = [hit for text in html_strings(html_or_json) for hit in executable(text)]
    TALLY.attempt(case, f"hostile remote content on {surface}", None, 0, accepted=bool(found))
    assert not found, f"{surface}: {found[:5]}"


async def test_case_21_remote_content_names_warnings_options_and_fields_never_carry_script(paris: World) -> None:
    bob = paris.remotes["bob"]
    # Given bob's origin publishes a hostile profile, and bob announces it
    profile = bob.document(name=HOSTILE[:900], summary=HOSTILE, attachment=[
        {"type": "PropertyValue", "name": vector[:200], "value": vector} for vector in VECTORS[:10]])
    paris.lyon.answers["/users/bob"] = Answer.document(profile)
    assert (await paris.inbox(bob, activity(bob, "Update", profile, "profile"))).status_code == 202
    # And posts hostile content, content warning, alt text, hashtag and poll options
    post = note(bob, 1, content=HOSTILE, summary=HOSTILE, sensitive=True, tag=[
        {"type": "Hashtag", "name": "#<script>alert(19)</script>", "href": "javascript:alert(20)"}],
        attachment=[{"type": "Image", "mediaType": "image/png", "url": f"http://{PEER}/m/1.png", "name": HOSTILE}],
        url="javascript:alert(21)")
    poll = note(bob, 2, type="Question", endTime="2099-01-01T00:00:00Z", content=HOSTILE,
                oneOf=[{"type": "Note", "name": vector[:190]} for vector in VECTORS[:18]])
    for obj in (post, poll):
        assert (await paris.inbox(bob, create(bob, obj))).status_code == 202
    await paris.drain()
    post_id = await paris.db.fetchval("SELECT id FROM statuses WHERE uri = ?", (post["id"],))
    poll_id = await paris.db.fetchval("SELECT id FROM statuses WHERE uri = ?", (poll["id"],))
    assert post_id and poll_id
    # Then what is stored is clean
    account = await paris.db.fetchone("SELECT display_name, note, fields, url FROM accounts WHERE uri = ?", (bob.uri,))
    rows = await paris.db.fetchall("SELECT content, spoiler_text, url FROM statuses WHERE account_id = ?",
                                   (paris.id_of("bob"),))
    stored_html = {"content": [r["content"] for r in rows], "note": account["note"],
                   "value": [f["value"] for f in json.loads(account["fields"])]}
    check("21", "the database (HTML columns)", stored_html)
    plain = [account["display_name"], *(f["name"] for f in json.loads(account["fields"])),
             *(r["spoiler_text"] for r in rows),
             *(o for r in await paris.db.fetchall("SELECT options FROM polls") for o in json.loads(r["options"])),
             *(r["description"] or "" for r in await paris.db.fetchall("SELECT description FROM media_attachments"))]
    assert all("\n" not in t and "\x00" not in t and len(t) <= 10_000 for t in plain)   # one clean line each
    assert all(r["url"] is None or r["url"].startswith("http") for r in rows) and account["url"] in (None, bob.uri)
    tags = [r["name"] for r in await paris.db.fetchall("SELECT name FROM tags")]
    assert all("<" not in t and ">" not in t for t in tags), tags
    # And every surface shows nothing executable
    alice = paris.api("alice")
    for path in (f"/api/v1/statuses/{post_id}", f"/api/v1/statuses/{poll_id}", f"/api/v1/accounts/{paris.id_of('bob')}",
                 f"/api/v1/accounts/{paris.id_of('bob')}/statuses", "/api/v1/timelines/public",
                 f"/api/v1/statuses/{post_id}/context"):
        response = await paris.client.get(path, headers=alice)
        assert response.status_code == 200, path
        check("21", f"GET {path}", response.json())
    for path in (f"/@bob@{PEER}/{post_id}", f"/@bob@{PEER}/{poll_id}", f"/@bob@{PEER}", "/public", "/search?q=bob"):
        page = await paris.client.get(path, headers=paris.browser("alice"))
        if page.status_code == 404 and path == "/public":
            continue
        assert page.status_code == 200, f"{path}: {page.status_code}"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "unsafe-inline" not in page.headers["content-security-policy"].split("script-src", 1)[1].split(";")[0]
        assert page.headers["x-content-type-options"] == "nosniff"
        check("21", f"the page {path}", page.text)


def png_header_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def gif_frames(frames: int) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (2, 2), (i % 256, i // 256, 0)) for i in range(frames)]
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=10)
    return out.getvalue()


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


async def test_case_22_remote_media_cannot_write_anywhere_and_uploads_are_sniffed_and_bounded(paris: World) -> None:
    bob = paris.remotes["bob"]
    data_dir = paris.ctx.settings.data_dir
    # Remote attachments with hostile names, paths and declared types are kept by reference only
    before = files(data_dir.parent)
    hostile = note(bob, 1, attachment=[
        {"type": "Document", "mediaType": "application/activity+json", "name": "../../../../etc/passwd",
         "url": f"http://{PEER}/../../../../etc/passwd"},
        {"type": "Image", "mediaType": "image/png; x=../../x", "name": "../../data/atrium.db",
         "url": f"http://{PEER}/media/%2e%2e/%2e%2e/atrium.db"},
        {"type": "Document", "mediaType": "text/html", "url": "file:///etc/passwd"},
        {"type": "Image", "mediaType": "image/svg+xml", "url": f"http://{PEER}/evil.svg"},
    ])
    assert (await paris.inbox(bob, create(bob, hostile))).status_code == 202
    await paris.drain()
    rows = [dict(r) for r in await paris.db.fetchall("SELECT file_path, thumbnail_path, remote_url, type FROM media_attachments")]
    written = {p for p in files(data_dir.parent) - before if "metrics" not in p.parts and not p.name.startswith("atrium.db")}
    TALLY.attempt("22", "remote attachments with hostile names, paths and types", None, len(written),
                  accepted=any(r["file_path"] for r in rows))
    assert written == set(), written
    assert all(r["file_path"] is None and r["thumbnail_path"] is None for r in rows)
    assert all((r["remote_url"] or "").startswith("http") for r in rows)      # file: URLs are dropped
    assert {r["type"] for r in rows} <= {"unknown", "image"}
    # Uploads: the type comes from the bytes, and bombs are refused before decoding
    alice = paris.api("alice")
    media_root = paris.ctx.settings.media_dir
    bombs = {
        "a PNG claiming 100,000 x 100,000 pixels": (png_header_bomb(100_000, 100_000), "image/png"),
        "a PNG claiming 8,000 x 8,000 pixels": (png_header_bomb(8_000, 8_000), "image/png"),
        "a PNG claiming 1 x 40,000,000 pixels": (png_header_bomb(1, 40_000_000), "image/png"),
        "an animated GIF of 1,000 frames": (gif_frames(1000), "image/gif"),
        "a truncated PNG": (png_header_bomb(64, 64)[:40], "image/png"),
        "a zip named .png": (b"PK\x03\x04" + b"\0" * 200, "image/png"),
        "an HTML file named .gif": (b"GIF89a<script>alert(1)</script>", "image/gif"),
    }
    for what, (data, content_type) in bombs.items():
        existing = files(media_root) if media_root.exists() else set()
        await paris.refused("22", f"upload of {what}", lambda d=data, t=content_type: paris.client.post(
            "/api/v2/media", headers=alice, files={"file": ("x.png", d, t)}), 422)
        assert (files(media_root) if media_root.exists() else set()) == existing
    # A GIF sent as a PNG, and a JPEG sent as a GIF, are identified by their bytes and re-encoded
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, format="JPEG")
    for data, declared in ((gif_frames(2), "image/png"), (out.getvalue(), "image/gif")):
        uploaded = await paris.client.post("/api/v2/media", headers=alice, files={"file": ("a.exe", data, declared)})
        assert uploaded.status_code == 200, uploaded.text
        served = await paris.client.get(uploaded.json()["url"].split("paris.test", 1)[1])
        assert served.headers["content-type"] == "image/webp" and served.content[8:12] == b"WEBP"
