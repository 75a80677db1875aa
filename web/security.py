"""Request-level protections: body size cap, security headers, CSRF, cookies, rate limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, Signer
from limits import RateLimitItem, parse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.clock import Clock

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
    # API answers carry personal data (cases, parties, status links): no cache keeps them.
    (b"cache-control", b"no-store"),
]
# The pages: no inline script or style at all (the GOV.UK "js-enabled" snippet is a file),
# forms post only here, and nothing may frame them. no-referrer keeps status links private.
PAGE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# The one exception, on the staff process page only: Mermaid (run from our own files, so
# scripts stay 'self') draws the workflow as an SVG carrying its own <style> element and
# style="" attributes, which it also inserts while measuring text. Hashes cannot cover them
# (they vary with the diagram and the measurements; style attributes would need
# 'unsafe-hashes' and one hash each), so this page alone allows inline styles, and nothing
# more. It shows only the workflow definition from our code, never text a user entered, so
# there is nothing for injected CSS to read or restyle.
DIAGRAM_PAGES = frozenset({"/staff/process"})
DIAGRAM_PAGE_HEADERS = [
    (
        name,
        value.replace(b"style-src 'self';", b"style-src 'self' 'unsafe-inline';")
        if name == b"content-security-policy"
        else value,
    )
    for name, value in PAGE_HEADERS
]


# The API reference page (Swagger UI from our own files): its icons are data: images.
API_DOCS_PAGES = frozenset({"/api/v1/docs"})
API_DOCS_HEADERS = [
    (
        name,
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"frame-ancestors 'none'"
        if name == b"content-security-policy"
        else value,
    )
    for name, value in SECURITY_HEADERS
]


def headers_for(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The API keeps its headers; pages get the stricter set; HSTS only over TLS."""
    path = scope.get("path", "")
    if path in API_DOCS_PAGES:
        chosen = API_DOCS_HEADERS
    elif path.startswith("/api/"):
        chosen = SECURITY_HEADERS
    elif path in DIAGRAM_PAGES:
        chosen = DIAGRAM_PAGE_HEADERS
    else:
        chosen = PAGE_HEADERS
    return [*chosen, HSTS] if scope.get("scheme") == "https" else chosen


class BodyLimitAndHeaders:
    """Refuses bodies over the limit with 413 (before the app reads them) and adds headers."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _header_bytes(scope) > MAX_HEADER_BYTES:
            await _refuse(send, 431, "Request headers too large", "The headers are too large.")
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return
        await self.app(scope, self._counting(receive), self._with_headers(send, scope))

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise BodyTooLarge()
            return message

        return wrapped

    @staticmethod
    def _with_headers(send: Send, scope: Scope) -> Send:
        extra = headers_for(scope)

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + extra
            await send(message)

        return wrapped


class BodyTooLarge(HTTPException):
    """Raised while a chunked body is read; an HTTPException so FastAPI passes it on."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="Request too large")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# The request line and headers together: browsers send a few KB, nothing here needs more.
# uvicorn's own cap (web/server.py) only bites when headers arrive in pieces.
MAX_HEADER_BYTES = 16 * 1024


def _header_bytes(scope: Scope) -> int:
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    return size + sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))


async def _too_large(send: Send, limit: int) -> None:
    await _refuse(send, 413, "Request too large", f"The body is larger than {limit} bytes.")


async def _refuse(send: Send, status: int, title: str, detail: str) -> None:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "field": "body" if status == 413 else "headers",
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# --- the browser's cookie and CSRF ---------------------------------------------------------

COOKIE = "ct_session"
CSRF_FIELD = "csrf_token"


class CsrfFailed(Exception):
    """The form did not come from our page in this browser (or cookies are off)."""


@dataclass
class Browser:
    """The random values in the browser's cookie: `token` keys its saved answers (and is
    replaced at the first save), `seed` keys its CSRF token (so forms already open in
    another tab stay valid when the token is replaced)."""

    token: str
    is_new: bool
    secure: bool
    seed: str = ""


def _secure(request: Request) -> bool:
    forced = request.app.state.settings.cookie_secure
    return request.url.scheme == "https" if forced is None else bool(forced)


def cookie_name(secure: bool) -> str:
    # __Host- cookies cannot be set by a subdomain or for another path (no cookie tossing).
    return f"__Host-{COOKIE}" if secure else COOKIE


def _signer(request: Request) -> Signer:
    return Signer(request.app.state.secret_key, salt="ct-browser")


def browser(request: Request) -> Browser:
    """This browser's token, minting one (sent with the response) on its first visit.

    The cookie carries the token signed with the app's secret: a value the server did not
    issue (a planted or made-up cookie) is ignored and a new token minted instead.
    """
    found: Browser | None = getattr(request.state, "browser", None)
    if found is None:
        secure = _secure(request)
        value = _unsigned(request, request.cookies.get(cookie_name(secure), ""))
        seed, _, token = value.partition(".")
        if len(token) != 43 or len(seed) != 43:
            found = Browser(_random(), True, secure, _random())
        else:
            found = Browser(token, False, secure, seed)
        request.state.browser = found
    return found


def _random() -> str:
    return secrets.token_urlsafe(32)


def _unsigned(request: Request, value: str) -> str:
    if len(value) > 200:
        return ""
    try:
        return _signer(request).unsign(value).decode()
    except BadSignature:
        return ""


