"""Sharing metrics between the processes of one instance on one host (`atrium serve --workers N`).

Each process writes its registry's snapshot to `<dir>/<host>-<pid>.json` (atomically: temporary
file, then rename); the process answering a scrape reads its live siblings' files. Files of dead
processes, or too old to be trusted, are ignored and removed: a worker that died takes its counts
with it, which Prometheus sees as a counter reset and `rate()` handles.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from .metrics import Registry

STALE_AFTER_S = 30.0


def _prefix() -> str:
    return socket.gethostname().replace("-", "_") + "-"


def own_file(directory: Path) -> Path:
    return directory / f"{_prefix()}{os.getpid()}.json"


def write_snapshot(directory: Path, registry: Registry) -> None:
    """Write this process's figures for its siblings to read."""
    directory.mkdir(parents=True, exist_ok=True)
    target = own_file(directory)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(registry.snapshot()))
    temporary.replace(target)


def remove_own(directory: Path) -> None:
    with contextlib.suppress(OSError):
        own_file(directory).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sibling_snapshots(directory: Path, now: float | None = None) -> list[dict[str, Any]]:
    """Snapshots of the other live processes of this host."""
    if not directory.is_dir():
        return []
    now = time.time() if now is None else now
    prefix, own = _prefix(), own_file(directory)
    found = []
    for path in directory.glob(f"{prefix}*.json"):
        if path == own:
            continue
        pid_text = path.stem[len(prefix):]
        try:
            pid = int(pid_text)
            fresh = now - path.stat().st_mtime < STALE_AFTER_S
        except (ValueError, OSError):
            continue
        if not (fresh and _alive(pid)):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # being replaced right now: next scrape
    return found
