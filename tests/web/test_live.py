"""The web UI's event stream: for signed-in browsers only; 204 (stop retrying) when no hub runs."""

from __future__ import annotations

from .conftest import Browser, Site


async def test_stream_needs_a_session(site: Site) -> None:
    response = await site.browser().get("/web/streaming?stream=user", headers={"Accept": "text/event-stream"})
    assert response.status_code == 401


async def test_without_a_streaming_hub_the_browser_is_told_to_stop(site: Site, alice: Browser) -> None:
    # The test app runs no subsystems, so no hub: EventSource stops and the script polls instead
    assert "streaming_hub" not in site.ctx.extras
    response = await alice.get("/web/streaming?stream=user")
    assert response.status_code == 204
    assert (await alice.get("/web/streaming?stream=nonsense")).status_code == 204
