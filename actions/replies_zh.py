"""The guide's answers in Chinese: the counterparts of actions/replies.py, over the Chinese knowledge base.

Same contract as replies.py: pure functions, knowledge-base fields in, short speakable text out, the
same card (`cards.build`, same fields; the card just carries the Chinese KB texts of
`knowledge_base("zh")`) and the same button payloads with Chinese titles. The wording is a Chinese
service centre's: short, polite, 您; fees read 免费 / 20元, windows C01至C04窗口, floors 二楼, small counts
in Chinese numerals (两样材料, 共三步), times as the hall writes them (09:00至17:00).

The decisions are replies.py's (which topic needs a kiosk, online first on the web, what is unknown,
which buttons follow): its helpers are used here, only the sentences differ. Where the citizen stands
decides the wording exactly as in English: directions (左手边 / 右手边 / 正前方 / 身后) only at a kiosk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from actions.replies import (
    DAY_NAMES,
    POPULAR,
    TOPICS,
    Reply,
    _card,
    follow_up_buttons,
    fully_online,
    hours_card,
    kiosk_for,
    online_where,
    prepare_fields,
    web_buttons,
)
from actions.replies import days_text as en_days_text
from cards import build
from kb import KnowledgeBase, Service
from kb.directions import Directions, directions_to

TOPIC_BUTTONS = {
    "materials": ("要带什么", "/ask_materials"),
    "location": ("去哪里办", "/find_window"),
    "processing_time": ("要多久", "/ask_processing_time"),
    "fee": ("收费吗", "/ask_fee"),
    "online": ("能网上办吗", "/ask_online"),
    "steps": ("办理步骤", "/ask_steps"),
    "eligibility": ("谁可以办", "/ask_eligibility"),
    "cross_province": ("跨省办理", "/ask_cross_province"),
}
BOOK_TITLE = "预约办理"
STAFF_TITLE = "找工作人员"

FORM_LABEL = {"original": "原件", "copy": "复印件", "original_and_copy": "原件和复印件", "electronic": "电子版"}

DAY_NAMES_ZH = {"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五", "sat": "周六", "sun": "周日"}

_DIGITS = "零一二三四五六七八九"
_SIDE = {"left": "左手边", "right": "右手边", "ahead": "正前方", "behind": "身后"}
_END = "。.；;，, "  # trailing punctuation of a KB sentence, dropped before it is put inside another sentence


def number(n: int, measure: bool = False) -> str:
    """Small whole numbers as they are read: 三, 十二; `measure` (before a measure word): 两 for 2."""
    if n == 2 and measure:
        return "两"
    if 0 <= n < 10:
        return _DIGITS[n]
    if 10 <= n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def floor_name(floor: int) -> str:
    """二楼; 负一楼 for a basement."""
    return f"负{number(-floor)}楼" if floor < 0 else f"{number(floor)}楼"


def _clause(text: str) -> str:
    return text.strip().rstrip(_END)


def _sentence(text: str) -> str:
    """A KB text as one full sentence ending in 。"""
    return _clause(text) + "。"


def _windows(windows: list[str]) -> str:
    """D03窗口; C01至C04窗口 for a run of consecutive windows; A04、A06窗口 otherwise."""
    if len(windows) > 2:
        letters = {w[:1] for w in windows}
        nums = [w[1:] for w in windows]
        if len(letters) == 1 and all(n.isdigit() for n in nums):
            values = [int(n) for n in nums]
            if values == list(range(values[0], values[0] + len(values))):
                return f"{windows[0]}至{windows[-1]}窗口"
    return "、".join(windows) + "窗口"


def money(amount: float, currency: str = "CNY") -> str:
    return f"{amount:g}元" if currency == "CNY" else f"{amount:g} {currency}"


def hotline_sentence(kb: KnowledgeBase) -> str:
    return f"请拨打热线{kb.hall.hotline}，或到咨询台咨询。"


def days_text(days: list[str]) -> str:
    """周一至周五; 周二、周四."""
    return en_days_text(days, DAY_NAMES_ZH, "至", "、")


def hours_text(kb: KnowledgeBase) -> str:
    """'周一至周五09:00至17:00；周六09:00至12:00'."""
    return "；".join(f"{days_text(list(h.days))}{h.open}至{h.close}" for h in kb.hall.opening_hours)


def visit_fields(kb: KnowledgeBase) -> dict[str, Any]:
    """The card's `visit` (replies.visit_fields) with the opening hours in Chinese."""
    hall = kb.hall
    return {"hall": hall.name, "address": hall.address, "opening_hours": hours_text(kb), "website": hall.website}


