"""Uploads (/api/v2/media) and the files served back (/media/…): what is stored is never what was sent."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.services import media as media_service
from server.services.media import MediaRefused
from tests.api.conftest import Api, png


def jpeg_with_exif(orientation: int = 1) -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation                  # Orientation
    exif[0x010F] = "SpyCam"                     # Make
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}      # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def upload(client, data: bytes, name: str = "photo.png", **fields: str):
    return await client.post("/api/v2/media", files={"file": (name, data, "image/png")}, data=fields)


async def test_an_image_upload_is_described_like_mastodons_media_attachment(api: Api) -> None:
    alice = await api.client("alice")
    response = await upload(alice, png(64, 48), description="A red square", focus="0.5,-0.25")
    assert response.status_code == 200, response.text
    media = response.json()
    assert media["type"] == "image" and isinstance(media["id"], str)
    assert media["url"].startswith("http://paris.test/media/attachments/") and media["url"].endswith(".webp")
    assert media["preview_url"].endswith("-small.webp")
    assert media["remote_url"] is None and media["description"] == "A red square"
    assert media["meta"]["original"] == {"width": 64, "height": 48, "size": "64x48", "aspect": pytest.approx(64 / 48)}
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert isinstance(media["blurhash"], str) and len(media["blurhash"]) == 28


async def test_the_stored_file_is_a_reencoded_webp_without_exif(api: Api) -> None:
    alice = await api.client("alice")
    media = (await upload(alice, jpeg_with_exif(), "holiday.jpg")).json()
    served = await api.anonymous().get(media["url"].removeprefix("http://paris.test"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert b"SpyCam" not in served.content and b"Exif" not in served.content
    stored = Image.open(io.BytesIO(served.content))
    assert stored.format == "WEBP" and not stored.getexif()


async def test_photos_are_turned_upright_from_their_exif_orientation(api: Api) -> None:
    alice = await api.client("alice")
    media = (await upload(alice, jpeg_with_exif(orientation=6), "sideways.jpg")).json()
    assert media["meta"]["original"]["width"] == 48 and media["meta"]["original"]["height"] == 64


async def test_bytes_after_the_image_do_not_survive(api: Api) -> None:
    alice = await api.client("alice")
    polyglot = png(32, 32) + b"<script>alert(document.domain)</script>"
    media = (await upload(alice, polyglot, "innocent.png")).json()
    served = await api.anonymous().get(media["url"].removeprefix("http://paris.test"))
    assert b"<script>" not in served.content


@pytest.mark.parametrize("data, name", [
    (b"<html><script>alert(1)</script></html>", "page.png"),
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "doc.png"),
    (b"", "empty.png"),
    (b"GIF89a" + b"\x00" * 20, "broken.gif"),
])
async def test_what_is_not_an_image_is_refused_with_422(api: Api, data: bytes, name: str) -> None:
    alice = await api.client("alice")
    response = await upload(alice, data, name)
    assert response.status_code == 422, response.text
    assert "error" in response.json()


async def test_decompression_bombs_are_refused_before_decoding(api: Api) -> None:
    alice = await api.client("alice")
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")   # 400 megapixels in a few kilobytes
    response = await upload(alice, out.getvalue(), "bomb.png")
    assert response.status_code == 422
    assert "too many pixels" in response.json()["error"]


def test_files_over_the_size_limit_are_refused() -> None:
    with pytest.raises(MediaRefused) as refused:
        media_service.process_image(png(64, 64), max_bytes=100)
    assert refused.value.status == 413


def test_animated_gifs_stay_animated_as_webp() -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    processed = media_service.process_image(out.getvalue(), max_bytes=10_000_000)
    stored = Image.open(io.BytesIO(processed.data))
    assert stored.format == "WEBP" and getattr(stored, "n_frames", 1) == 3


def test_big_images_are_scaled_down_and_get_a_small_thumbnail() -> None:
    processed = media_service.process_image(png(5000, 1000), max_bytes=50_000_000)
    assert (processed.width, processed.height) == (3840, 768)
    assert max(processed.thumb_width, processed.thumb_height) == 640


async def test_only_the_owner_reads_and_describes_an_upload(api: Api) -> None:
    alice = await api.client("alice")
    bob = await api.client("bob")
    media = (await upload(alice, png())).json()
    assert (await alice.get(f"/api/v1/media/{media['id']}")).status_code == 200
    assert (await bob.get(f"/api/v1/media/{media['id']}")).status_code == 404
    changed = await alice.put(f"/api/v1/media/{media['id']}", json={"description": "Now described", "focus": "0,1"})
    assert changed.status_code == 200
    assert changed.json()["description"] == "Now described" and changed.json()["meta"]["focus"] == {"x": 0.0, "y": 1.0}
    bad_focus = await alice.put(f"/api/v1/media/{media['id']}", data={"focus": "2,0"})
    assert bad_focus.status_code == 422


async def test_uploading_needs_write_media(api: Api) -> None:
    reader = await api.client("alice", "read write:statuses")
    response = await upload(reader, png())
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


@pytest.mark.parametrize("path", [
    "/media/../atrium.db", "/media/attachments/../../secret_key", "/media/%2e%2e/secret_key",
    "/media/attachments/ab/notarealfileatallxxxx.webp", "/media/avatars/1-aaaaaaaaaaaa.svg",
    "/media/secret_key",
])
async def test_media_paths_that_are_not_ours_are_404(api: Api, path: str) -> None:
    response = await api.anonymous().get(path)
    assert response.status_code == 404


async def test_default_avatar_and_header_are_images(api: Api) -> None:
    client = api.anonymous()
    for path in ("/avatars/original/missing.png", "/headers/original/missing.png"):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).format == "PNG"


async def test_avatar_and_header_uploads_are_cropped_and_federated(api: Api) -> None:
    alice = await api.client("alice")
    response = await alice.patch("/api/v1/accounts/update_credentials", files={
        "avatar": ("me.png", png(300, 200), "image/png"), "header": ("wide.jpg", jpeg_with_exif(), "image/jpeg")},
        data={"display_name": "Alice M."})
    assert response.status_code == 200, response.text
    account = response.json()
    assert account["display_name"] == "Alice M."
    avatar = await api.anonymous().get(account["avatar"].removeprefix("http://paris.test"))
    assert avatar.status_code == 200 and Image.open(io.BytesIO(avatar.content)).size == (400, 400)
    header = await api.anonymous().get(account["header"].removeprefix("http://paris.test"))
    assert Image.open(io.BytesIO(header.content)).size == (1500, 500)
    queued = await api.ctx.db.fetchall("SELECT activity_type, body FROM outbox_activities WHERE activity_type = 'Update'")
    assert queued and "Alice M." in queued[-1]["body"]


def test_focus_parsing() -> None:
    assert media_service.parse_focus("0.25,-1") == (0.25, -1.0)
    assert media_service.parse_focus(None) is None
    for bad in ("1", "a,b", "1.5,0", "0,0,0"):
        with pytest.raises(ValueError):
            media_service.parse_focus(bad)


def test_blurhash_of_a_black_image_is_the_reference_value() -> None:
    from server.services import blurhash

    # The well-known hash of an all-black image with 4 x 3 components (woltapp/blurhash's encoder).
    assert blurhash.encode([(0, 0, 0)] * 16, 4, 4) == "L00000fQfQfQfQfQfQfQfQfQfQfQ"
    red = blurhash.encode([(255, 0, 0)] * 16, 4, 4)
    assert red.startswith("L") and red[2:6] != "0000" and len(red) == 28
    with pytest.raises(ValueError):
        blurhash.encode([(0, 0, 0)], 2, 2)
