"""Token, Host and Origin checks for a local API (ASGI middleware).

* Every route except ``/health`` and the sidebar page (static HTML, no call data) needs
  the token: ``Authorization: Bearer <token>`` or the ``langassist_token`` cookie. The
  sidebar gets the cookie without the token ever being in a URL: the agent pastes the
  token once, the page POSTs it to ``/v1/session`` (JSON body), which sets the cookie
  ``HttpOnly; SameSite=Strict`` (scripts cannot read it; the page's WebSockets and
  requests carry it). A token in a query string is ignored, never accepted.
* A cookie-authenticated request that changes state (not GET/HEAD) must come from an
  allowed Origin and not be ``Sec-Fetch-Site: cross-site`` (CSRF: another page on
  127.0.0.1 is "same site" to the browser, so SameSite alone is not enough).
* Host must be a loopback name (DNS-rebinding defence) unless listed in ``allowed_hosts``.
* A WebSocket handshake with an ``Origin`` header must come from an allowed origin
  (the same loopback host and port, or one listed); ``null`` and foreign origins are
  refused with close code 4403 before accept (HTTP 403 on the wire). An absent Origin
  (non-browser ingress) is allowed with a valid token.
* ``/v1/twilio`` may defer the token to ``start.customParameters.token`` (Twilio cannot
  send headers); the handler then checks it before any audio is used. With a Twilio auth
  token configured, the handshake must also carry Twilio's ``X-Twilio-Signature`` for the
  stream URL (:func:`twilio_signature_valid`), or it is refused before accept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

COOKIE_NAME = "langassist_token"
OPEN_PATHS = frozenset({"/health", "/sidebar"})
LOGIN_PATH = "/v1/session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFERRED_WS_PATHS = frozenset({"/v1/twilio"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
CLOSE_FORBIDDEN = 4403
CLOSE_UNAUTHORIZED = 4401

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = [
    "COOKIE_NAME", "LOGIN_PATH", "OPEN_PATHS", "SecurityMiddleware", "token_matches",
    "twilio_signature", "twilio_signature_valid", "twilio_stream_url",
]


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison; ``None`` never matches."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def twilio_signature(auth_token: str, url: str) -> str:
    """Twilio's request signature for a URL with no POST parameters (a Media Streams
    WebSocket handshake): base64 of HMAC-SHA1 over the full URL, keyed by the auth token."""
    digest = hmac.new(auth_token.encode("utf-8"), url.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def twilio_signature_valid(auth_token: str, url: str, given: str | None) -> bool:
    """Whether ``given`` (the ``X-Twilio-Signature`` header) signs ``url``; constant time."""
    return token_matches(twilio_signature(auth_token, url), given)


def twilio_stream_url(scope: Scope, configured: str = "") -> str:
    """The URL Twilio signed: ``configured`` (``live.twilio_stream_url``, the ``<Stream
    url=...>`` of the TwiML, for a server behind a proxy) or ``wss://`` + the Host header
    + the path; the request's query string is appended either way when there is one."""
    query = scope.get("query_string", b"").decode("latin-1")
    if configured:
        base = configured
    else:
        host = _headers(scope).get("host", "")
        base = f"wss://{host}{scope.get('path', '')}"
    return f"{base}?{query}" if query and "?" not in base else base


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        out.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    return out


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _bearer(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def presented_token(headers: dict[str, str]) -> str | None:
    bearer = _bearer(headers)
    if bearer is not None:
        return bearer
    cookie_header = headers.get("cookie")
    if cookie_header:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(cookie_header)
        except Exception:  # noqa: BLE001 - a malformed cookie header is just "no token"
            return None
        if COOKIE_NAME in cookie:
            return cookie[COOKIE_NAME].value
    return None


class SecurityMiddleware:
    """Pure ASGI middleware (works for HTTP and WebSocket scopes)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        allowed_hosts: Iterable[str] = (),
        allowed_origins: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = LOCAL_HOSTS | {h.lower() for h in allowed_hosts}
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins}

    def host_ok(self, headers: dict[str, str]) -> bool:
        return _host_name(headers.get("host", "")) in self.allowed_hosts

    def origin_ok(self, headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True
        origin = origin.strip().rstrip("/").lower()
        if origin in self.allowed_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            return False  # includes "null"
        return parts.netloc == headers.get("host", "").lower() and _host_name(parts.netloc) in LOCAL_HOSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path = scope.get("path", "")
        authed = token_matches(self.token, presented_token(headers))
        if kind == "websocket":
            if not self.host_ok(headers) or not self.origin_ok(headers):
                await _refuse_ws(receive, send, CLOSE_FORBIDDEN)
                return
            if not authed and path not in DEFERRED_WS_PATHS:
                await _refuse_ws(receive, send, CLOSE_UNAUTHORIZED)
                return
            scope.setdefault("state", {})["authenticated"] = authed
            await self.app(scope, receive, send)
            return
        if not self.host_ok(headers):
            await _http_error(send, 403, "forbidden host")
            return
        browser_write = scope.get("method", "GET") not in SAFE_METHODS and not _bearer(headers)
        if browser_write and (not self.origin_ok(headers) or headers.get("sec-fetch-site") == "cross-site"):
            await _http_error(send, 403, "forbidden origin")
            return
        login = path == LOGIN_PATH and scope.get("method") == "POST"  # the login route checks its body
        if path in OPEN_PATHS or authed or login:
            await self.app(scope, receive, send)
            return
        await _http_error(send, 401, "token required", {"www-authenticate": "Bearer"})


async def _refuse_ws(receive: Receive, send: Send, code: int) -> None:
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": code, "reason": ""})


async def _http_error(send: Send, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
