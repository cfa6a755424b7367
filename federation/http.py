"""The one outgoing HTTP client: every fetch and delivery goes through `HttpClient`.

Three guards, checked for every request and every connection:

1. Policy: the URL's domain must be allowed (`policy.allow`), so closed federation holds for
   deliveries, fetches and redirects alike (SECURITY-CASES 12, 20, 27).
2. Addresses, checked at connect time on the address actually dialled (SECURITY-CASES 19): a
   peer with a configured address is dialled there (its name kept for Host and TLS SNI, as an
   internal DNS would); a peer with allowed ranges may resolve into them; anything else must
   resolve to a public address. Loopback, private, link-local, metadata and other special
   addresses are refused otherwise, also when a public name resolves to them (DNS rebinding:
   the address we check is the one we connect to).
3. Limits: a total deadline per request (a peer trickling one byte a second is cut off) and a
   cap on the body size, counted after decompression (SECURITY-CASES 18).

TLS trusts the system store plus the company CA file when one is configured.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ipaddress
import socket
import ssl
import sys
import typing
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

import httpcore
import httpx
from httpcore._utils import is_socket_readable

from federation.httpsig import sign_request
from federation.policy import Peer, domain_of, split_domain

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# httpcore runs `import sniffio` whenever it makes a lock (per connection, per request). Without
# sniffio installed, each of those failed imports scans sys.path again: measured, 3 s of a
# 1,000-host fan-out. Recording the absence once makes the import fail at once; httpcore then
# assumes asyncio, which is what runs here. (Installing sniffio would do as well.)
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_DEADLINE = 30.0

# An RSA-2048 signature takes 0.3-1.2 ms of CPU, and `cryptography` releases the GIL meanwhile: signing
# on these threads lets the event loop go on serving (a burst of key-cache misses each signs a GET,
# a fan-out signs every delivery). Two threads: one core's worth beside the loop, and a bound.
_SIGNING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="atrium-sign")


class HttpError(Exception):
    """An outgoing request that did not produce a usable answer."""

    retryable = False


class RequestRefused(HttpError):
    """We refused to send it: host not allowed, forbidden address, bad URL, refused redirect."""


class BlockedAddress(RequestRefused):
    """The host resolved (or was configured) to an address we never connect to."""


class TransportFailure(HttpError):
    """No answer: connection refused or reset, TLS failure, timeout, deadline exceeded."""

    retryable = True


class ResponseTooLarge(HttpError):
    """The answer's body exceeded the cap."""


class PeerPolicy(Protocol):
    """What the client needs of federation.policy.FederationPolicy."""

    def allow(self, domain: str) -> bool: ...

    def peer(self, domain: str) -> Peer | None: ...


