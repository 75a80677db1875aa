"""The API reference page loads only local files and has no inline script (hole 10)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.S)
SOURCES = re.compile(r'(?:src|href)="([^"]+)"')


def test_the_api_docs_page_uses_local_files_and_no_inline_script(client: Any) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "default-src 'self'" in policy
    scripts = SCRIPT.findall(page.text)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    for source in SOURCES.findall(page.text):
        assert source.startswith("/"), source  # nothing from another site
        assert client.get(source).status_code == 200, source
