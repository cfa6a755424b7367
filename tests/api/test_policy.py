"""What apps rely on around the endpoints: the instance answers without a token even when closed,
anonymous reads only on open instances, CORS, rate limits with Retry-After, disabled logins."""

from __future__ import annotations

from server.api.ratelimit import Budget
from storage import accounts as account_store
from tests.api.conftest import Api, post


async def test_the_instance_is_reachable_without_a_token_on_a_closed_instance(api: Api) -> None:
    client = api.anonymous()
    for path in ("/api/v1/instance", "/api/v1/instance/", "/api/v2/instance", "/api/v2/instance/",
                 "/api/v1/instance/rules", "/api/v1/instance/peers/", "/api/v1/custom_emojis"):
        response = await client.get(path)
        assert response.status_code == 200, path
    v2 = (await client.get("/api/v2/instance")).json()
    assert v2["configuration"]["limited_federation"] is True
    assert v2["configuration"]["urls"]["streaming"] == "ws://paris.test"
    assert v2["domain"] == "paris.test" and v2["configuration"]["statuses"]["max_characters"] == 5000


async def test_an_open_instance_says_it_is_not_limited(open_api: Api) -> None:
    v2 = (await open_api.anonymous().get("/api/v2/instance")).json()
    assert v2["configuration"]["limited_federation"] is False


async def test_a_closed_instance_shows_nothing_to_the_anonymous(api: Api) -> None:
    alice = await api.client("alice")
    status = await post(alice, "Company news")
    anonymous = api.anonymous()
    for path in ("/api/v1/timelines/public", f"/api/v1/statuses/{status['id']}", f"/api/v1/accounts/{status['account']['id']}",
                 "/api/v1/accounts/lookup?acct=alice", "/api/v2/search?q=alice", "/api/v1/directory"):
        response = await anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"error": "The access token is invalid"}


async def test_an_open_instance_shows_public_posts_to_the_anonymous(open_api: Api) -> None:
    alice = await open_api.client("alice")
    public = await post(alice, "Hello world")
    company = await post(alice, "Company only", visibility="company")
    anonymous = open_api.anonymous()
    timeline = (await anonymous.get("/api/v1/timelines/public")).json()
    assert [s["id"] for s in timeline] == [public["id"]]
    assert (await anonymous.get(f"/api/v1/statuses/{company['id']}")).status_code == 404
    assert (await anonymous.get("/api/v1/timelines/home")).status_code == 401


async def test_cors_on_the_api(api: Api) -> None:
    client = api.anonymous(Origin="https://elk.zone")
    preflight = await client.options("/api/v1/statuses", headers={
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,idempotency-key"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    assert preflight.headers["access-control-allow-headers"] == "authorization,idempotency-key"
    response = await client.get("/api/v1/instance")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Link" in response.headers["access-control-expose-headers"]


async def test_rate_limits_answer_429_with_retry_after(api: Api) -> None:
    alice = await api.client("alice")
    first = await alice.get("/api/v1/timelines/home")
    assert first.headers["x-ratelimit-limit"] == "300"
    limiter = api.ctx.extras["api_rate_limiter"]
    limiter.budgets["token"] = Budget(3, 300)
    answers = [await alice.get("/api/v1/timelines/home") for _ in range(4)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert 1 <= int(refused.headers["retry-after"]) <= 300
    assert refused.headers["x-ratelimit-remaining"] == "0"
    # Other people are not affected
    carol = await api.client("carol")
    assert (await carol.get("/api/v1/timelines/home")).status_code == 200


async def test_posting_has_its_own_budget(api: Api) -> None:
    alice = await api.client("alice")
    api.ctx.extras.setdefault("api_rate_limiter", None)
    await alice.get("/api/v1/instance")
    api.ctx.extras["api_rate_limiter"].budgets["statuses"] = Budget(2, 3600)
    codes = [(await alice.post("/api/v1/statuses", data={"status": f"n{i}"})).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert (await alice.get("/api/v1/timelines/home")).status_code == 200


async def test_a_suspended_account_s_tokens_stop_working(api: Api) -> None:
    alice = await api.client("alice")
    account = await api.account("alice")
    await account_store.set_suspended(api.ctx.db, int(account["id"]), True)
    response = await alice.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 403
    assert response.json() == {"error": "Your login is currently disabled"}


async def test_unknown_ids_are_404_with_mastodons_message(api: Api) -> None:
    alice = await api.client("alice")
    for path in ("/api/v1/statuses/123", "/api/v1/statuses/abc", "/api/v1/accounts/99999999999999999999",
                 "/api/v1/polls/5", "/api/v1/notifications/7", "/api/v1/lists/8"):
        response = await alice.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}, path