@dataclass(frozen=True)
class Signer:
    """Who signs a request: an actor's key id and private key."""

    key_id: str
    private_key_pem: str


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def is_public_address(ip: IPAddress) -> bool:
    """Whether `ip` is a globally routable unicast address (not loopback, private, link-local, …)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public_address(embedded)
    return bool(
        ip.is_global
        and not (ip.is_multicast or ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_reserved)
        and not ip.is_unspecified
    )


def _parse_address(address: str, default_port: int) -> tuple[str, int]:
    """`10.0.0.5:8443` → ("10.0.0.5", 8443); `10.0.0.5` → (…, default_port); `[::1]:8443` too."""
    host, port = split_domain(address.strip())
    return host, port if port is not None else default_port


class _Stream(httpcore.AsyncNetworkStream):
    """A dialled stream whose raw socket is looked up once.

    httpcore asks every pooled connection whether its socket is readable (closed by the peer) each
    time it assigns a request; through anyio each question rebuilt the stream's attribute table
    (about 6 % of a key-cache-miss inbox request). Same answer, from the socket kept here.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        if info == "socket" and self._socket is not None:
            return self._socket
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the address of every new connection, then dials exactly that address."""

    def __init__(self, policy: PeerPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    def _peer(self, host: str, port: int) -> Peer | None:
        display = f"[{host}]" if ":" in host else host
        found = self._policy.peer(f"{display}:{port}")
        if found is None and port in (80, 443):
            found = self._policy.peer(display)
        return None if found is None or found.suspended else found

    async def _targets(self, host: str, port: int) -> list[tuple[str, int]]:
        peer = self._peer(host, port)
        pinned = peer.pinned_address if peer is not None else None
        if pinned is not None:
            # Configured for this exact peer by the operator: dial it whatever its range.
            target_host, target_port = _parse_address(pinned, port)
            addresses = await _resolve(target_host, target_port)
            if not addresses:
                raise BlockedAddress(f"the configured address of {host} does not resolve")
            return [(str(ip), target_port) for ip in addresses]
        addresses = await _resolve(host, port)
        networks = peer.cidrs if peer is not None else ()
        allowed = [ip for ip in addresses if is_public_address(ip) or any(ip in net for net in networks)]
        if not allowed:
            raise BlockedAddress(f"{host} resolves only to addresses we do not connect to")
        return [(str(ip), port) for ip in allowed]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address, target_port in await self._targets(host, port):
            try:
                return _Stream(await self._inner.connect_tcp(address, target_port, timeout, local_address,
                                                             socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are never dialled")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
    found: list[IPAddress] = []
    for info in infos:
        try:
            ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        except ValueError:
            continue
        if ip not in found:
            found.append(ip)
    return found


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: typing.AsyncIterable[bytes], on_close: typing.Callable[[], None]) -> None:
        self._stream = stream
        self._on_close = on_close
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except httpcore.TimeoutException as error:
            raise httpx.ReadTimeout(str(error)) from error
        except httpcore.NetworkError as error:
            raise httpx.ReadError(str(error)) from error
        except httpcore.ProtocolError as error:
            raise httpx.RemoteProtocolError(str(error)) from error

    async def aclose(self) -> None:
        try:
            closer = getattr(self._stream, "aclose", None)
            if closer is not None:
                await closer()
        finally:
            if not self._closed:
                self._closed = True
                self._on_close()


_Origin = tuple[bytes, bytes, int | None]


class _GuardedTransport(httpx.AsyncBaseTransport):
    """httpx's transport contract over one small httpcore pool per host, dialling through the guard.

    One pool per host, not one for all: httpcore scans every connection of a pool for each
    request, which made a fan-out to a thousand hosts quadratic; and a slow host can only tie
    up its own few connections, never everyone's (no head-of-line blocking).
    """

    def __init__(
        self,
        policy: PeerPolicy,
        ssl_context: ssl.SSLContext,
        *,
        per_host: int = 8,
        max_pools: int = 512,
        inner_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._ssl_context = ssl_context
        self._backend = _GuardedBackend(policy, inner_backend)
        self._per_host = per_host
        self._max_pools = max_pools
        self._pools: OrderedDict[_Origin, httpcore.AsyncConnectionPool] = OrderedDict()
        self._busy: Counter[_Origin] = Counter()

    def _pool(self, origin: _Origin) -> httpcore.AsyncConnectionPool:
        pool = self._pools.get(origin)
        if pool is None:
            pool = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl_context,
                max_connections=self._per_host,
                max_keepalive_connections=self._per_host,
                keepalive_expiry=30.0,
                network_backend=self._backend,
            )
            self._pools[origin] = pool
        self._pools.move_to_end(origin)
        return pool

    async def _evict(self) -> None:
        """Close the least recently used pools with nothing in flight, down to `max_pools`."""
        excess = len(self._pools) - self._max_pools
        victims = []
        # Chosen and removed without awaiting, so concurrent requests never pick the same pool.
        for origin in list(self._pools):
            if excess <= 0:
                break
            if self._busy[origin] == 0:
                victims.append(self._pools.pop(origin))
                del self._busy[origin]
                excess -= 1
        for pool in victims:
            await pool.aclose()

    def _release(self, origin: _Origin) -> None:
        self._busy[origin] -= 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        if len(self._pools) >= self._max_pools:
            await self._evict()
        pool = self._pool(origin)
        self._busy[origin] += 1
        try:
            response = await pool.handle_async_request(core_request)
        except httpcore.TimeoutException as error:
            self._release(origin)
            raise httpx.TimeoutException(str(error)) from error
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as error:
            self._release(origin)
            raise httpx.TransportError(str(error)) from error
        except BaseException:
            self._release(origin)
            raise
        assert isinstance(response.stream, typing.AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream, lambda: self._release(origin)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()


def make_ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """The system trust store, plus the company CA when configured."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _dialled_domains(url: httpx.URL) -> set[str]:
    """`host[:port]` as httpx will dial it, spelled as policy.domain_of spells domains (IDNA or not)."""
    port = f":{url.port}" if url.port is not None else ""
    names = {url.host, url.raw_host.decode("ascii", "replace")}
    return {(f"[{name}]" if ":" in name else name).lower().rstrip(".") + port for name in names}


