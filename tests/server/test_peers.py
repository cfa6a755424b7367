"""The company federation's membership: peers by hand and from the signed registry."""

from __future__ import annotations

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.registry import RegistryError, sign_registry, verify_registry
from server.registry_wiring import load_if_changed
from server.services import peers as peer_service
from server.services.statuses import ServiceError
from storage import audit
from tests.server.test_cli import atrium


def keypair():
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def registry(private: str, *domains: str) -> bytes:
    document = {"type": "AtriumPeerRegistry", "company": "ACME",
                "members": [{"domain": d, "cidrs": ["10.0.0.0/8"]} for d in domains]}
    return orjson.dumps(sign_registry(document, private))


async def test_added_peers_are_allowed_at_once_and_audited(ctx):
    assert not ctx.instance.policy.allow("lyon.example.com")
    await peer_service.add_peer(ctx, "Lyon.Example.com", address="10.0.0.3:443", actor_id=None)
    assert ctx.instance.policy.allow("lyon.example.com")
    await peer_service.suspend_peer(ctx, "lyon.example.com", True)
    assert not ctx.instance.policy.allow("lyon.example.com")
    await peer_service.remove_peer(ctx, "lyon.example.com")
    actions = [r["action"] for r in reversed(await audit.recent(ctx.db))]
    assert actions == ["peer.add", "peer.suspend", "peer.remove"]


async def test_an_instance_cannot_be_its_own_peer_nor_a_non_host(ctx):
    with pytest.raises(ServiceError):
        await peer_service.add_peer(ctx, ctx.domain)
    with pytest.raises(ServiceError):
        await peer_service.add_peer(ctx, "not a host")


async def test_the_registry_replaces_its_own_peers_and_keeps_manual_ones(ctx):
    private, public = keypair()
    await peer_service.add_peer(ctx, "manual.example.com")
    first = await peer_service.import_registry(ctx, registry(private, "paris.example.com", "lyon.example.com"), public)
    assert sorted(first.added) == ["lyon.example.com", "paris.example.com"]
    second = await peer_service.import_registry(ctx, registry(private, "paris.example.com"), public)
    assert second.removed == ["lyon.example.com"]
    domains = {r["domain"]: r["source"] for r in await peer_service.list_peers(ctx)}
    assert domains == {"manual.example.com": "manual", "paris.example.com": "registry"}
    assert not ctx.instance.policy.allow("lyon.example.com")


async def test_a_tampered_or_foreign_registry_changes_nothing(ctx):
    private, public = keypair()
    other_private, _ = keypair()
    good = registry(private, "paris.example.com")
    tampered = good.replace(b"paris", b"evil0")
    for raw in (tampered, registry(other_private, "evil.example.com"), b"not json", b'{"type":"x"}'):
        with pytest.raises(ServiceError):
            await peer_service.import_registry(ctx, raw, public)
    assert await peer_service.list_peers(ctx) == []


def test_registry_signature_covers_every_member_field():
    private, public = keypair()
    document = orjson.loads(registry(private, "paris.example.com"))
    document["members"][0]["address"] = "203.0.113.9"
    with pytest.raises(RegistryError):
        verify_registry(orjson.dumps(document), public)
    assert [m.domain for m in verify_registry(registry(private, "paris.example.com"), public)] == ["paris.example.com"]


async def test_a_changed_registry_file_is_reloaded_without_restart(ctx, tmp_path):
    import dataclasses
    import os

    private, public = keypair()
    reg = tmp_path / "registry.json"
    key = tmp_path / "registry.pub"
    key.write_text(public)
    reg.write_bytes(registry(private, "paris.example.com"))
    ctx.settings = dataclasses.replace(ctx.settings, registry_file=str(reg), registry_key_file=str(key))
    mtime = await load_if_changed(ctx, None)
    assert ctx.instance.policy.allow("paris.example.com")
    reg.write_bytes(registry(private, "lyon.example.com"))
    os.utime(reg, (mtime + 5, mtime + 5))
    await load_if_changed(ctx, mtime)
    assert ctx.instance.policy.allow("lyon.example.com")
    assert not ctx.instance.policy.allow("paris.example.com")


def test_it_signs_and_instances_import_from_the_command_line(tmp_path):
    assert atrium(tmp_path, "registry", "keygen", "reg.key", "reg.pub").returncode == 0
    (tmp_path / "members.json").write_text('{"company": "ACME", "members": [{"domain": "paris.example.com"}]}')
    signed = atrium(tmp_path, "registry", "sign", "members.json", "--private-key", "reg.key", "-o", "reg.json")
    assert signed.returncode == 0, signed.stderr
    imported = atrium(tmp_path, "peers", "import", "reg.json", "--key", "reg.pub")
    assert imported.returncode == 0, imported.stderr
    assert "1 added" in imported.stdout
    listing = atrium(tmp_path, "peers", "list")
    assert "paris.example.com" in listing.stdout and "registry" in listing.stdout
    refused = atrium(tmp_path, "peers", "add", "bad host")
    assert refused.returncode == 1 and "not a host name" in refused.stderr
    assert atrium(tmp_path, "peers", "remove", "nobody.example.com").returncode == 1
