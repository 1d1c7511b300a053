"""What the guide says in Chinese while it issues a ticket, books an appointment or ends a conversation.

The English texts live beside their actions (forms.py, small_talk.py); these are written as a Chinese
service hall says them, not translated word for word. Facts (service names, zones, windows, floors)
come from the Chinese knowledge base like every other Chinese answer.
"""

from __future__ import annotations

import datetime as dt

from actions.replies_zh import _windows, floor_name, number

WEEKDAYS = "一二三四五六日"
EXAMPLE_DATE = "可以说“明天”“下周一”或“12月15日”。"
EXAMPLE_TIME = "可以说“上午十点半”或“下午两点”。"


def spoken_date(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"


def ask_service(what: str) -> str:
    return f"请问您要{'取号' if what == 'ticket' else '预约'}办理哪项业务？"


ASK_DATE = f"您想哪天来办理？{EXAMPLE_DATE}"
ASK_TIME = f"您想几点来？{EXAMPLE_TIME}"
ASK_NAME = "请问预约人叫什么名字？"
BAD_DATE = f"抱歉，没听清是哪一天。{EXAMPLE_DATE}"
BAD_TIME = f"抱歉，没听清是几点。{EXAMPLE_TIME}"
BAD_NAME = "抱歉，预约需要填写姓名（2到10个字），请再说一次。"
TIME_PASSED = "今天这个时间已经过了，请选一个晚一点的时间。"
MISSING = "抱歉，信息不全，这次没有预约成功。我们再试一次。"
HALL_CLOSED_TICKET = "大厅现在不在办公时间，暂时不能取号。您可以先预约。"
BOOK_BUTTON = "预约办理"
WHERE_BUTTON = "怎么走"


def date_passed(day: dt.date) -> str:
    return f"{spoken_date(day)}已经过去了，请选择今天或以后的日期。"


def too_far_ahead(days: int) -> str:
    return f"最多只能预约{number(days)}天以内的日期，请选一个近一点的日子。"


def hall_closed_on(day: dt.date, holiday: str | None) -> str:
    why = f"（{holiday}）" if holiday else "（每周这一天休息）"
    return f"{spoken_date(day)}大厅不办公{why}，请换一天。"


def outside_slots(day: dt.date, first: str, last: str) -> str:
    return f"{spoken_date(day)}可预约的时间是{first}到{last}，请在这个时间段内选。"


def ticket_issued(number_: str, service: str, zone: str, floor: int, windows: list[str], again: bool) -> str:
    lead = "您已经取过号了，号码是" if again else "您的号码是"
    return f"{lead}{number_}，办理{service}。请到{floor_name(floor)}{zone}区等候，叫到号后到{_windows(windows)}办理。"


def booked(service: str, day: dt.date, slot: str, name: str, reference: str, where: str) -> str:
    return (
        f"预约成功：{spoken_date(day)}{slot}办理{service}，预约人{name}。预约号{reference}。"
        f"当天在大厅自助机上说出预约号或出示二维码签到，然后到{where}。"
    )


def where_to_go(zone: str, floor: int, hall: str | None = None, address: str | None = None) -> str:
    place = f"{floor_name(floor)}{zone}区"
    return f"{hall}（{address}）{place}" if hall else place


# Rasa's own short answers, in Chinese (small_talk.py)
GOODBYE = "再见，祝您办事顺利！"
THANK = "不客气。还有什么可以帮您的吗？"
BOT_CHALLENGE = "我是虚拟导办员，不是真人。如果想找工作人员，请说“人工服务”。"
HANDOFF_BUTTON = "人工服务"
FORM_CANCELLED = "好的，已经取消了，没有取号，也没有预约。"


# Check-in of an appointment at a kiosk (checkin.py)
CHECKIN_NO_REFERENCE = "签到请说出确认单上的预约号（逐个读出字母和数字），或把二维码对准扫描口。例如：“签到 K7M-4PA”。"
CHECKIN_HALL_CLOSED = "大厅现在不在办公时间，暂时不能签到。请在办公时间再来。"
TICKET_BUTTON = "现在取号"
REBOOK_BUTTON = "重新预约"


def checkin_not_at_kiosk(hall: str, address: str) -> str:
    return (
        f"签到要在大厅办理：预约当天，在{hall}（{address}）任意一台自助机上说出预约号或出示确认单上的二维码，"
        "即可领取排队号。"
    )


def checkin_unknown(reference: str) -> str:
    return f"没有找到预约号为{reference}的预约。请对照确认单再试一次，或到咨询台询问。"


def checkin_expired(reference: str, service: str, day: dt.date, slot: str) -> str:
    return f"预约{reference}（{service}）的时间是{spoken_date(day)}{slot}，已经过期。您可以现在取号，或重新预约。"


def checkin_early(reference: str, service: str, day: dt.date, slot: str) -> str:
    return f"您的预约{reference}（{service}）在{spoken_date(day)}{slot}，请在当天来签到。"


def checkin_not_here(reference: str) -> str:
    return f"预约{reference}在这里无法签到，请到咨询台询问。"


def checked_in(number_: str, service: str, slot: str, zone: str, floor: int, windows: list[str], again: bool) -> str:
    lead = "您已经签到过了，号码是" if again else "签到成功，您的号码是"
    return (
        f"{lead}{number_}，办理{service}，预约时间{slot}。请到{floor_name(floor)}{zone}区等候，"
        f"叫到号后到{_windows(windows)}办理。"
    )