def rotate_browser(request: Request) -> Browser:
    """A new answers token for this browser (its first save), keeping its CSRF seed."""
    old = browser(request)
    request.state.browser = Browser(_random(), True, old.secure, old.seed)
    return request.state.browser  # type: ignore[no-any-return]


def forget_browser(request: Request) -> Browser:
    """Start afresh with a new token (after sending an application)."""
    request.state.browser = Browser(_random(), True, _secure(request), _random())
    return request.state.browser  # type: ignore[no-any-return]


def set_browser_cookie(request: Request, response: Response) -> None:
    found: Browser | None = getattr(request.state, "browser", None)
    if found is not None and found.is_new:
        response.set_cookie(
            cookie_name(found.secure),
            _signer(request).sign(f"{found.seed}.{found.token}").decode(),
            path="/",
            secure=found.secure,
            httponly=True,
            samesite="lax",
        )


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry: a MAC of its cookie under the app's secret."""
    key: bytes = request.app.state.secret_key
    digest = hmac.new(key, b"csrf:" + browser(request).seed.encode(), hashlib.sha256)
    return digest.hexdigest()


# The part of the token a page carries: 128 bits, under a mask of the same length, so a
# masked token is 64 hex digits like the plain one was.
_CSRF_BYTES = 16


def masked_csrf_token(request: Request) -> str:
    """The CSRF token as a page carries it: under a fresh random mask each time, so pages
    that are compressed (GZip) never repeat the same secret bytes (the BREACH attack
    guesses a repeated secret from compressed sizes). Mask, then token XOR mask, in hex."""
    real = bytes.fromhex(csrf_token(request))[:_CSRF_BYTES]
    mask = secrets.token_bytes(_CSRF_BYTES)
    return (mask + bytes(a ^ b for a, b in zip(real, mask, strict=True))).hex()


def _unmasked(sent: str) -> str:
    try:
        raw = bytes.fromhex(sent)
    except ValueError:
        return ""
    if len(raw) != 2 * _CSRF_BYTES:
        return ""
    mask, masked = raw[:_CSRF_BYTES], raw[_CSRF_BYTES:]
    return bytes(a ^ b for a, b in zip(masked, mask, strict=True)).hex()


async def checked_form(request: Request) -> FormData:
    """The posted form, refused unless it carries this browser's CSRF token (masked)."""
    found = browser(request)
    form = await request.form()
    if any(not isinstance(value, str) for _, value in form.multi_items()):
        # No form here takes a file: a text field sent as one is refused, not stringified.
        await form.close()
        raise HTTPException(status_code=400, detail="A field was sent as a file.")
    # The mask taken off (a token that is not hex of the right length unmasks to nothing).
    sent = _unmasked(str(form.get(CSRF_FIELD, "")))
    expected = csrf_token(request)[: 2 * _CSRF_BYTES]
    if found.is_new or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()
    return form


# --- rate limits ------------------------------------------------------------------------


class TooManyRequests(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} seconds")
        self.retry_after = retry_after


class RateLimits:
    """Moving-window limits per client address, kept in this process's memory.

    Each (limit, client) keeps the times of its hits inside the window, oldest first; old
    hits are dropped when the client comes back, and clients gone quiet are forgotten every
    few thousand hits. No timer thread: the `limits` package's memory storage started a
    thread every 10 ms under steady traffic to expire entries, which cost every request.
    """

    SWEEP_EVERY = 4096

    def __init__(self, rules: dict[str, str], *, clock: Clock) -> None:
        self._rules: dict[str, RateLimitItem] = {k: parse(v) for k, v in rules.items()}
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def hit(self, name: str, client: str) -> None:
        """Count one use; raise TooManyRequests once the client is over the limit."""
        rule = self._rules[name]
        window = rule.get_expiry()
        now = self._clock.now().timestamp()
        with self._lock:
            hits = self._hits.setdefault((name, client), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= rule.amount:
                raise TooManyRequests(window)
            hits.append(now)
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._since_sweep = 0
                self._forget_quiet(now)

    def _forget_quiet(self, now: float) -> None:
        quiet = [
            key
            for key, hits in self._hits.items()
            if not hits or hits[-1] <= now - self._rules[key[0]].get_expiry()
        ]
        for key in quiet:
            del self._hits[key]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limited(name: str) -> Any:
    """A dependency that counts the request against the named limit."""

    # Async: counting in memory is quick, and a sync dependency would cost a trip to the
    # thread pool on every request.
    async def check(request: Request) -> None:
        request.app.state.rate_limits.hit(name, client_address(request))

    return check


# --- the staff session cookie ---------------------------------------------------------------

STAFF_COOKIE = "ct_staff"


class SignInRequired(Exception):
    """A staff page was asked for without a signed-in session: send the browser to sign in."""


def staff_cookie_name(request: Request) -> str:
    return f"__Host-{STAFF_COOKIE}" if _secure(request) else STAFF_COOKIE


def staff_token(request: Request) -> str:
    return request.cookies.get(staff_cookie_name(request), "")


def set_staff_cookie(request: Request, response: Response, token: str) -> None:
    # No max-age: the cookie ends with the browser; the server ends the session sooner.
    response.set_cookie(
        staff_cookie_name(request),
        token,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def clear_staff_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        staff_cookie_name(request), path="/", secure=_secure(request), httponly=True
    )
