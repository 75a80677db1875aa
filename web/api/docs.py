"""The API reference page: Swagger UI served from our own files, with no inline script, so
it works under the same content security policy as everything else."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()

PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>ctengine API v1</title>
    <link rel="stylesheet" href="/assets/swagger-ui/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/assets/swagger-ui/swagger-ui-bundle.js"></script>
    <script src="/static/api-docs.js"></script>
  </body>
</html>
"""


@router.get("/api/v1/docs", include_in_schema=False)
async def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
