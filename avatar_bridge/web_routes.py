"""The web pages the bridge serves: the kiosk (`/kiosk`), the home page (`/lobby`), the chat widget
(`/widget.js`, demo `/chat`), and the pages web answers link to: a service's printable checklist
(`/checklist/{id}`) and the hall page with its floor plan (`/hall`).

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
import html
import io
import logging
import re
from pathlib import Path
from typing import Any

import segno
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from avatar_bridge.page_strings import days_text, fmt, strings
from booking_reference import ALPHABET

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
def _knowledge_base(kb_dir: str | None = None, lang: str | None = None):
    """The knowledge base the action server answers from (LOBBY_KB_DIR / --kb-dir), loaded once per language."""
    from kb import load_knowledge_base

    return load_knowledge_base(kb_dir, lang=lang)


def card_language(lang: str | None) -> str | None:
    """The knowledge-base language a card asks for (`?lang=zh`): None for the base language; ValueError, naming
    the languages offered, for one the guide does not offer (LOBBY_LANGUAGES)."""
    from kb.languages import BASE_LANGUAGE, enabled_languages

    if not lang or lang == BASE_LANGUAGE:
        return None
    offered = enabled_languages()
    if lang not in offered:
        raise ValueError(f"language {lang!r} is not offered; use one of {', '.join(offered)}")
    return lang


def service_facts(service_id: str, kb_dir: str | None = None, lang: str | None = None) -> dict[str, Any]:
    """What a kiosk card shows about one service besides the answered topic, in the card's language (names,
    zone name, processing time, fee notes, city app); KeyError if unknown, ValueError for a language not offered."""
    kb = _knowledge_base(kb_dir, card_language(lang))
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
        "online": service.online.model_dump() if service.online else None,
        "city_app": kb.hall.city_app,
        "page_url": url,
        "qr_svg": qr_svg(url),
    }


CHECKIN_PATH = re.compile(rf"^[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}$")  # the format references are issued in


def checkin_qr(reference: str, kb_dir: str | None = None) -> bytes:
    """The confirmation's QR code as an SVG document (an <img> needs the namespace `svg_inline` leaves out):
    the hall's check-in address for the reference, as actions/forms.py writes it."""
    if not CHECKIN_PATH.match(reference):
        raise ValueError(f"{reference!r} is not an appointment reference (like K7M-4PA)")
    website = _knowledge_base(kb_dir).hall.website
    code = segno.make(f"{website.rstrip('/')}/checkin/{reference}" if website else reference, error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, dark="#000", light="#fff", title=f"Check-in {reference}")
    return out.getvalue()


_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/static/css/common.css">
<link rel="stylesheet" href="/static/css/page.css"></head><body><main class="page">{body}</main></body></html>"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _page(title: str, body: str, lang: str | None) -> str:
    return _PAGE.format(lang="zh-CN" if lang == "zh" else lang or "en", title=_e(title), body=body)


def _query(lang: str | None) -> str:
    """`?lang=zh` for links between the pages in a language other than the base one."""
    return f"?lang={lang}" if lang else ""


def _hours(kb, t: dict[str, str]) -> str:
    """'Monday to Friday 09:00–17:00; Saturday 09:00–12:00' / '周一至周五 09:00–17:00；周六 09:00–12:00'."""
    return t["closedSep"].join(
        fmt(t["page_hoursLine"], days=days_text(t, h.days), open=h.open, close=h.close) for h in kb.hall.opening_hours
    )


def checklist_page(service_id: str, kb_dir: str | None = None, lang: str | None = None) -> str:
    """What to bring for one service, to print or save before the one visit (web answers link here), in the
    language of the card that linked it (`?lang=zh`); KeyError if unknown, ValueError for a language not offered."""
    lang = card_language(lang)
    kb = _knowledge_base(kb_dir, lang)
    t = strings(lang)
    s = kb.services[service_id]
    zone = next((z for z in kb.hall.zones if z.id == s.location.zone), None)
    items = (
        "".join(
            f'<li><label><input type="checkbox"> <strong>{_e(m.name)}</strong>'
            f"{_e(t['formSep'])}{_e(t.get(m.form, m.form))}"
            f"{_e(fmt(t['count'], count=m.count)) if m.count > 1 else ''}"
            f"{_e(fmt(t['notes'], notes=m.notes.rstrip('.。'))) if m.notes else ''}</label></li>"
            for m in s.materials or []
        )
        or f"<li>{_e(t['page_noDocuments'])}</li>"
    )
    where = fmt(t["page_where"], windows=t["listSep"].join(s.location.windows), zone=s.location.zone,
                zone_name=zone.name if zone else "", floor=s.location.floor)  # fmt: skip
    online = ""
    if s.online and s.online.fully_online:
        path = s.online.web_url or s.online.app_path
        online = f'<p class="online">{_e(fmt(t["page_fullyOnline"], where=path))}</p>'
    title = fmt(t["page_checklistTitle"], name=s.name)
    opening = fmt(t["page_open"], hours=_hours(kb, t))
    body = f"""<h1>{_e(title)}</h1>
<p>{_e(s.summary)}</p>{online}
<h2>{_e(t["page_checklist"])}</h2><ul class="checklist">{items}</ul>
<h2>{_e(t["page_whereWhen"])}</h2>
<p>{_e(where)}<br>{_e(kb.hall.name)}{_e(t["directionsSep"])}{_e(kb.hall.address)}<br>{_e(opening)}</p>
<p>{_e(t["page_appointmentRequired"] if s.appointment_required else t["page_appointmentOptional"])}
 {_e(fmt(t["page_hotline"], hotline=kb.hall.hotline))}</p>
<p class="no-print"><button type="button" onclick="window.print()">{_e(t["page_print"])}</button>
 <a href="/hall{_query(lang)}">{_e(t["hallMap"])}</a> · <a href="/lobby{_query(lang)}">{_e(t["page_back"])}</a></p>"""
    return _page(title, body, lang)


