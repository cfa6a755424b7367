"""Writing posts and acting on them, as plain forms (redirects) and as the script does (JSON)."""

from __future__ import annotations

import re

from .conftest import Browser, Site


async def publish(browser: Browser, text: str, **fields: str) -> str:
    """Post through the compose form; returns the new post's page path."""
    response = await browser.post("/statuses", {"text": text, "visibility": "public", **fields}, json=True)
    assert response.status_code == 200, response.text
    return response.json()["path"]


async def test_post_with_content_warning_is_collapsed_on_the_timeline(site: Site, alice: Browser) -> None:
    # When alice publishes with a content warning through the plain form
    response = await alice.post("/statuses", {"text": "Spoilers about the #roadmap", "spoiler_text": "Roadmap spoilers",
                                              "visibility": "company"})
    # Then she is redirected home (Post/Redirect/Get) and sees it there, collapsed behind the warning
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = (await alice.get("/")).text
    assert "Your post is published." in home
    assert re.search(r'<details class="cw"><summary><span class="cw-text">Roadmap spoilers</span>', home)
    assert "Spoilers about the" in home and "Company only" in home


async def test_html_and_script_in_a_post_are_shown_as_text(site: Site, alice: Browser) -> None:
    path = await publish(alice, '<script>alert(1)</script> <img src=x onerror=alert(2)> "quoted"')
    page = (await alice.get(path)).text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_like_and_boost_as_plain_forms_redirect_back(site: Site, alice: Browser) -> None:
    carol = await site.signed_in("carol")
    path = await publish(carol, "Team lunch on Friday!")
    status_id = path.rsplit("/", 1)[1]
    # When alice likes it from the local timeline with the script off
    response = await alice.post(f"/statuses/{status_id}/favourite", csrf_from="/local",
                                headers={"Referer": "http://paris.test/local"})
    # Then she goes back where she was, to the post, and the button now undoes the like
    assert response.status_code == 303 and response.headers["location"] == f"/local#s-{status_id}"
    page = (await alice.get("/local")).text
    assert f'action="/statuses/{status_id}/unfavourite"' in page
    assert re.search(r'class="act like" aria-pressed="true"[^>]*><span class="vh">Like</span><span class="n">1<', page)
    boost = await alice.post(f"/statuses/{status_id}/reblog", csrf_from="/local")
    assert boost.status_code == 303
    # And the boost shows on her followers' timelines and her profile
    profile = (await alice.get("/@alice")).text
    assert "Team lunch on Friday!" in profile and "boosted" in profile


async def test_actions_answer_json_to_the_script(site: Site, alice: Browser) -> None:
    carol = await site.signed_in("carol")
    status_id = (await publish(carol, "JSON please")).rsplit("/", 1)[1]
    liked = await alice.post(f"/statuses/{status_id}/favourite", json=True)
    assert liked.json() == {"ok": True, "favourited": True, "reblogged": False, "bookmarked": False,
                            "favourites_count": 1, "reblogs_count": 0}
    unliked = await alice.post(f"/statuses/{status_id}/unfavourite", json=True)
    assert unliked.json()["favourited"] is False and unliked.json()["favourites_count"] == 0
    marked = await alice.post(f"/statuses/{status_id}/bookmark", json=True)
    assert marked.json()["bookmarked"] is True
    assert "JSON please" in (await alice.get("/bookmarks")).text


async def test_followers_only_post_cannot_be_boosted(site: Site, alice: Browser) -> None:
    status_id = (await publish(alice, "for my followers", visibility="followers")).rsplit("/", 1)[1]
    carol = await site.signed_in("carol")
    response = await carol.post(f"/statuses/{status_id}/reblog", json=True)
    assert response.status_code == 404   # carol does not follow alice: she cannot even see it


async def test_reply_appears_in_the_thread_and_notifies(site: Site, alice: Browser) -> None:
    carol = await site.signed_in("carol")
    path = await publish(carol, "Who is coming to the offsite?")
    status_id = path.rsplit("/", 1)[1]
    thread = (await alice.get(path)).text
    # The reply form starts with the author's handle
    assert f'name="in_reply_to_id" value="{status_id}"' in thread and "@carol </textarea>" in thread
    response = await alice.post("/statuses", {"text": "@carol me!", "in_reply_to_id": status_id, "visibility": "public"},
                                csrf_from=path)
    assert response.status_code == 303 and response.headers["location"].startswith("/@alice/")
    thread = (await carol.get(path)).text
    assert "me!" in thread and "Replies" in thread
    notifications = (await carol.get("/notifications")).text
    assert "mentioned you" in notifications and "Alice Martin" in notifications


