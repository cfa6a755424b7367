"""Scope tests: every endpoint refuses a token without its scope (403, Mastodon's message), and
accepts the granular scope Mastodon documents for it. The table is checked against the app's routes,
so a new endpoint cannot be added without saying which scope it needs."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from tests.api.conftest import Api

# (method, path) → the granular scope Mastodon requires (its parent, `read`/`write`, also works).
SCOPES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/accounts/verify_credentials"): "read:accounts",
    ("PATCH", "/api/v1/accounts/update_credentials"): "write:accounts",
    ("PUT", "/api/v1/accounts/update_credentials"): "write:accounts",
    ("GET", "/api/v1/accounts/lookup"): "read:accounts",
    ("GET", "/api/v1/accounts/search"): "read:accounts",
    ("GET", "/api/v1/accounts/relationships"): "read:follows",
    ("GET", "/api/v1/accounts/familiar_followers"): "read:follows",
    ("GET", "/api/v1/accounts"): "read:accounts",
    ("GET", "/api/v1/accounts/{id}"): "read:accounts",
    ("GET", "/api/v1/accounts/{id}/statuses"): "read:statuses",
    ("GET", "/api/v1/accounts/{id}/followers"): "read:accounts",
    ("GET", "/api/v1/accounts/{id}/following"): "read:accounts",
    ("GET", "/api/v1/accounts/{id}/lists"): "read:lists",
    ("GET", "/api/v1/accounts/{id}/featured_tags"): "read:accounts",
    ("POST", "/api/v1/accounts/{id}/follow"): "write:follows",
    ("POST", "/api/v1/accounts/{id}/unfollow"): "write:follows",
    ("POST", "/api/v1/accounts/{id}/block"): "write:blocks",
    ("POST", "/api/v1/accounts/{id}/unblock"): "write:blocks",
    ("POST", "/api/v1/accounts/{id}/mute"): "write:mutes",
    ("POST", "/api/v1/accounts/{id}/unmute"): "write:mutes",
    ("POST", "/api/v1/accounts/{id}/note"): "write:accounts",
    ("POST", "/api/v1/accounts/{id}/remove_from_followers"): "write:follows",
    ("GET", "/api/v1/statuses"): "read:statuses",
    ("POST", "/api/v1/statuses"): "write:statuses",
    ("GET", "/api/v1/statuses/{id}"): "read:statuses",
    ("PUT", "/api/v1/statuses/{id}"): "write:statuses",
    ("DELETE", "/api/v1/statuses/{id}"): "write:statuses",
    ("GET", "/api/v1/statuses/{id}/context"): "read:statuses",
    ("GET", "/api/v1/statuses/{id}/history"): "read:statuses",
    ("GET", "/api/v1/statuses/{id}/source"): "read:statuses",
    ("GET", "/api/v1/statuses/{id}/favourited_by"): "read:accounts",
    ("GET", "/api/v1/statuses/{id}/reblogged_by"): "read:accounts",
    ("POST", "/api/v1/statuses/{id}/favourite"): "write:favourites",
    ("POST", "/api/v1/statuses/{id}/unfavourite"): "write:favourites",
    ("POST", "/api/v1/statuses/{id}/reblog"): "write:statuses",
    ("POST", "/api/v1/statuses/{id}/unreblog"): "write:statuses",
    ("POST", "/api/v1/statuses/{id}/bookmark"): "write:bookmarks",
    ("POST", "/api/v1/statuses/{id}/unbookmark"): "write:bookmarks",
    ("POST", "/api/v1/statuses/{id}/pin"): "write:accounts",
    ("POST", "/api/v1/statuses/{id}/unpin"): "write:accounts",
    ("GET", "/api/v1/timelines/home"): "read:statuses",
    ("GET", "/api/v1/timelines/public"): "read:statuses",
    ("GET", "/api/v1/timelines/tag/{hashtag}"): "read:statuses",
    ("GET", "/api/v1/timelines/list/{id}"): "read:lists",
    ("GET", "/api/v1/notifications"): "read:notifications",
    ("GET", "/api/v1/notifications/unread_count"): "read:notifications",
    ("POST", "/api/v1/notifications/clear"): "write:notifications",
    ("POST", "/api/v1/notifications/dismiss"): "write:notifications",
    ("GET", "/api/v1/notifications/{id}"): "read:notifications",
    ("POST", "/api/v1/notifications/{id}/dismiss"): "write:notifications",
    ("GET", "/api/v2/notifications"): "read:notifications",
    ("GET", "/api/v2/notifications/unread_count"): "read:notifications",
    ("POST", "/api/v2/media"): "write:media",
    ("POST", "/api/v1/media"): "write:media",
    ("GET", "/api/v1/media/{id}"): "write:media",
    ("PUT", "/api/v1/media/{id}"): "write:media",
    ("GET", "/api/v2/search"): "read:search",
    ("GET", "/api/v1/tags/{name}"): "read:statuses",
    ("POST", "/api/v1/tags/{name}/follow"): "write:follows",
    ("POST", "/api/v1/tags/{name}/unfollow"): "write:follows",
    ("GET", "/api/v1/lists"): "read:lists",
    ("POST", "/api/v1/lists"): "write:lists",
    ("GET", "/api/v1/lists/{id}"): "read:lists",
    ("PUT", "/api/v1/lists/{id}"): "write:lists",
    ("DELETE", "/api/v1/lists/{id}"): "write:lists",
    ("GET", "/api/v1/lists/{id}/accounts"): "read:lists",
    ("POST", "/api/v1/lists/{id}/accounts"): "write:lists",
    ("DELETE", "/api/v1/lists/{id}/accounts"): "write:lists",
    ("GET", "/api/v1/markers"): "read:statuses",
    ("POST", "/api/v1/markers"): "write:statuses",
    ("GET", "/api/v1/polls/{id}"): "read:statuses",
    ("POST", "/api/v1/polls/{id}/votes"): "write:statuses",
    ("GET", "/api/v1/bookmarks"): "read:bookmarks",
    ("GET", "/api/v1/favourites"): "read:favourites",
    ("GET", "/api/v1/blocks"): "read:blocks",
    ("GET", "/api/v1/mutes"): "read:mutes",
    ("GET", "/api/v1/follow_requests"): "read:follows",
    ("POST", "/api/v1/follow_requests/{id}/authorize"): "write:follows",
    ("POST", "/api/v1/follow_requests/{id}/reject"): "write:follows",
    ("GET", "/api/v1/filters"): "read:filters",
    ("POST", "/api/v1/filters"): "write:filters",
    ("GET", "/api/v1/filters/{id}"): "read:filters",
    ("PUT", "/api/v1/filters/{id}"): "write:filters",
    ("DELETE", "/api/v1/filters/{id}"): "write:filters",
    ("GET", "/api/v2/filters"): "read:filters",
    ("POST", "/api/v2/filters"): "write:filters",
    ("GET", "/api/v2/filters/{id}"): "read:filters",
    ("PUT", "/api/v2/filters/{id}"): "write:filters",
    ("DELETE", "/api/v2/filters/{id}"): "write:filters",
    ("GET", "/api/v2/filters/{id}/keywords"): "read:filters",
    ("POST", "/api/v2/filters/{id}/keywords"): "write:filters",
    ("GET", "/api/v2/filters/keywords/{id}"): "read:filters",
    ("PUT", "/api/v2/filters/keywords/{id}"): "write:filters",
    ("DELETE", "/api/v2/filters/keywords/{id}"): "write:filters",
    ("GET", "/api/v2/filters/{id}/statuses"): "read:filters",
    ("POST", "/api/v2/filters/{id}/statuses"): "write:filters",
    ("GET", "/api/v2/filters/statuses/{id}"): "read:filters",
    ("DELETE", "/api/v2/filters/statuses/{id}"): "write:filters",
    ("GET", "/api/v1/preferences"): "read:accounts",
    ("GET", "/api/v1/announcements"): "read",
    ("POST", "/api/v1/announcements/{id}/dismiss"): "write:accounts",
    ("GET", "/api/v1/directory"): "read:accounts",
    ("GET", "/api/v1/suggestions"): "read",
    ("GET", "/api/v2/suggestions"): "read",
    ("DELETE", "/api/v1/suggestions/{id}"): "read",
    ("GET", "/api/v1/endorsements"): "read:follows",
    ("GET", "/api/v1/followed_tags"): "read:follows",
    ("GET", "/api/v1/featured_tags"): "read:accounts",
    ("GET", "/api/v1/domain_blocks"): "read:follows",
    ("GET", "/api/v1/scheduled_statuses"): "read:statuses",
    ("GET", "/api/v1/scheduled_statuses/{id}"): "read:statuses",
    ("PUT", "/api/v1/scheduled_statuses/{id}"): "write:statuses",
    ("DELETE", "/api/v1/scheduled_statuses/{id}"): "write:statuses",
    ("GET", "/api/v1/conversations"): "read:statuses",
    ("POST", "/api/v1/conversations/{id}/read"): "write:conversations",
    ("DELETE", "/api/v1/conversations/{id}"): "write:conversations",
    ("POST", "/api/v1/reports"): "write:reports",
    ("POST", "/api/v1/admin/accounts/{id}/action"): "admin:write:accounts",
    ("POST", "/api/v1/admin/accounts/{id}/unsuspend"): "admin:write:accounts",
    ("POST", "/api/v1/admin/accounts/{id}/unsilence"): "admin:write:accounts",
    ("DELETE", "/api/v1/admin/accounts/{id}"): "admin:write:accounts",
    ("GET", "/api/v1/admin/audit_log"): "admin:read:accounts",
    ("GET", "/api/v1/admin/domain_allows"): "admin:read:domain_allows",
    ("POST", "/api/v1/admin/domain_allows"): "admin:write:domain_allows",
    ("GET", "/api/v1/admin/domain_allows/{id}"): "admin:read:domain_allows",
    ("DELETE", "/api/v1/admin/domain_allows/{id}"): "admin:write:domain_allows",
    ("POST", "/api/v1/push/subscription"): "push",
    ("GET", "/api/v1/push/subscription"): "push",
    ("PUT", "/api/v1/push/subscription"): "push",
    ("DELETE", "/api/v1/push/subscription"): "push",
    ("GET", "/oauth/userinfo"): "profile",
    ("POST", "/oauth/userinfo"): "profile",
}
SSE = "/api/v1/streaming"
STREAMS = {"/user": "read:statuses", "/user/notification": "read:notifications", "/list": "read:lists"}
# Reachable without any scope: registration, the instance, OAuth itself, public odds and ends.
OPEN = {"/oauth/authorize", "/oauth/authorize/native", "/oauth/token", "/oauth/revoke", "/api/v1/apps",
        "/api/v1/apps/verify_credentials", "/api/v1/custom_emojis", "/api/v1/trends", "/api/v1/trends/tags",
        "/api/v1/trends/statuses", "/api/v1/trends/links", "/api/v1/streaming/health"}


def api_routes(api: Api) -> list[tuple[str, str]]:
    found = []
    for route in api.app.routes:
        if not isinstance(route, Route) or not route.path.startswith(("/api/", "/oauth/")):
            continue
        if route.path.startswith("/api/v1/instance") or route.path.startswith("/api/v2/instance") or route.path in OPEN:
            continue
        for method in sorted(route.methods or ()):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path))
    return found


def concrete(path: str) -> str:
    return path.replace("{id}", "1").replace("{hashtag}", "news").replace("{name}", "news")


async def test_every_route_has_a_scope_in_the_table(api: Api) -> None:
    missing = [r for r in api_routes(api) if r not in SCOPES and not r[1].startswith(SSE)]
    assert not missing, f"say which scope these need: {missing}"


async def test_a_token_without_the_scope_is_refused_everywhere(api: Api) -> None:
    # Given a valid token holding only `push` (which opens only the push subscription), and one
    # holding everything but `push`
    push_only = await api.client("alice", "push")
    all_but_push = await api.client("alice", "read write follow profile")
    for method, path in api_routes(api):
        client = all_but_push if SCOPES.get((method, path)) == "push" else push_only
        # When it calls any endpoint that needs a scope it lacks
        response = await client.request(method, concrete(path))
        # Then the answer is Mastodon's 403
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.json() == {"error": "This action is outside the authorized scopes"}, (method, path)


@pytest.mark.parametrize("parent", [False, True])
async def test_the_documented_scope_opens_each_endpoint(api: Api, parent: bool) -> None:
    for (method, path), scope in SCOPES.items():
        granted = scope.split(":")[0] if parent and scope.startswith(("read:", "write:")) else scope
        # (admin endpoints also need the admin role: with it, the scope is what opens them)
        client = await api.client("admin" if scope.startswith("admin:") else "alice", granted)
        response = await client.request(method, concrete(path))
        assert response.status_code != 403 and response.status_code < 500, (method, path, granted, response.text)


async def test_streams_need_their_scope(api: Api) -> None:
    for suffix, scope in STREAMS.items():
        other = "read:lists" if scope != "read:lists" else "read:statuses"
        client = await api.client("alice", other)
        response = await client.get(SSE + suffix)
        assert response.status_code == 403, suffix