def visit_sentence(kb: KnowledgeBase) -> str:
    return f"开放时间：{hours_text(kb)}。"


def way_sentence(way: Directions, place: str, floor: int) -> str:
    """The Chinese sentence for directions computed by kb.directions (the card's `directions` is shared)."""
    side = _SIDE[way.side]
    if way.floor_change == 0:
        if way.side == "ahead":
            return f"{place}就在您的正前方，约{way.distance_m}米。"
        return f"{place}在您的{side}，离这里约{way.distance_m}米。"
    level = "上" if way.floor_change > 0 else "下"
    floors = number(abs(way.floor_change), measure=True)
    return f"{place}在{floor_name(floor)}，请乘电梯{level}{floors}层，出电梯后在您的{side}。"


def directions_zh(kb: KnowledgeBase, kiosk_id: str, target: Any, floor: int, place: str) -> tuple[str, Directions]:
    kiosk = kiosk_for(kb, kiosk_id)
    assert kiosk is not None, "directions need a kiosk"
    way = directions_to(kiosk, target, floor, place)
    return way_sentence(way, place, floor), way


def unknown_fact(kb: KnowledgeBase, service: Service, topic: str) -> Reply:
    what = {
        "materials": "需要带哪些材料",
        "steps": "办理步骤",
        "processing_time": "办理时限",
        "fee": "收费情况",
        "online": "能不能网上办理",
        "eligibility": "申请条件",
        "cross_province": "能不能跨省办理",
    }.get(topic, "这方面")
    text = f"抱歉，关于{service.name}的{what}，我这里暂时没有信息。{hotline_sentence(kb)}"
    card = _card(service, topic, {"unknown": True, "hotline": kb.hall.hotline})
    return Reply(text, card, follow_up_buttons(service, topic, TOPIC_BUTTONS))


