"""Configuration from environment variables, optionally mirrored by a TOML file.

Every setting has an `ATRIUM_*` variable. A TOML file named by `ATRIUM_CONFIG` (or `./atrium.toml`
when present) may hold the same keys in lower case without the prefix; the environment wins. A wrong
value raises `ConfigError` whose message names the variable, and the CLI prints it as one line.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_DOMAIN = re.compile(r"^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$")


class ConfigError(Exception):
    """A setting has a wrong value; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything an instance needs to know about itself."""

    domain: str = "127.0.0.1:8000"
    scheme: str = "http"
    database_url: str = "sqlite:///data/atrium.db"
    secret_key: str = ""
    data_dir: Path = Path("data")
    instance_name: str = "Atrium"
    instance_description: str = "Our company's social network"
    contact_email: str = ""
    federation_mode: str = "closed"           # closed: company allowlist only; open: the fediverse too
    company_name: str = "Company"
    company_audience: str = "https://atrium.invalid/ns/company"  # the IRI every member instance addresses
    peers: tuple[str, ...] = ()               # allowlisted peer domains from the environment
    peer_addresses: Mapping[str, str] = field(default_factory=dict)  # domain -> ip[:port] (internal DNS)
    ca_file: str | None = None                # company CA for TLS between instances
    tls_cert_file: str | None = None          # `atrium serve` speaks TLS itself with this certificate (PEM chain)
    tls_key_file: str | None = None           # and this key (else the key is in the certificate file)
    registry_file: str | None = None          # the signed company peer registry (reloaded when it changes)
    registry_key_file: str | None = None      # the public key that signs it
    registration_open: bool = False           # employees join by invite unless IT opens sign-ups
    run_workers: bool = True                  # delivery/inbox workers inside `atrium serve`
    worker_concurrency: int = 8
    claim_lock_seconds: int = 120             # how long a worker's claim on a job lasts before others may take it
    retry_base_seconds: int = 30              # first delivery retry after about this long (then doubling)
    inbox_peer_rate_per_minute: int = 3000    # verified inbox deliveries a minute from one peer host, then 429
    max_body_bytes: int = 1024 * 1024
    max_media_bytes: int = 16 * 1024 * 1024
    max_status_chars: int = 5000
    log_level: str = "info"
    log_json: bool = False
    trusted_proxies: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def host(self) -> str:
        """The domain without a port (for display)."""
        return self.domain.split(":")[0]

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def url(self, path: str) -> str:
        return self.base_url + path


_ENV_PREFIX = "ATRIUM_"


def _bool(name: str, value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {number}")
    return number


def validate_domain(name: str, value: str) -> str:
    domain = value.strip().lower()
    if not _DOMAIN.match(domain):
        raise ConfigError(f"{name}: not a host name (with an optional :port): {value!r}")
    if ":" in domain and not 0 < int(domain.rsplit(":", 1)[1]) < 65536:
        raise ConfigError(f"{name}: port out of range in {value!r}")
    return domain


def _is_loopback_host(domain: str) -> bool:
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    if host in ("localhost",) or host.endswith(".localhost") or host.endswith(".test"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_loopback_ip(domain: str) -> bool:
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _peer_addresses(name: str, value: str) -> dict[str, str]:
    """`paris.atrium.test=127.0.0.2:8443,lyon.atrium.test=127.0.0.3` → a map."""
    result = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        if "=" not in item:
            raise ConfigError(f"{name}: expected domain=address pairs separated by commas, got {item!r}")
        domain, address = (x.strip() for x in item.split("=", 1))
        result[validate_domain(name, domain)] = address
    return result


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"ATRIUM_CONFIG: no such file {str(path)!r}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"ATRIUM_CONFIG: {path} is not valid TOML: {exc}") from None
    return {f"{_ENV_PREFIX}{key.upper()}": value for key, value in data.items()}


def load_settings(environ: Mapping[str, str] | None = None, *, persist_secret: bool = True) -> Settings:
    """Read settings from the environment (and the optional TOML file); raise ConfigError when wrong."""
    env = dict(os.environ if environ is None else environ)
    config_path = env.get("ATRIUM_CONFIG")
    if config_path or Path("atrium.toml").exists():
        merged = _read_toml(Path(config_path or "atrium.toml"))
        merged.update({k: v for k, v in env.items() if k.startswith(_ENV_PREFIX)})
        env = {**env, **{k: str(v) if not isinstance(v, list) else ",".join(map(str, v)) for k, v in merged.items()}}

    def get(key: str, default: str | None = None) -> str | None:
        return env.get(_ENV_PREFIX + key, default)

    values: dict[str, Any] = {}
    domain = validate_domain("ATRIUM_DOMAIN", get("DOMAIN", "127.0.0.1:8000") or "")
    values["domain"] = domain
    scheme = (get("SCHEME") or "").strip().lower()
    if not scheme:
        # Plain HTTP by default only on a loopback address (development); anything named gets https.
        scheme = "http" if _is_loopback_ip(domain) else "https"
    if scheme not in ("http", "https"):
        raise ConfigError(f"ATRIUM_SCHEME: expected https or http, got {scheme!r}")
    if scheme == "http" and not _is_loopback_host(domain):
        raise ConfigError(
            f"ATRIUM_SCHEME: http is only allowed for loopback or .test development hosts, not {domain!r}"
        )
    values["scheme"] = scheme

    data_dir = Path(get("DATA_DIR", "data") or "data")
    values["data_dir"] = data_dir
    database_url = get("DATABASE_URL") or f"sqlite:///{data_dir / 'atrium.db'}"
    if not database_url.startswith(("sqlite:", "postgresql://", "postgres://")):
        raise ConfigError(
            f"ATRIUM_DATABASE_URL: expected sqlite:///path or postgresql://…, got {database_url!r}"
        )
    values["database_url"] = database_url

    secret = get("SECRET_KEY")
    if secret is not None and len(secret) < 32:
        raise ConfigError("ATRIUM_SECRET_KEY: must be at least 32 characters long")
    values["secret_key"] = secret or _stored_secret(data_dir, persist_secret)

    mode = (get("FEDERATION_MODE", "closed") or "closed").strip().lower()
    if mode not in ("closed", "open"):
        raise ConfigError(f"ATRIUM_FEDERATION_MODE: expected closed or open, got {mode!r}")
    values["federation_mode"] = mode

    peers = get("PEERS", "") or ""
    values["peers"] = tuple(validate_domain("ATRIUM_PEERS", p) for p in peers.split(",") if p.strip())
    values["peer_addresses"] = _peer_addresses("ATRIUM_PEER_ADDRESSES", get("PEER_ADDRESSES", "") or "")
    ca_file = get("CA_FILE")
    if ca_file and not Path(ca_file).is_file():
        raise ConfigError(f"ATRIUM_CA_FILE: no such file {ca_file!r}")
    values["ca_file"] = ca_file or None
    for key, attr in (("TLS_CERT_FILE", "tls_cert_file"), ("TLS_KEY_FILE", "tls_key_file")):
        path = get(key)
        if path and not Path(path).is_file():
            raise ConfigError(f"ATRIUM_{key}: no such file {path!r}")
        values[attr] = path or None
    if values["tls_key_file"] and not values["tls_cert_file"]:
        raise ConfigError("ATRIUM_TLS_CERT_FILE: needed with ATRIUM_TLS_KEY_FILE")
    for key, attr in (("REGISTRY_FILE", "registry_file"), ("REGISTRY_KEY_FILE", "registry_key_file")):
        path = get(key)
        if path and not Path(path).is_file():
            raise ConfigError(f"ATRIUM_{key}: no such file {path!r}")
        values[attr] = path or None
    if values["registry_file"] and not values["registry_key_file"]:
        raise ConfigError("ATRIUM_REGISTRY_KEY_FILE: needed to verify ATRIUM_REGISTRY_FILE")

    for key, attr in (
        ("INSTANCE_NAME", "instance_name"),
        ("INSTANCE_DESCRIPTION", "instance_description"),
        ("CONTACT_EMAIL", "contact_email"),
        ("COMPANY_NAME", "company_name"),
        ("LOG_LEVEL", "log_level"),
    ):
        value = get(key)
        if value is not None:
            values[attr] = value
    audience = get("COMPANY_AUDIENCE")
    if audience is not None:
        if not audience.startswith(("https://", "http://", "urn:")):
            raise ConfigError(f"ATRIUM_COMPANY_AUDIENCE: expected an IRI (https://… or urn:…), got {audience!r}")
        values["company_audience"] = audience
    if values.get("log_level", "info") not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"ATRIUM_LOG_LEVEL: expected debug, info, warning or error, got {values['log_level']!r}")

    if get("REGISTRATION_OPEN") is not None:
        values["registration_open"] = _bool("ATRIUM_REGISTRATION_OPEN", get("REGISTRATION_OPEN") or "")
    if get("RUN_WORKERS") is not None:
        values["run_workers"] = _bool("ATRIUM_RUN_WORKERS", get("RUN_WORKERS") or "")
    if get("LOG_JSON") is not None:
        values["log_json"] = _bool("ATRIUM_LOG_JSON", get("LOG_JSON") or "")
    if get("WORKER_CONCURRENCY") is not None:
        values["worker_concurrency"] = _int("ATRIUM_WORKER_CONCURRENCY", get("WORKER_CONCURRENCY") or "", 1, 256)
    if get("CLAIM_LOCK_SECONDS") is not None:
        values["claim_lock_seconds"] = _int("ATRIUM_CLAIM_LOCK_SECONDS", get("CLAIM_LOCK_SECONDS") or "", 5, 3600)
    if get("RETRY_BASE_SECONDS") is not None:
        values["retry_base_seconds"] = _int("ATRIUM_RETRY_BASE_SECONDS", get("RETRY_BASE_SECONDS") or "", 1, 3600)
    if get("INBOX_PEER_RATE_PER_MINUTE") is not None:
        values["inbox_peer_rate_per_minute"] = _int(
            "ATRIUM_INBOX_PEER_RATE_PER_MINUTE", get("INBOX_PEER_RATE_PER_MINUTE") or "", 1, 10_000_000
        )
    if get("MAX_BODY_BYTES") is not None:
        values["max_body_bytes"] = _int("ATRIUM_MAX_BODY_BYTES", get("MAX_BODY_BYTES") or "", 1024, 64 << 20)
    if get("MAX_MEDIA_BYTES") is not None:
        values["max_media_bytes"] = _int("ATRIUM_MAX_MEDIA_BYTES", get("MAX_MEDIA_BYTES") or "", 1024, 512 << 20)
    proxies = get("TRUSTED_PROXIES", "") or ""
    values["trusted_proxies"] = tuple(p.strip() for p in proxies.split(",") if p.strip())
    return Settings(**values)


def _stored_secret(data_dir: Path, persist: bool) -> str:
    """The secret key kept in the data folder, made on first run (mode 0600)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    if persist:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret + "\n")
    return secret