def _floor_plan(kb, floor: int, t: dict[str, str]) -> str:
    """A simple plan of one floor from the zones' positions in hall.yml (metres; entrance at the bottom)."""
    zones = [z for z in kb.hall.zones if z.floor == floor]
    shapes = "".join(
        f'<g><rect x="{z.position.x - 6}" y="{30 - z.position.y - 4}" width="12" height="8" rx="1" class="zone"/>'
        f'<text x="{z.position.x}" y="{30 - z.position.y + 1.2}" text-anchor="middle" class="zone-label">'
        f"{_e(fmt(t['page_zone'], zone=z.id))}</text></g>"
        for z in zones
    )
    entrance = (
        f'<text x="20" y="29.5" text-anchor="middle" class="entrance">{_e(t["page_entrance"])}</text>'
        if floor == 1
        else ""
    )
    label = fmt(t["page_planLabel"], floor=floor,
                zones=t["listSep"].join(fmt(t["page_planZone"], zone=z.id, name=z.name) for z in zones))  # fmt: skip
    return (
        f'<svg viewBox="0 0 40 30" role="img" aria-label="{_e(label)}" class="plan">'
        f'<rect x="0.5" y="0.5" width="39" height="29" class="floor"/>{shapes}{entrance}</svg>'
    )


def hall_page(kb_dir: str | None = None, lang: str | None = None) -> str:
    """The hall for a citizen at home: address, hours, and per floor its zones with their windows and plan,
    in the language of the card that linked it (`?lang=zh`)."""
    lang = card_language(lang)
    kb = _knowledge_base(kb_dir, lang)
    t = strings(lang)
    hall = kb.hall
    floors = sorted({z.floor for z in hall.zones})
    sections = "".join(
        f'<section id="floor-{f}"><h2>{_e(fmt(t["page_floor"], floor=f))}</h2>{_floor_plan(kb, f, t)}<ul>'
        + "".join(
            f'<li id="zone-{_e(z.id)}"><strong>{_e(fmt(t["page_zone"], zone=z.id))}</strong>{_e(t["colon"])}'
            f"{_e(fmt(t['page_zoneWindows'], name=z.name, first=z.windows[0], last=z.windows[-1]))}</li>"
            for z in hall.zones
            if z.floor == f
        )
        + "</ul></section>"
        for f in floors
    )
    body = f"""<h1>{_e(hall.name)}</h1>
<p>{_e(fmt(t["page_addressLine"], address=hall.address, hotline=hall.hotline))}</p>
<p>{_e(fmt(t["page_open"], hours=_hours(kb, t)))}</p>
<p>{_e(fmt(t["page_desks"], floor=hall.help_desk.floor))}</p>
{sections}
<p class="no-print"><a href="/lobby{_query(lang)}">{_e(t["page_back"])}</a></p>"""
    return _page(hall.name, body, lang)


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

    @app.get("/lobby", include_in_schema=False)
    async def lobby():
        # The same page as the kiosk, in its home mode (kiosk.js: no kiosk position, links, microphone consent).
        return FileResponse(web_dir / "kiosk.html", media_type="text/html")

    @app.get("/checklist/{service_id}", include_in_schema=False)
    async def checklist(service_id: str, lang: str | None = None):
        try:
            return Response(checklist_page(service_id, kb_dir, lang), media_type="text/html")
        except KeyError:
            raise HTTPException(404, f"no service {service_id!r} in the knowledge base") from None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.get("/hall", include_in_schema=False)
    async def hall(lang: str | None = None):
        try:
            return Response(hall_page(kb_dir, lang), media_type="text/html")
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.get("/api/appointments/{reference}/qr.svg")
    async def appointment_qr(reference: str):
        try:
            return Response(checkin_qr(reference, kb_dir), media_type="image/svg+xml")
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.get("/chat", include_in_schema=False)
    async def chat():
        return FileResponse(web_dir / "chat.html", media_type="text/html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget():
        return FileResponse(web_dir / "widget.js", media_type="text/javascript")

    @app.get("/api/services/{service_id}")
    async def service(service_id: str, lang: str | None = None):
        try:
            return service_facts(service_id, kb_dir, lang)
        except KeyError:
            raise HTTPException(404, f"no service {service_id!r} in the knowledge base") from None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.get("/vendor/rasa-webchat.js", include_in_schema=False)
    async def rasa_webchat():
        if not RASA_WEBCHAT.exists():
            _LOG.warning("rasa-webchat is not installed (%s): run `npm ci`", RASA_WEBCHAT)
            raise HTTPException(404, "rasa-webchat is not installed; run `npm ci` (make setup)")
        return Response(_rasa_webchat(), media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=web_dir), name="static")
