"""What federation needs to know about this instance, built once by the server from its settings.

`Instance.create(...)` takes plain values (the server maps its Settings onto them), so nothing in
federation imports the server. `ensure_instance_actor` loads or creates the instance actor, the
`Application` account that signs our fetches (servers in authorized-fetch mode require a
signature on GETs too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from activitypub.urls import Urls
from federation.keys import generate_rsa_keypair
from federation.policy import FederationPolicy, domain_of
from storage import accounts
from storage.db import Executor, IntegrityError

USER_AGENT = "Atrium/0.1 (+https://atrium.invalid)"


@dataclass(frozen=True)
class InstanceActor:
    """The instance actor's id and signing key."""

    uri: str
    key_id: str
    private_key_pem: str


@dataclass
class Instance:
    """This instance: where it lives, whom it federates with, and its signing identity."""

    base_url: str
    company_audience: str
    policy: FederationPolicy
    actor: InstanceActor | None = None
    ca_file: str | None = None
    max_body_bytes: int = 1024 * 1024
    user_agent: str = USER_AGENT
    urls: Urls = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.urls = Urls(self.base_url)

    @classmethod
    def create(
        cls,
        *,
        base_url: str,
        company_audience: str,
        federation_mode: str = "closed",
        peers: Iterable[str] = (),
        peer_addresses: Mapping[str, str] | None = None,
        ca_file: str | None = None,
        max_body_bytes: int = 1024 * 1024,
        actor: InstanceActor | None = None,
    ) -> Instance:
        """An Instance from settings values: `Instance.create(base_url=s.base_url, company_audience=…)`."""
        domain = domain_of(base_url.rstrip("/") + "/")
        if not domain:
            raise ValueError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
        policy = FederationPolicy(
            mode=federation_mode, own_domain=domain, static_peers=peers, peer_addresses=peer_addresses
        )
        return cls(
            base_url=base_url,
            company_audience=company_audience,
            policy=policy,
            actor=actor,
            ca_file=ca_file,
            max_body_bytes=max_body_bytes,
        )

    @property
    def domain(self) -> str:
        """Our domain as it appears in our actor ids (`host[:port]`)."""
        return domain_of(self.base_url + "/")

    @property
    def scheme(self) -> str:
        return self.base_url.split("://", 1)[0]

    def is_local(self, uri: str | None) -> bool:
        """Whether `uri` names something on this instance."""
        return bool(uri) and domain_of(uri or "") == self.domain

    def peer_shared_inbox(self, peer_domain: str) -> str:
        """Where company posts go on a peer: its shared inbox, `<scheme>://<peer>/inbox`."""
        return f"{self.scheme}://{peer_domain}/inbox"


async def ensure_instance_actor(db: Executor, instance: Instance) -> InstanceActor:
    """Load (or create on first start) the instance actor at `<base>/actor` and attach it to `instance`.

    Its username is our host name, as Mastodon's instance actor's is; it has no login.
    """
    uri = instance.urls.instance_actor
    row = await accounts.get_by_uri(db, uri)
    if row is None:
        private_pem, public_pem = generate_rsa_keypair()
        base = instance.base_url
        new = accounts.NewLocalAccount(
            username=instance.domain.split(":")[0],
            uri=uri,
            url=f"{base}/about",
            inbox_url=f"{uri}/inbox",
            outbox_url=f"{uri}/outbox",
            followers_url=f"{uri}/followers",
            following_url=f"{uri}/following",
            featured_url=f"{uri}/collections/featured",
            shared_inbox_url=instance.urls.shared_inbox,
            public_key_pem=public_pem,
            private_key_pem=private_pem,
            display_name=instance.domain,
            actor_type="Application",
            locked=True,
            bot=True,
            discoverable=False,
        )
        try:
            await accounts.create_local_account(db, new)
        except IntegrityError:
            # Another process created it first (two workers starting together): use theirs.
            if await accounts.get_by_uri(db, uri) is None:
                raise
        row = await accounts.get_by_uri(db, uri)
        assert row is not None
    key = await accounts.get_private_key(db, int(row["id"]))
    if key is None:
        raise RuntimeError(f"the instance actor {uri} has no private key")
    instance.actor = InstanceActor(uri=uri, key_id=key[0], private_key_pem=key[1])
    return instance.actor
