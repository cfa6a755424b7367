"""Every entity the API answers, compared field by field (presence, type, nullability) with Mastodon's
documented entity, for local and remote accounts and posts. See tests/api/mastodon_spec.py."""

from __future__ import annotations

from typing import Any

import pytest

from storage import accounts as account_store
from storage import statuses as status_store
from storage.statuses import NewStatus
from tests.api import mastodon_spec
from tests.api.conftest import Api, png, post

REMOTE_ACTOR = "https://lyon.example/users/dan"


def conforms(entity: str, value: dict[str, Any], **kwargs: Any) -> None:
    problems = mastodon_spec.check(entity, value, **kwargs)
    assert not problems, "\n".join(problems)


async def remote_dan(api: Api) -> int:
    """A remote colleague, as federation stores one (display name, bio, fields, avatar elsewhere)."""
    return await account_store.upsert_remote(api.ctx.db, REMOTE_ACTOR, "lyon.example", {
        "username": "dan", "display_name": "Dan Remote", "note": "<p>Hello from Lyon</p>",
        "url": "https://lyon.example/@dan", "inbox_url": REMOTE_ACTOR + "/inbox",
        "shared_inbox_url": "https://lyon.example/inbox", "followers_url": REMOTE_ACTOR + "/followers",
        "avatar_remote_url": "https://lyon.example/avatars/dan.png", "fields": [{"name": "Team", "value": "<p>Ops</p>"}],
        "actor_type": "Person", "locked": False, "discoverable": True, "bot": False,
    })


async def remote_status(api: Api, account_id: int) -> int:
    async with api.ctx.db.transaction() as tx:
        return await status_store.create(tx, NewStatus(
            account_id=account_id, uri="https://lyon.example/users/dan/statuses/1", url="https://lyon.example/@dan/1",
            visibility="public", local=False, content="<p>Remote post <a href=\"https://lyon.example/tags/ops\">#ops</a></p>",
            tag_names=["ops"], language="fr",
        ))


def test_the_spec_is_read_from_mastodon_py() -> None:
    # The reference must really be there, or every check below would pass vacuously.
    spec = mastodon_spec.required_fields("Status")
    assert {"id", "uri", "account", "content", "visibility", "media_attachments", "poll", "card", "edited_at"} <= set(spec)
    assert "limited_federation" in mastodon_spec.required_fields("InstanceConfigurationV2")
    assert mastodon_spec.check("Account", {"id": 5}), "a wrong id type must be reported"


async def test_accounts_local_remote_and_credential(api: Api) -> None:
    alice = await api.client("alice")
    me = (await alice.get("/api/v1/accounts/verify_credentials")).json()
    conforms("Account", me)
    conforms("CredentialAccountSource", me["source"])
    conforms("Role", me["role"])
    assert me["acct"] == "alice" and me["created_at"].endswith("T00:00:00.000Z")
    assert me["atrium"]["department"] == "Engineering" and me["atrium"]["title"] == "Developer"
    dan_id = await remote_dan(api)
    dan = (await alice.get(f"/api/v1/accounts/{dan_id}")).json()
    conforms("Account", dan)
    assert dan["acct"] == "dan@lyon.example" and dan["avatar"] == "https://lyon.example/avatars/dan.png"
    assert "noindex" not in dan and "roles" not in dan
    assert dan["fields"] == [{"name": "Team", "value": "<p>Ops</p>", "verified_at": None}]


async def test_statuses_with_everything_local_and_remote(api: Api) -> None:
    alice = await api.client("alice")
    carol = await api.client("carol")
    media = (await alice.post("/api/v2/media", files={"file": ("a.png", png(), "image/png")},
                              data={"description": "alt"})).json()
    conforms("MediaAttachment", media)
    conforms("MediaAttachmentMetadataContainer", media["meta"])
    conforms("MediaAttachmentImageMetadata", media["meta"]["original"])
    with_media = await post(alice, "Photo for @carol #team", **{"media_ids[]": media["id"], "spoiler_text": "cw"})
    conforms("Status", with_media)
    conforms("MediaAttachment", with_media["media_attachments"][0])
    conforms("StatusMention", with_media["mentions"][0])
    conforms("Tag", with_media["tags"][0])
    assert with_media["spoiler_text"] == "cw" and with_media["sensitive"] is True
    poll = (await alice.post("/api/v1/statuses", json={
        "status": "Lunch?", "poll": {"options": ["Pizza", "Salad"], "expires_in": 3600}})).json()
    conforms("Status", poll)
    conforms("Poll", poll["poll"])
    conforms("PollOption", poll["poll"]["options"][0])
    boost = (await carol.post(f"/api/v1/statuses/{with_media['id']}/reblog")).json()
    conforms("Status", boost)
    conforms("Status", boost["reblog"])
    dan_id = await remote_dan(api)
    remote_id = await remote_status(api, dan_id)
    remote = (await alice.get(f"/api/v1/statuses/{remote_id}")).json()
    conforms("Status", remote)
    assert remote["account"]["acct"] == "dan@lyon.example" and remote["url"] == "https://lyon.example/@dan/1"
    context = (await alice.get(f"/api/v1/statuses/{with_media['id']}/context")).json()
    conforms("Context", context)
    source = (await alice.get(f"/api/v1/statuses/{with_media['id']}/source")).json()
    conforms("StatusSource", source)
    edited = await alice.put(f"/api/v1/statuses/{with_media['id']}", data={"status": "Edited for @carol"})
    assert edited.status_code == 200, edited.text
    history = (await alice.get(f"/api/v1/statuses/{with_media['id']}/history")).json()
    assert len(history) == 2
    for edit in history:
        conforms("StatusEdit", edit)


