"""Host stage: the mock answers only to the names it is reached by, and never redirects by Host.

A web page on another site can make the developer's browser send requests to the mock, and,
by DNS rebinding (the page's own host name re-pointed at 127.0.0.1), read the answers as if it
were the mock's own origin. Such requests carry the attacker's name in `Host`, so a Host that
is not one of the mock's names is refused with a 400 before anything else runs.
The names are the loopback ones, the bound address, the machine's names when bound to every
interface, and `--allowed-host` (`*` lets any name in).

Nor does the mock build any redirect from `Host` (as Starlette's trailing-slash redirect would,
`http://<Host>/...`): it has no router that redirects.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from .envelope import ApiError

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
TEST_CLIENT_HOST = "testserver"  # the name Starlette's and connexion's test clients send
ANY_INTERFACE = ("0.0.0.0", "::", "")
MAX_ACCEPTED = 1024  # Host values remembered as allowed (a name on each port it is reached by)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def names_for_bind(host: str) -> tuple[str, ...]:
    """The names a mock bound to `host` is reached by."""
    names = [*LOOPBACK_HOSTS, host]
    if host in ANY_INTERFACE:
        machine = socket.gethostname()
        names += [machine, socket.getfqdn()]
        try:
            names += [info[4][0] for info in socket.getaddrinfo(machine, None)]
        except OSError:
            pass
    return tuple(dict.fromkeys(name.lower() for name in names if name))


def host_name(header: str) -> str:
    """`example.com:8080` -> `example.com`, `[::1]:8080` -> `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostMiddleware:
    def __init__(self, app: ASGIApp, *, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(name.lower() for name in allowed)
        self.any_host = "*" in self.allowed
        self.accepted: set[bytes] = set()  # Host values seen and allowed, as sent: checked by one lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.any_host:
            self.check(scope)
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> None:
        for name, value in scope["headers"]:
            if name == b"host":
                if value in self.accepted:
                    return
                host = host_name(value.decode("latin-1"))
                if host not in self.allowed:
                    shown = host if host.isprintable() and len(host) <= 100 else repr(host[:100])
                    raise ApiError(400, f"Host {shown!r} is not a name of this mock; if it should be, "
                                                  f"start it with --allowed-host {shown}.")
                if len(self.accepted) < MAX_ACCEPTED:  # the names allowed, on any port: bounded all the same
                    self.accepted.add(value)
                return
