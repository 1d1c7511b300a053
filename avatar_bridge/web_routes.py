"""The web pages the bridge serves: the kiosk (`/kiosk`), the chat widget (`/widget.js`, demo `/chat`).

Everything is static and served from this process (no CDN, no build step):
plain ES modules under `avatar_bridge/web/`, the pinned npm packages the pages
need from `node_modules/`, and one small JSON API with the knowledge base's
facts about a service (window, zone, time, fee and a QR code drawn here with
`segno`), which the cards show next to the topic the guide answered.

Static files carry `Access-Control-Allow-Origin: *` because the widget is
embedded in other sites' pages and loads its modules from here.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import segno
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

_LOG = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent / "web"
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
RASA_WEBCHAT = NODE_MODULES / "rasa-webchat" / "lib" / "index.js"
# rasa-webchat's bundled CSS imports a web font from outside; offline kiosks and halls must not call out.
FONT_IMPORT = re.compile(r"@import url\(https://fonts\.googleapis\.com/[^)]*\);?")
CORS_PREFIXES = ("/static/", "/widget.js", "/api/", "/vendor/")


def service_page_url(website: str | None, service_id: str) -> str:
    """The service's page in the city app / website, which the card's QR code opens on a phone."""
    base = (website or "https://service.example.gov").rstrip("/")
    return f"{base}/services/{service_id}"


def qr_svg(url: str) -> str:
    """A QR code as inline SVG (dark modules on white, with the quiet zone) for a card."""
    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", border=2)


@functools.cache
def _knowledge_base(kb_dir: str | None = None):
    """The knowledge base the action server answers from (LOBBY_KB_DIR / --kb-dir), loaded once."""
    from kb import load_knowledge_base

    return load_knowledge_base(kb_dir)


def service_facts(service_id: str, kb_dir: str | None = None) -> dict[str, Any]:
    """What a kiosk card shows about one service besides the answered topic; KeyError if unknown."""
    kb = _knowledge_base(kb_dir)
    service = kb.services[service_id]
    zone = next((z for z in kb.hall.zones if z.id == service.location.zone), None)
    url = service_page_url(kb.hall.website, service.id)
    return {
        "service_id": service.id,
        "service_name": service.name,
        "location": service.location.model_dump(),
        "zone_name": zone.name if zone else None,
        "processing_time": service.processing_time,
        "fee": service.fee.model_dump() if service.fee else None,
        "materials": [m.model_dump() for m in service.materials or []],
        "appointment_required": service.appointment_required,
        "city_app": kb.hall.city_app,
        "page_url": url,
        "qr_svg": qr_svg(url),
    }


@functools.cache
def _rasa_webchat() -> bytes:
    text = RASA_WEBCHAT.read_text(encoding="utf-8")
    return FONT_IMPORT.sub("", text).encode("utf-8")


def mount_web(app: FastAPI, web_dir: Path = WEB_DIR, kb_dir: str | None = None) -> None:
    """Add the kiosk page, the widget and their static files to the bridge's app."""

    @app.middleware("http")
    async def _cors_for_embeds(request: Request, call_next):
        response = await call_next(request)
        if request.url.path.startswith(CORS_PREFIXES):
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.get("/kiosk", include_in_schema=False)
    async def kiosk():
        return FileResponse(web_dir / "kiosk.html", media_type="text/html")

    @app.get("/chat", include_in_schema=False)
    async def chat():
        return FileResponse(web_dir / "chat.html", media_type="text/html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget():
        return FileResponse(web_dir / "widget.js", media_type="text/javascript")

    @app.get("/api/services/{service_id}")
    async def service(service_id: str):
        try:
            return service_facts(service_id, kb_dir)
        except KeyError:
            raise HTTPException(404, f"no service {service_id!r} in the knowledge base") from None

    @app.get("/vendor/rasa-webchat.js", include_in_schema=False)
    async def rasa_webchat():
        if not RASA_WEBCHAT.exists():
            _LOG.warning("rasa-webchat is not installed (%s): run `npm ci`", RASA_WEBCHAT)
            raise HTTPException(404, "rasa-webchat is not installed; run `npm ci` (make setup)")
        return Response(_rasa_webchat(), media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=web_dir), name="static")