class HttpClient:
    """Guarded, bounded, optionally signed HTTP requests to other instances."""

    def __init__(
        self,
        policy: PeerPolicy,
        *,
        ca_file: str | None = None,
        user_agent: str = "Atrium",
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        per_host_connections: int = 8,
        max_pools: int = 512,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.user_agent = user_agent
        self.deadline = deadline
        self.max_bytes = max_bytes
        transport = _GuardedTransport(
            policy, make_ssl_context(ca_file), per_host=per_host_connections, max_pools=max_pools,
            inner_backend=network_backend,
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=deadline),
            follow_redirects=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def check_url(self, url: str) -> str:
        """The domain of `url` if we may send to it; RequestRefused otherwise."""
        domain = domain_of(url)
        if not domain:
            raise RequestRefused(f"not an absolute http(s) URL: {url[:200]!r}")
        if not self.policy.allow(domain):
            raise RequestRefused(f"{domain} is not a host this instance federates with")
        try:
            dialled = _dialled_domains(httpx.URL(url))
        except (httpx.InvalidURL, ValueError):
            # e.g. `http://0177.0.0.1/`: ours parses it, httpx does not; refuse rather than crash.
            raise RequestRefused(f"not a valid URL: {url[:200]!r}") from None
        if domain not in dialled:
            # The host we checked must be the host httpx connects to: `http://peer\@elsewhere/`
            # reads as one host to one parser and another to the other (SECURITY-CASES 1, 19).
            raise RequestRefused(f"{url[:200]!r} does not name one host unambiguously")
        return domain

    async def get(
        self,
        url: str,
        *,
        accept: str,
        signer: Signer | None = None,
        max_bytes: int | None = None,
        deadline: float | None = None,
        max_redirects: int = 3,
    ) -> HttpResponse:
        """GET `url` (signed when `signer` is given), following at most `max_redirects` allowed redirects."""
        for _ in range(max_redirects + 1):
            headers = {"Accept": accept}
            response = await self._send("GET", url, headers, None, signer, max_bytes, deadline)
            location = response.headers.get("location")
            if response.status in (301, 302, 303, 307, 308) and location:
                # Each hop is checked again: allowed host, allowed address (SECURITY-CASES 20).
                url = urljoin(url, location)
                continue
            return response
        raise RequestRefused(f"too many redirects fetching {url[:200]}")

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        signer: Signer | None = None,
        deadline: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """POST `body`; a redirect answer is returned as is, never followed (a signed POST is not replayed)."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        return await self._send("POST", url, all_headers, body, signer, 64 * 1024, deadline)

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        signer: Signer | None,
        max_bytes: int | None,
        deadline: float | None,
    ) -> HttpResponse:
        self.check_url(url)
        headers = {"User-Agent": self.user_agent, **headers}
        if signer is not None:
            # Sets Host too: httpx then sends exactly the value that was signed.
            headers = await asyncio.get_running_loop().run_in_executor(
                _SIGNING, sign_request, method, url, headers, body, signer.key_id, signer.private_key_pem)
        limit = self.max_bytes if max_bytes is None else max_bytes
        try:
            async with asyncio.timeout(self.deadline if deadline is None else deadline):
                return await self._exchange(method, url, headers, body, limit)
        except TimeoutError:
            raise TransportFailure(f"{method} {url[:200]}: no complete answer before the deadline") from None
        except httpx.HTTPError as error:
            raise TransportFailure(f"{method} {url[:200]}: {type(error).__name__}: {error}") from None
        except ssl.SSLError as error:
            raise TransportFailure(f"{method} {url[:200]}: TLS: {error}") from None
        except OSError as error:
            raise TransportFailure(f"{method} {url[:200]}: {error}") from None

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, limit: int
    ) -> HttpResponse:
        async with self._client.stream(method, url, headers=headers, content=body) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(f"{url[:200]} announces {declared} bytes, more than {limit}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(f"{url[:200]} sent more than {limit} bytes")
                chunks.append(chunk)
            return HttpResponse(response.status_code, response.headers, b"".join(chunks), str(response.url))