def service_reply(kb: KnowledgeBase, service: Service, topic: str, kiosk_id: str | None = None) -> Reply:
    """replies.service_reply in Chinese: `kb` is the Chinese knowledge base, `kiosk_id` None on the web."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    web = kiosk_for(kb, kiosk_id) is None
    builder = _WEB_BUILDERS.get(topic) if web else None
    reply = builder(kb, service) if builder else _BUILDERS[topic](kb, service, kiosk_id)
    if reply is None:
        return unknown_fact(kb, service, topic)
    if not reply.buttons:
        reply.buttons = (
            web_buttons(service, topic, TOPIC_BUTTONS, BOOK_TITLE)
            if web
            else follow_up_buttons(service, topic, TOPIC_BUTTONS)
        )
    return reply


def _doing(name: str) -> str:
    """办理婚姻登记; a name that already ends in 办理 (居民身份证办理) is not doubled."""
    return name if name.endswith("办理") else f"办理{name}"


def _zone(kb: KnowledgeBase, s: Service) -> Any:
    return next(z for z in kb.hall.zones if z.id == s.location.zone)


def _summary(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply:
    loc = s.location
    text = f"{s.name}：{_sentence(s.summary)}在{floor_name(loc.floor)}{loc.zone}区{_windows(loc.windows)}办理。"
    fields: dict[str, Any] = {"summary": s.summary, "location": loc.model_dump(), "department": s.department}
    if s.online is not None:
        fields["online"] = s.online.model_dump()
        if s.online.fully_online:
            text += "也可以在网上办理。"
    return Reply(text, _card(s, "summary", fields))


def _material(m: Any) -> str:
    detail = FORM_LABEL[m.form] + (f"，{number(m.count, measure=True)}份" if m.count > 1 else "")
    return f"{_clause(m.name)}（{detail}）"


def _materials(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.materials:
        return None
    items = [_material(m) for m in s.materials]
    text = f"{_doing(s.name)}，请带好{number(len(items), measure=True)}样材料：{'、'.join(items)}。完整清单在屏幕上。"
    return Reply(text, _card(s, "materials", {"materials": [m.model_dump() for m in s.materials]}))


def _steps(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.steps:
        return None
    n = len(s.steps)
    if n == 1:
        text = f"只有一步：{_sentence(s.steps[0])}"
    else:
        parts = [
            f"{'最后' if i == n - 1 else f'第{number(i + 1)}步'}，{_clause(step)}" for i, step in enumerate(s.steps)
        ]
        text = f"共{number(n)}步。" + "；".join(parts) + "。"
    return Reply(text, _card(s, "steps", {"steps": list(s.steps)}))


def _location(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply:
    loc = s.location
    zone = _zone(kb, s)
    assert kiosk_id is not None, "kiosk-relative directions need a kiosk (the web has _web_location)"
    sentence, way = directions_zh(kb, kiosk_id, zone.position, zone.floor, f"{zone.id}区")
    floor = f"{floor_name(zone.floor)}" if way.floor_change == 0 else ""
    text = f"{_doing(s.name)}，请到{floor}{zone.id}区（{zone.name}）的{_windows(loc.windows)}。{sentence}"
    fields = {"location": loc.model_dump(), "zone_name": zone.name, "directions": way.card()}
    return Reply(text, _card(s, "location", fields))


def _processing_time(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.processing_time:
        return None
    text = f"{s.name}的办理时限：{_sentence(s.processing_time)}"
    return Reply(text, _card(s, "processing_time", {"processing_time": s.processing_time}))


def _fee(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if s.fee is None:
        return None
    text = f"{s.name}免费，不收任何费用。" if s.fee.free else f"{s.name}的费用是{money(s.fee.amount, s.fee.currency)}。"
    if s.fee.notes:
        text += _sentence(s.fee.notes)
    return Reply(text, _card(s, "fee", {"fee": s.fee.model_dump()}))


def _quoted(where: str) -> str:
    return where if where.startswith("http") else f"“{where}”"


def _online(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if s.online is None:
        return None
    o = s.online
    where = o.app_path or o.web_url
    if o.fully_online:
        text = f"可以，{s.name}可以全程网上办理：{_quoted(where)}。" if where else f"可以，{s.name}可以全程网上办理。"
    else:
        text = f"不行，{s.name}不能全程网上办理，需要您到大厅来一趟。"
        if where:
            text += f"您可以先在{_quoted(where)}开始办理。"
    if o.notes:
        text += _sentence(o.notes)
    return Reply(text, _card(s, "online", {"online": o.model_dump()}))


def _eligibility(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    if not s.eligibility:
        return None
    text = f"{s.name}的申请条件：" + "；".join(_clause(e) for e in s.eligibility[:2]) + "。"
    if len(s.eligibility) > 2:
        text += "更多条件请看屏幕。"
    return Reply(text, _card(s, "eligibility", {"eligibility": list(s.eligibility)}))


def _cross_province(kb: KnowledgeBase, s: Service, kiosk_id: str | None) -> Reply | None:
    cp = s.cross_province
    if cp is None:
        return None
    text = f"可以，{s.name}可以跨省通办。" if cp.available else f"不行，{s.name}不能跨省办理。"
    if cp.how:
        text += _sentence(cp.how)
    return Reply(text, _card(s, "cross_province", {"cross_province": cp.model_dump()}))


# --- on the web: no kiosk, so no directions; online first, else prepare one visit -------------------------------
BOOK_OFFER = "我可以帮您预约，要带的材料请看清单。"


def _web_where(kb: KnowledgeBase, s: Service) -> str:
    zone = _zone(kb, s)
    hall = f"{kb.hall.address}{kb.hall.name}"
    return f"{hall}{floor_name(zone.floor)}{zone.id}区（{zone.name}）的{_windows(s.location.windows)}"


def _online_lead(s: Service) -> str:
    return f"您不用跑一趟：{s.name}可以全程网上办理，入口在{_quoted(online_where(s) or '网上')}。"


def _web_summary(kb: KnowledgeBase, s: Service) -> Reply:
    loc = s.location
    fields: dict[str, Any] = {
        "summary": s.summary,
        "location": loc.model_dump(),
        "department": s.department,
        "visit": visit_fields(kb),
    }
    if s.online is not None:
        fields["online"] = s.online.model_dump()
    if fully_online(s):
        text = f"{s.name}：{_sentence(s.summary)}{_online_lead(s)}"
    else:
        fields["prepare"] = prepare_fields(s)
        text = f"{s.name}：{_sentence(s.summary)}需要您到{_web_where(kb, s)}办理一次。{BOOK_OFFER}"
    return Reply(text, _card(s, "summary", fields))


def _web_location(kb: KnowledgeBase, s: Service) -> Reply:
    loc = s.location
    zone = _zone(kb, s)
    fields: dict[str, Any] = {"location": loc.model_dump(), "zone_name": zone.name, "visit": visit_fields(kb)}
    if fully_online(s):
        assert s.online is not None
        fields["online"] = s.online.model_dump()
        text = f"{_online_lead(s)}如果您想到现场办理，请到{_web_where(kb, s)}。{visit_sentence(kb)}"
    else:
        fields["prepare"] = prepare_fields(s)
        text = f"{_doing(s.name)}，请到{_web_where(kb, s)}。{visit_sentence(kb)}{BOOK_OFFER}"
    return Reply(text, _card(s, "location", fields))


def _web_online(kb: KnowledgeBase, s: Service) -> Reply | None:
    if s.online is None:
        return None
    o = s.online
    fields: dict[str, Any] = {"online": o.model_dump(), "visit": visit_fields(kb)}
    if o.fully_online:
        text = f"可以。{_online_lead(s)}"
    else:
        fields["prepare"] = prepare_fields(s)
        text = f"不行，{s.name}不能全程网上办理，需要您到{_web_where(kb, s)}办理一次。"
        if online_where(s):
            text += f"您可以先在{_quoted(online_where(s) or '')}开始办理。"
        text += BOOK_OFFER
    if o.notes:
        text += _sentence(o.notes)
    return Reply(text, _card(s, "online", fields))


_WEB_BUILDERS = {"summary": _web_summary, "location": _web_location, "online": _web_online}

_BUILDERS = {
    "summary": _summary,
    "materials": _materials,
    "steps": _steps,
    "location": _location,
    "processing_time": _processing_time,
    "fee": _fee,
    "online": _online,
    "eligibility": _eligibility,
    "cross_province": _cross_province,
}


def choose_service_reply(kb: KnowledgeBase, service_ids: list[str], intent: str) -> Reply:
    """Offer a choice when a request could mean several services."""
    names = [kb.services[s].name for s in service_ids]
    listed = "、".join(names[:-1]) + f"还是{names[-1]}" if len(names) > 1 else "".join(names)
    text = f"这可能涉及几项业务：{listed}。请问您指的是哪一项？"
    buttons = [{"title": kb.services[s].name, "payload": f'/{intent}{{"service":"{s}"}}'} for s in service_ids]
    card = build("choice", "disambiguation", {"options": service_ids})
    return Reply(text, card, buttons)


def which_service_reply(kb: KnowledgeBase, intent: str = "ask_service", question: str = "请问是哪项业务？") -> Reply:
    options = [s for s in POPULAR if s in kb.services] or list(kb.services)[:5]
    text = f"{question}您可以直接说业务名称，比如身份证或者住房公积金。"
    buttons = [{"title": kb.services[s].name, "payload": f'/{intent}{{"service":"{s}"}}'} for s in options]
    return Reply(text, build("choice", "which_service", {"options": options}), buttons)


# --- short texts the actions send in English from domain.yml responses or code --------------------------------
AFFIRM = "好的。您还想了解什么？"
DENY = "好的。那有什么可以帮您的？"
START_OVER = "好的，我们重新开始。请问有什么可以帮您？"
INFORM_WITHOUT_CONTEXT = "好的，收到。您想用它做什么？我可以帮您预约，也可以为您介绍某项业务。"
INFORM_WITHOUT_CONTEXT_BUTTONS = [{"title": BOOK_TITLE, "payload": "/book_appointment"}]


# --- the hall (actions/hall.py) -----------------------------------------------------------------------------
def hours_reply(kb: KnowledgeBase, today: dt.date) -> Reply:
    """hall.hours_reply in Chinese; the card is the same."""
    hall = kb.hall
    open_days = {d for h in hall.opening_hours for d in h.days}
    closed = [DAY_NAMES_ZH[d] for d in DAY_NAMES if d not in open_days]
    text = f"大厅开放时间：{hours_text(kb)}。"
    if closed:
        text += f"{'、'.join(closed)}和法定节假日休息。"
    hours_today = kb.opening_hours_on(today)
    text += f"今天开放到{hours_today[1]}。" if hours_today else "今天不开放。"
    card = hours_card(kb, today)
    return Reply(text, card)


def greet_text(kb: KnowledgeBase) -> str:
    return f"您好，欢迎来到{kb.hall.name}。我可以告诉您要带什么材料、去哪个窗口，还可以帮您取号。请问有什么可以帮您？"


def desk_sentence_web(kb: KnowledgeBase, name: str, floor: int) -> str:
    return f"{name}在{kb.hall.address}{kb.hall.name}{floor_name(floor)}。"


def facilities_text(names: list[str]) -> str:
    return f"大厅里有{'、'.join(names)}。请问您要找哪一个？"


def facility_text(description: str, hours: str | None) -> str:
    return _sentence(description) + (f"开放时间：{_sentence(hours)}" if hours else "")


def hall_address_sentence(kb: KnowledgeBase) -> str:
    return f"{kb.hall.name}的地址是{kb.hall.address}。"


def accessibility_text(name: str, description: str, where: str, sign_language_hours: str) -> str:
    return f"{name}可以帮您：{_sentence(description)}{where}{_sentence(sign_language_hours)}"


def handoff_text(kb: KnowledgeBase, where: str) -> str:
    return f"我已经通知工作人员，您想找人当面咨询。{where}您也可以拨打热线{kb.hall.hotline}。"


def out_of_scope_text(kb: KnowledgeBase) -> str:
    return f"抱歉，这个我帮不上忙。我可以为您介绍本大厅的各项业务；其他问题，{hotline_sentence(kb)}"


# --- the fallback (actions/fallback.py) ---------------------------------------------------------------------
INTENT_MEANING = {
    "ask_service": "了解某项业务",
    "ask_materials": "要带什么材料",
    "ask_steps": "怎么办理",
    "ask_processing_time": "要办多久",
    "ask_fee": "收不收费",
    "ask_online": "网上办理",
    "ask_eligibility": "谁可以申请",
    "ask_cross_province": "跨省办理",
    "hall_hours": "开放时间",
    "find_window": "去哪里办",
    "queue_ticket": "取号",
    "book_appointment": "预约",
    "check_progress": "查询办理进度",
    "facilities": "大厅设施",
    "accessibility_help": "无障碍服务",
    "app_help": "政务App使用帮助",
    "complaint": "投诉",
    "human_handoff": "找工作人员",
}
SOMETHING_ELSE = "其他问题"


def ask_affirmation_text(meaning: str | None) -> str:
    if meaning:
        return f"抱歉，我不太确定您的意思。您是想问{meaning}吗？"
    return "抱歉，我不太确定您的意思。请问是关于哪项业务的？"


ASK_REPHRASE = "抱歉，我没太听明白。您能换个说法再说一遍吗？"


def give_up_text(kb: KnowledgeBase) -> str:
    desk = f"{floor_name(kb.hall.help_desk.floor)}{kb.hall.help_desk.name}"
    return f"抱歉，我没能理解您的意思。{desk}的工作人员可以帮您，也可以拨打热线{kb.hall.hotline}。"
