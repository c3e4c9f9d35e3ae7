"""HTTP between the casino and its providers: always real requests, even when the provider is
the demo one served by this very process (seed 003: "all cross-domain communication happens
through HTTP").

Tests (and anyone embedding the app) route those requests through the app itself by putting an
httpx transport in ``app.state.provider_http_transport``, e.g. ``httpx.ASGITransport(app=app)``.
"""

from __future__ import annotations

from typing import Any

import httpx

TRANSPORT_STATE = "provider_http_transport"
# A simulated round is a dozen callbacks; a launch is one. Neither should hang a request.
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - recognised, never bound


def provider_http_client(
    app: Any, server: tuple[str, int | None] | None = None
) -> httpx.AsyncClient:
    """A client whose relative URLs reach this server.

    ``server`` is the request's local socket address (ASGI ``scope["server"]``): the address
    this worker really listens on, which the settings may not know when the port came from a
    command-line option. Without it, the configured host and port are used.
    """
    transport = getattr(app.state, TRANSPORT_STATE, None)
    if transport is not None:
        return httpx.AsyncClient(transport=transport, base_url="http://croupier", timeout=TIMEOUT)
    settings = app.state.settings
    host, port = server if server and server[1] else (settings.host, settings.port)
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=TIMEOUT)
