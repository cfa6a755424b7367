"""server.middleware.FreezeAfterStartupMiddleware: start-up's objects are frozen while the app runs
(full collections skip them) and given back to the collector at shut-down."""

from __future__ import annotations

import gc

from starlette.testclient import TestClient

from server.app import create_app
from tests.conftest import make_settings


def test_startup_objects_are_frozen_while_running_and_unfrozen_at_shutdown(tmp_path):
    gc.unfreeze()
    app = create_app(make_settings(tmp_path), run_subsystems=False)
    with TestClient(app, base_url="http://paris.test") as client:
        assert gc.get_freeze_count() > 1000   # the modules and the app, at least
        assert client.get("/nodeinfo/2.0").status_code == 200
    assert gc.get_freeze_count() == 0
