"""Static files with a content hash in their URL, cached for a year; everything else revalidates.

Pages name our own CSS and script files through `asset("/static/ct.css")`, which adds
`?v=<hash of the file>`. A request whose `v` matches the file as it is now may be cached for
good (`immutable`): a changed file gets a new URL. Files asked for without it (or with an old
one), such as the modules a script imports, are sent with `no-cache`, so the browser checks
its copy (ETag and Last-Modified) before using it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB = Path(__file__).resolve().parent
# URL prefix -> the folder it is served from (mounted in web/app.py).
FOLDERS = {"/static/": WEB / "public" / "static", "/assets/": WEB / "static"}
FOREVER = "public, max-age=31536000, immutable"
# Mermaid's chunks are named by esbuild with a hash of their content ("chunk-7WIW2FYK.mjs"),
# so a changed chunk is a new file: they may be kept for good as they are.
BUNDLER_HASHED = re.compile(r"^mermaid/chunks/.+-[A-Z0-9]{8}\.mjs$")
REVALIDATE = "no-cache"

_lock = threading.Lock()
_hashes: dict[Path, tuple[float, str]] = {}


def content_hash(file: Path) -> str:
    """The first 12 hex digits of the file's SHA-256, recomputed only when it changes."""
    mtime = file.stat().st_mtime
    with _lock:
        known = _hashes.get(file)
    if known is not None and known[0] == mtime:
        return known[1]
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[file] = (mtime, digest)
    return digest


def asset(url: str) -> str:
    """The URL of one of our static files with its content hash (for templates)."""
    for prefix, folder in FOLDERS.items():
        if url.startswith(prefix):
            file = folder / url.removeprefix(prefix)
            try:
                return f"{url}?v={content_hash(file)}"
            except OSError:
                return url  # not installed (e.g. assets not built): the plain URL still works
    return url


class FingerprintedStaticFiles(StaticFiles):
    """StaticFiles that says how long a file may be cached, by whether its URL is hashed."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code not in (200, 304):
            return response
        response.headers["cache-control"] = REVALIDATE
        if BUNDLER_HASHED.match(path.replace("\\", "/")):
            response.headers["cache-control"] = FOREVER
            return response
        wanted = _query_value(scope, b"v")
        if wanted and self.directory is not None:
            file = Path(self.directory) / path
            try:
                if wanted == content_hash(file):
                    response.headers["cache-control"] = FOREVER
            except OSError:
                pass
        return response


def _query_value(scope: Scope, name: bytes) -> str:
    for pair in scope.get("query_string", b"").split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == name:
            return value.decode("ascii", "replace")
    return ""
