"""Configuration: defaults, validation with one-line errors naming the variable."""

from __future__ import annotations

import pytest

from server.config import ConfigError, load_settings


def settings_from(tmp_path, **env):
    base = {"ATRIUM_DATA_DIR": str(tmp_path)}
    base.update(env)
    return load_settings(base)


def test_defaults_serve_a_loopback_instance_over_http_with_sqlite(tmp_path):
    settings = settings_from(tmp_path)
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.database_url == f"sqlite:///{tmp_path / 'atrium.db'}"
    assert settings.federation_mode == "closed"
    assert len(settings.secret_key) >= 32


def test_the_generated_secret_key_is_kept_across_starts(tmp_path):
    assert settings_from(tmp_path).secret_key == settings_from(tmp_path).secret_key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_named_hosts_default_to_https(tmp_path):
    assert settings_from(tmp_path, ATRIUM_DOMAIN="paris.example.com").base_url == "https://paris.example.com"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ATRIUM_DOMAIN": "not a host"}, "ATRIUM_DOMAIN"),
        ({"ATRIUM_DOMAIN": "paris.example.com", "ATRIUM_SCHEME": "http"}, "ATRIUM_SCHEME"),
        ({"ATRIUM_SCHEME": "ftp"}, "ATRIUM_SCHEME"),
        ({"ATRIUM_DATABASE_URL": "mysql://x"}, "ATRIUM_DATABASE_URL"),
        ({"ATRIUM_SECRET_KEY": "short"}, "ATRIUM_SECRET_KEY"),
        ({"ATRIUM_FEDERATION_MODE": "wide"}, "ATRIUM_FEDERATION_MODE"),
        ({"ATRIUM_WORKER_CONCURRENCY": "lots"}, "ATRIUM_WORKER_CONCURRENCY"),
        ({"ATRIUM_PEER_ADDRESSES": "lyon.test"}, "ATRIUM_PEER_ADDRESSES"),
        ({"ATRIUM_REGISTRATION_OPEN": "maybe"}, "ATRIUM_REGISTRATION_OPEN"),
    ],
)
def test_a_wrong_value_names_its_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError) as error:
        settings_from(tmp_path, **env)
    assert str(error.value).startswith(variable + ":")
    assert "\n" not in str(error.value)


def test_a_toml_file_mirrors_the_variables_and_the_environment_wins(tmp_path):
    config = tmp_path / "atrium.toml"
    config.write_text('domain = "lyon.example.com"\ninstance_name = "Lyon"\npeers = ["paris.example.com"]\n')
    settings = settings_from(tmp_path, ATRIUM_CONFIG=str(config), ATRIUM_INSTANCE_NAME="Lyon office")
    assert settings.domain == "lyon.example.com"
    assert settings.instance_name == "Lyon office"
    assert settings.peers == ("paris.example.com",)