async def test_anonymous_readers_get_statuses_without_viewer_fields(open_api: Api) -> None:
    alice = await open_api.client("alice")
    status = await post(alice, "Public hello")
    anonymous = (await open_api.anonymous().get(f"/api/v1/statuses/{status['id']}")).json()
    conforms("Status", anonymous)
    assert "favourited" not in anonymous and "bookmarked" not in anonymous


async def test_notifications_relationships_and_friends(api: Api) -> None:
    alice = await api.client("alice")
    carol = await api.client("carol")
    alice_id = (await alice.get("/api/v1/accounts/verify_credentials")).json()["id"]
    await post(alice, "Hi @carol")
    followed = await carol.post(f"/api/v1/accounts/{alice_id}/follow")
    conforms("Relationship", followed.json())
    notifications = (await carol.get("/api/v1/notifications")).json()
    assert notifications
    for notification in notifications:
        conforms("Notification", notification)
    grouped = (await carol.get("/api/v2/notifications")).json()
    conforms("GroupedNotificationsResults", grouped)
    for group in grouped["notification_groups"]:
        conforms("NotificationGroup", group)
    familiar = (await alice.get("/api/v1/accounts/familiar_followers", params={"id[]": alice_id})).json()
    conforms("FamiliarFollowers", familiar[0])
    suggestions = (await carol.get("/api/v2/suggestions")).json()
    for suggestion in suggestions:
        conforms("Suggestion", suggestion)


async def test_instance_v1_and_v2(api: Api) -> None:
    client = api.anonymous()
    v1 = (await client.get("/api/v1/instance")).json()
    conforms("Instance", v1, optional=frozenset({"contact_account"}))
    conforms("InstanceConfiguration", v1["configuration"])
    v2 = (await client.get("/api/v2/instance")).json()
    conforms("InstanceV2", v2)
    conforms("InstanceConfigurationV2", v2["configuration"])
    conforms("InstanceRegistrations", v2["registrations"])
    conforms("InstanceURLsV2", v2["configuration"]["urls"])
    conforms("InstanceStatusConfiguration", v2["configuration"]["statuses"])
    conforms("InstanceMediaConfiguration", v2["configuration"]["media_attachments"])
    conforms("InstancePollConfiguration", v2["configuration"]["polls"])
    conforms("InstanceAccountConfiguration", v2["configuration"]["accounts"])
    conforms("InstanceContact", v2["contact"])
    conforms("InstanceUsage", v2["usage"])
    conforms("InstanceThumbnail", v2["thumbnail"])
    assert v2["configuration"]["limited_federation"] is True
    assert v2["version"].startswith("4.4.0") and v2["api_versions"] == {"mastodon": 2}


async def test_small_entities(api: Api) -> None:
    alice = await api.client("alice")
    registration = {"client_name": "X", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    app = (await api.anonymous().post("/api/v1/apps", data=registration)).json()
    conforms("Application", app)
    created = (await alice.post("/api/v1/lists", data={"title": "Team"})).json()
    conforms("UserList", created)
    markers = (await alice.post("/api/v1/markers", data={"home[last_read_id]": "123"})).json()
    conforms("Marker", markers["home"])
    conforms("Preferences", (await alice.get("/api/v1/preferences")).json())
    search = (await alice.get("/api/v2/search", params={"q": "carol"})).json()
    conforms("SearchV2", search)
    oauth = (await api.anonymous().get("/.well-known/oauth-authorization-server")).json()
    conforms("OAuthServerInfo", oauth)
    await api.ctx.db.execute(
        "INSERT INTO announcements (id, content, must_read, audience, published_at, updated_at)"
        " VALUES (1, '<p>Town hall at 10</p>', 1, 'local', 1700000000000, 1700000000000)")
    announcements = (await alice.get("/api/v1/announcements")).json()
    conforms("Announcement", announcements[0])


async def test_reports_and_conversations(api: Api) -> None:
    alice = await api.client("alice")
    carol = await api.client("carol")
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    bad = await post(carol, "Something reportable")
    report = await alice.post("/api/v1/reports", data={"account_id": carol_id, "status_ids[]": bad["id"],
                                                       "comment": "Not OK", "category": "other"})
    assert report.status_code == 200, report.text
    conforms("Report", report.json())
    await post(alice, "@carol a private word", visibility="direct")
    conversations = (await carol.get("/api/v1/conversations")).json()
    assert conversations
    conforms("Conversation", conversations[0])


@pytest.mark.parametrize("entity", ["Account", "Status", "Notification", "Relationship", "Poll", "MediaAttachment",
                                    "Tag", "Context", "InstanceV2", "Announcement"])
def test_every_issue_entity_is_in_the_reference(entity: str) -> None:
    assert mastodon_spec.required_fields(entity)
