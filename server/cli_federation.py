"""`atrium peers …` and `atrium registry …`: the company federation from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.registry import RegistryError, sign_registry

from .config import Settings
from .context import Context
from .services import peers as peer_service
from .services.statuses import ServiceError


def _cli() -> Any:
    from . import cli  # late import: cli imports this module's register at start-up

    return cli


def cmd_peers_add(settings: Settings, args: argparse.Namespace) -> int:
    cli = _cli()

    async def run(ctx: Context) -> int:
        try:
            created = await peer_service.add_peer(ctx, args.domain, address=args.address, cidrs=args.cidr or [],
                                                  note=args.note or "")
        except ServiceError as exc:
            return cli._fail(exc.message)
        cli._print(f"{'added' if created else 'updated'} peer {peer_service.normalize_domain(args.domain)}")
        return cli.EXIT_OK

    return asyncio.run(cli._with_context(settings, run))


def cmd_peers_change(settings: Settings, args: argparse.Namespace) -> int:
    """`peers remove|suspend|unsuspend DOMAIN`."""
    cli = _cli()
    action = args.peers_command

    async def run(ctx: Context) -> int:
        try:
            if action == "remove":
                changed = await peer_service.remove_peer(ctx, args.domain)
            else:
                changed = await peer_service.suspend_peer(ctx, args.domain, action == "suspend")
        except ServiceError as exc:
            return cli._fail(exc.message)
        if not changed:
            return cli._fail(f"{args.domain} is not a peer")
        done = {"remove": "removed", "suspend": "suspended", "unsuspend": "unsuspended"}[action]
        cli._print(f"{done} peer {args.domain.lower()}")
        return cli.EXIT_OK

    return asyncio.run(cli._with_context(settings, run))


def cmd_peers_list(settings: Settings, args: argparse.Namespace) -> int:
    cli = _cli()

    async def run(ctx: Context) -> int:
        rows = await peer_service.list_peers(ctx)
        configured = [d for d in settings.peers if d not in {r["domain"] for r in rows}]
        cli._print(f"federation mode: {settings.federation_mode}")
        cli._print(f"{'domain':<32} {'source':<10} {'address':<22} status")
        for domain in configured:
            cli._print(f"{domain:<32} {'settings':<10} {settings.peer_addresses.get(domain, ''):<22} active")
        for row in rows:
            status = "suspended" if row["suspended_at"] else "active"
            cli._print(f"{row['domain']:<32} {row['source']:<10} {(row['address'] or ''):<22} {status}")
        return cli.EXIT_OK

    return asyncio.run(cli._with_context(settings, run))


def cmd_peers_import(settings: Settings, args: argparse.Namespace) -> int:
    cli = _cli()
    key_file = args.key or settings.registry_key_file
    if not key_file:
        return cli._fail("give the registry's public key with --key or ATRIUM_REGISTRY_KEY_FILE", cli.EXIT_USAGE)
    try:
        raw = Path(args.file).read_bytes()
        key = Path(key_file).read_text()
    except OSError as exc:
        return cli._fail(f"cannot read {exc.filename}: {exc.strerror}", cli.EXIT_USAGE)

    async def run(ctx: Context) -> int:
        try:
            sync = await peer_service.import_registry(ctx, raw, key)
        except ServiceError as exc:
            return cli._fail(exc.message)
        cli._print(f"registry imported: {len(sync.added)} added, {len(sync.updated)} updated, {len(sync.removed)} removed")
        return cli.EXIT_OK

    return asyncio.run(cli._with_context(settings, run))


def cmd_registry_keygen(settings: Settings, args: argparse.Namespace) -> int:
    cli = _cli()
    private = Path(args.private_key)
    if private.exists():
        return cli._fail(f"{private} exists already; refusing to overwrite a signing key")
    key = ed25519.Ed25519PrivateKey.generate()
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    public = Path(args.public_key)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    cli._print(f"wrote {private} (keep it secret) and {public} (give it to every instance)")
    return cli.EXIT_OK


def cmd_registry_sign(settings: Settings, args: argparse.Namespace) -> int:
    """Sign a members file ({"company": …, "members": [...]}) into a registry instances accept."""
    cli = _cli()
    try:
        document = orjson.loads(Path(args.members).read_bytes())
        key = Path(args.private_key).read_text()
    except OSError as exc:
        return cli._fail(f"cannot read {exc.filename}: {exc.strerror}", cli.EXIT_USAGE)
    except orjson.JSONDecodeError as exc:
        return cli._fail(f"{args.members} is not JSON: {exc}", cli.EXIT_USAGE)
    if not isinstance(document, dict) or not isinstance(document.get("members"), list):
        return cli._fail(f"{args.members} must be an object with a members list", cli.EXIT_USAGE)
    document["type"] = "AtriumPeerRegistry"
    document.setdefault("issued_at", __import__("datetime").datetime.now(__import__("datetime").UTC)
                        .strftime("%Y-%m-%dT%H:%M:%SZ"))
    try:
        signed = sign_registry(document, key)
    except (RegistryError, ValueError) as exc:
        return cli._fail(f"cannot sign: {exc}")
    output = orjson.dumps(signed, option=orjson.OPT_INDENT_2)
    if args.output == "-":
        sys.stdout.write(output.decode() + "\n")
    else:
        Path(args.output).write_bytes(output + b"\n")
        cli._print(f"wrote {args.output} ({len(signed['members'])} members)")
    return cli.EXIT_OK


def register(sub: Any) -> None:
    peers = sub.add_parser("peers", help="the company federation's member instances").add_subparsers(
        dest="peers_command", required=True)
    add = peers.add_parser("add", help="allow a company instance")
    add.add_argument("domain")
    add.add_argument("--address", help="ip[:port] to connect to (internal networks)")
    add.add_argument("--cidr", action="append", help="private address range this peer lives in (repeatable)")
    add.add_argument("--note")
    add.set_defaults(func=cmd_peers_add)
    for name, text in (("remove", "stop federating with an instance"), ("suspend", "suspend a peer instance"),
                       ("unsuspend", "unsuspend a peer instance")):
        change = peers.add_parser(name, help=text)
        change.add_argument("domain")
        change.set_defaults(func=cmd_peers_change)
    peers.add_parser("list", help="list peers").set_defaults(func=cmd_peers_list)
    imp = peers.add_parser("import", help="import the signed company peer registry")
    imp.add_argument("file")
    imp.add_argument("--key", help="the registry's public key (default ATRIUM_REGISTRY_KEY_FILE)")
    imp.set_defaults(func=cmd_peers_import)

    registry = sub.add_parser("registry", help="sign the company peer registry (IT)").add_subparsers(
        dest="registry_command", required=True)
    keygen = registry.add_parser("keygen", help="make the registry signing key pair (Ed25519)")
    keygen.add_argument("private_key")
    keygen.add_argument("public_key")
    keygen.set_defaults(func=cmd_registry_keygen)
    sign = registry.add_parser("sign", help="sign a members file")
    sign.add_argument("members")
    sign.add_argument("--private-key", required=True)
    sign.add_argument("--output", "-o", default="-")
    sign.set_defaults(func=cmd_registry_sign)
