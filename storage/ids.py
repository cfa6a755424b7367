"""Time-sortable 64-bit ids (snowflakes), so that ordering by id is ordering by time.

Like Mastodon's: the top 48 bits are milliseconds since the Unix epoch, the low 16 bits a sequence
(local objects) or random bits (remote objects, whose time is their `published`). Pagination by id
cursors is therefore chronological, and ids of remote posts land where their date says.
"""

from __future__ import annotations

import secrets
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def now_ms() -> int:
    """The current time in milliseconds since the epoch (the unit of every timestamp we store)."""
    return int(time.time() * 1000)


def new_id(at_ms: int | None = None) -> int:
    """A fresh id for an object created now (strictly increasing within this process)."""
    global _last_ms, _sequence
    if at_ms is not None:
        return (at_ms << 16) | secrets.randbits(16)
    with _lock:
        ms = now_ms()
        if ms <= _last_ms:
            _sequence += 1
            if _sequence >= 0x10000:
                _last_ms += 1
                _sequence = 0
            ms = _last_ms
        else:
            # Random start so that two processes creating ids in the same millisecond rarely collide.
            _sequence = secrets.randbits(12)
        _last_ms = ms
        return (ms << 16) | _sequence


def id_to_ms(object_id: int) -> int:
    return object_id >> 16


def ms_to_min_id(ms: int) -> int:
    """The smallest id of anything created at or after `ms` (for time-range queries on ids)."""
    return ms << 16