async def test_empty_post_is_refused_with_the_text_kept(site: Site, alice: Browser) -> None:
    response = await alice.post("/statuses", {"text": "   ", "spoiler_text": "kept warning"})
    assert response.status_code == 422
    assert "Text can&#39;t be blank" in response.text and 'value="kept warning"' in response.text


async def test_poll_vote_and_results(site: Site, alice: Browser) -> None:
    carol = await site.signed_in("carol")
    path = await publish(carol, "Where for lunch?", poll_option=["Pizza", "Sushi"], poll_expires_in="3600")  # type: ignore[arg-type]
    page = (await alice.get(path)).text
    poll_id = re.search(r'action="/polls/(\d+)/votes"', page).group(1)  # type: ignore[union-attr]
    response = await alice.post(f"/polls/{poll_id}/votes", {"choice": "1"}, csrf_from=path)
    assert response.status_code == 303
    page = (await alice.get(path)).text
    assert "1 person voted" in page and "100%" in page


async def test_author_deletes_a_post(site: Site, alice: Browser) -> None:
    path = await publish(alice, "oops, wrong channel")
    status_id = path.rsplit("/", 1)[1]
    page = (await alice.get(path)).text
    assert f'formaction="/statuses/{status_id}/delete"' in page
    response = await alice.post(f"/statuses/{status_id}/delete", csrf_from=path)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert (await alice.get(path)).status_code == 404


async def test_someone_else_cannot_delete(site: Site, alice: Browser) -> None:
    status_id = (await publish(alice, "mine")).rsplit("/", 1)[1]
    carol = await site.signed_in("carol")
    response = await carol.post(f"/statuses/{status_id}/delete", json=True)
    assert response.status_code == 404
    assert (await alice.get(f"/@alice/{status_id}")).status_code == 200


async def test_status_page_of_a_company_post_needs_sign_in(site: Site, alice: Browser) -> None:
    path = await publish(alice, "internal only", visibility="company")
    anonymous = await site.browser().get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/auth/sign_in")
    # A closed company instance shows even public posts only to people who signed in.
    public_path = await publish(alice, "hello world")
    assert (await site.browser().get(public_path)).status_code == 303


async def test_image_attachment_with_alt_text(site: Site, alice: Browser) -> None:
    import io

    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(image, format="JPEG")
    compose = (await alice.get("/compose")).text
    assert 'type="file" name="media"' in compose
    response = await alice.post("/statuses", {"text": "Our new office", "visibility": "public",
                                              "media_alt": "An orange wall in the new office"},
                                files={"media": ("office.jpg", image.getvalue(), "image/jpeg")}, json=True)
    assert response.status_code == 200, response.text
    page = (await alice.get(response.json()["path"])).text
    assert 'alt="An orange wall in the new office"' in page
    src = page.split('alt="An orange wall', 1)[0].rsplit('<img src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/media/attachments/") and src.endswith(".webp")
    assert (await alice.get(src)).status_code == 200
    refused = await alice.post("/statuses", {"text": "not an image"}, files={"media": ("x.jpg", b"GIF89a-nope", "image/jpeg")})
    assert refused.status_code == 422 and "JPEG, PNG, GIF or WebP" in refused.text


async def test_author_edits_a_post(site: Site, alice: Browser) -> None:
    path = await publish(alice, "Meeting at 10", spoiler_text="Schedule")
    status_id = path.rsplit("/", 1)[1]
    assert f'href="{path}/edit"' in (await alice.get(path)).text
    form = (await alice.get(f"{path}/edit")).text
    assert "Meeting at 10</textarea>" in form and 'value="Schedule"' in form
    response = await alice.post(f"/statuses/{status_id}/edit", {"text": "Meeting at 11", "spoiler_text": "Schedule"},
                                csrf_from=f"{path}/edit")
    assert response.status_code == 303
    page = (await alice.get(path)).text
    assert "Meeting at 11" in page and "Meeting at 10" not in page and "· edited" in page
    # Nobody else can edit it
    carol = await site.signed_in("carol")
    assert (await carol.get(f"{path}/edit")).status_code == 404
    assert (await carol.post(f"/statuses/{status_id}/edit", {"text": "hijacked"}, json=True)).status_code == 404
