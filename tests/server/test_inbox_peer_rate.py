"""ATRIUM_INBOX_PEER_RATE_PER_MINUTE: the inboxes' per-peer budget comes from the settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from server.config import ConfigError, Settings, load_settings
from server.routes_federation import throttle_of


def test_the_setting_is_read_and_bounded(tmp_path: object) -> None:
    base = {"ATRIUM_DATA_DIR": str(tmp_path)}
    assert load_settings(base, persist_secret=False).inbox_peer_rate_per_minute == 3000
    assert load_settings({**base, "ATRIUM_INBOX_PEER_RATE_PER_MINUTE": "120000"},
                         persist_secret=False).inbox_peer_rate_per_minute == 120_000
    for wrong in ("0", "-5", "lots", "1e9"):
        with pytest.raises(ConfigError, match="ATRIUM_INBOX_PEER_RATE_PER_MINUTE"):
            load_settings({**base, "ATRIUM_INBOX_PEER_RATE_PER_MINUTE": wrong}, persist_secret=False)


def test_the_inbox_throttle_uses_the_configured_budget() -> None:
    ctx = SimpleNamespace(extras={}, settings=Settings(inbox_peer_rate_per_minute=2))
    throttle = throttle_of(ctx)  # type: ignore[arg-type]
    assert throttle_of(ctx) is throttle  # one per process
    throttle.count("lyon.example")
    assert throttle.retry_after("lyon.example") is None
    throttle.count("lyon.example")   # the second of two: the next one waits
    wait = throttle.retry_after("lyon.example")
    assert wait is not None and 1 <= wait <= 60
    assert throttle.retry_after("montreal.example") is None   # per peer
