"""A Chinese-speaking citizen gets Chinese answers, grounded in the Chinese knowledge base (issue 15)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from actions import replies_zh as zh
from actions.language import language
from actions.replies import TOPICS, service_reply
from kb import load_knowledge_base
from testkit.dialogue import VENVS

ZH = load_knowledge_base(lang="zh")
EN = load_knowledge_base()
SERVICES = ["id_card", "newborn_bundle", "tax_reconciliation", "business_registration", "disability_certificate"]
CASES = [(s, t) for s in SERVICES for t in TOPICS]
KIOSK = "entrance"
LATIN_WORDS = re.compile(r"\b(?!App\b)[A-Za-z]{4,}\b")  # English words; "App" and window ids are part of Chinese texts


def tracker(text: str, metadata: dict | None = None) -> SimpleNamespace:
    """What language() reads of a rasa-sdk Tracker (this environment has no rasa-sdk; the actions test below has)."""
    message = {"text": text, "intent": {"name": "ask_service"}, "entities": [], "metadata": metadata or {}}
    return SimpleNamespace(latest_message=message, events=[])


# --- what the guide says ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("service_id", "topic"), CASES, ids=[f"{s}-{t}" for s, t in CASES])
@pytest.mark.parametrize("where", [KIOSK, None], ids=["kiosk", "web"])
def test_every_topic_is_answered_in_chinese_with_the_english_card_contract(service_id, topic, where):
    s = ZH.services[service_id]
    reply = zh.service_reply(ZH, s, topic, where)
    english = service_reply(EN, EN.services[service_id], topic, where)
    assert re.search(r"[\u4e00-\u9fff]", reply.text) and not LATIN_WORDS.search(reply.text.split("http")[0]), reply.text
    assert reply.card is not None and english.card is not None
    assert (reply.card["kind"], reply.card["topic"], reply.card["service_id"]) == (
        english.card["kind"],
        english.card["topic"],
        service_id,
    )
    assert set(reply.card["fields"]) == set(english.card["fields"]), "same card fields as in English"
    assert reply.card["service_name"] == s.name, "the card carries the Chinese name"
    assert [b["payload"] for b in reply.buttons] == [b["payload"] for b in english.buttons], "payloads unchanged"
    assert all(re.search(r"[\u4e00-\u9fff]", b["title"]) for b in reply.buttons), reply.buttons
    if "unknown" not in reply.card["fields"]:
        assert s.name in reply.text or topic == "steps", reply.text


def test_materials_name_the_chinese_items_and_their_form():
    reply = zh.service_reply(ZH, ZH.services["id_card"], "materials", KIOSK)
    assert reply.text.startswith(
        "居民身份证办理，请带好三样材料：原身份证（原件）、户口簿（原件）、父母的身份证（原件）。"
    )
    photos = zh.service_reply(ZH, ZH.services["disability_certificate"], "materials", KIOSK).text
    assert "二寸证件照（原件，两份）" in photos and "残疾人证办理，请带好四样材料" in photos
    card = zh.service_reply(ZH, ZH.services["newborn_bundle"], "materials").card
    assert [m["name"] for m in card["fields"]["materials"]][0] == "医院出具的出生医学证明"


def test_steps_are_counted_and_ordered_in_chinese():
    text = zh.service_reply(ZH, ZH.services["id_card"], "steps", KIOSK).text
    assert text == (
        "共三步。第一步，取C区的号，到C01至C04窗口办理；第二步，现场拍照、采集指纹并交费；"
        "最后，到C04窗口领证，也可以选择邮寄。"
    )


def test_fees_read_as_yuan_or_free():
    fee = zh.service_reply(ZH, ZH.services["id_card"], "fee", KIOSK).text
    assert fee.startswith("居民身份证办理的费用是20元。") and "丢失或损坏补领40元" in fee
    free = zh.service_reply(ZH, ZH.services["newborn_bundle"], "fee", KIOSK).text
    assert "免费" in free and "元" not in free
    passport = zh.service_reply(ZH, ZH.services["passport_travel_permit"], "fee", KIOSK).text
    assert "120元" in passport


def test_a_missing_fact_is_admitted_in_chinese():
    reply = zh.service_reply(ZH, ZH.services["business_registration"], "fee", KIOSK)
    assert reply.text.startswith("抱歉，关于企业开办“一件事”的收费情况，我这里暂时没有信息。")
    assert ZH.hall.hotline in reply.text and reply.card["fields"]["unknown"] is True


def test_kiosk_directions_are_relative_to_the_kiosk():
    same_floor = zh.service_reply(ZH, ZH.services["tax_reconciliation"], "location", "floor3").text
    assert "三楼E区（企业开办、税务和不动产区）的E06、E07窗口" in same_floor
    assert "E区就在您的正前方，约" in same_floor and "米" in same_floor
    upstairs = zh.service_reply(ZH, ZH.services["id_card"], "location", KIOSK).text
    assert "C01至C04窗口" in upstairs
    assert "C区在二楼，请乘电梯上一层，出电梯后在您的左手边。" in upstairs
    two_up = zh.service_reply(ZH, ZH.services["business_registration"], "location", KIOSK).text
    assert "请乘电梯上两层" in two_up
    down = zh.service_reply(ZH, ZH.services["id_card"], "location", "floor3").text
    assert "请乘电梯下一层" in down


@pytest.mark.parametrize("service_id", SERVICES)
def test_the_web_gets_the_address_and_hours_never_directions(service_id):
    s = ZH.services[service_id]
    for topic in ("summary", "location", "online"):
        text = zh.service_reply(ZH, s, topic, None).text
        assert not any(side in text for side in ("左手边", "右手边", "正前方", "身后", "电梯")), text
    location = zh.service_reply(ZH, s, "location", None).text
    assert ZH.hall.address in location and "周一至周五09:00至17:00；周六09:00至12:00" in location
    summary = zh.service_reply(ZH, s, "summary", None)
    if s.online and s.online.fully_online:
        assert "您不用跑一趟" in summary.text and "预约办理" not in [b["title"] for b in summary.buttons]
    else:
        assert "我可以帮您预约" in summary.text and summary.buttons[0]["title"] == "预约办理"


def test_choices_and_which_service_in_chinese():
    choice = zh.choose_service_reply(ZH, ["provident_fund_transfer", "pension_insurance_transfer"], "ask_service")
    assert choice.text == "这可能涉及几项业务：住房公积金转移还是基本养老保险关系转移。请问您指的是哪一项？"
    assert choice.buttons[0]["payload"] == '/ask_service{"service":"provident_fund_transfer"}'
    which = zh.which_service_reply(ZH, "ask_fee")
    assert which.text.startswith("请问是哪项业务？") and which.buttons[0]["title"] == ZH.services["newborn_bundle"].name


def test_numbers_and_windows_read_naturally():
    assert [zh.number(n) for n in (1, 3, 10, 12, 20, 45)] == ["一", "三", "十", "十二", "二十", "四十五"]
    assert zh.number(2, measure=True) == "两" and zh.floor_name(2) == "二楼" and zh.floor_name(-1) == "负一楼"
    assert zh._windows(["D03"]) == "D03窗口" and zh._windows(["C01", "C02", "C03", "C04"]) == "C01至C04窗口"
    assert zh._windows(["A04", "A05"]) == "A04、A05窗口" and zh._windows(["A01", "A03", "A04"]) == "A01、A03、A04窗口"
    assert zh.money(20.0) == "20元" and zh.money(7.5) == "7.5元"


def test_hours_in_chinese():
    import datetime as dt

    saturday = zh.hours_reply(ZH, dt.date(2026, 6, 6)).text
    assert saturday == "大厅开放时间：周一至周五09:00至17:00；周六09:00至12:00。周日和法定节假日休息。今天开放到12:00。"
    assert zh.hours_reply(ZH, dt.date(2026, 6, 7)).text.endswith("今天不开放。")


# --- which language -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "metadata", "expected"),
    [
        ("身份证要带什么", {}, "zh"),
        ("身份证 fee", {"language": "en"}, "zh"),  # any Chinese character: Chinese
        ("how much is the ID card", {"language": "zh"}, "en"),  # two Latin words, no Chinese: English
        ("What documents?", {}, "en"),
        ("/ask_fee", {"language": "zh"}, "zh"),  # a button payload keeps the session's language
        ("/ask_fee", {"customData": {"language": "zh"}}, "zh"),
        ("/ask_fee", {}, "en"),
        ("2", {"language": "zh"}, "zh"),  # digits
        ("C03", {"language": "zh"}, "zh"),  # one word
        ("yes", {"customData": {"language": "zh"}}, "zh"),
        ("hukou", {}, "en"),
        ("/ask_fee", {"language": "fr"}, "en"),  # a language the guide does not offer
        ("/ask_fee", {"language": "zh-CN"}, "zh"),
    ],
)
def test_the_guide_answers_in_the_language_just_used(text, metadata, expected):
    assert language(tracker(text, metadata)) == expected


def test_chinese_switched_off_answers_in_english(monkeypatch):
    from actions import knowledge

    monkeypatch.setattr(knowledge, "answer_languages", lambda: ("en",))
    monkeypatch.setattr("actions.language.answer_languages", lambda: ("en",))
    assert language(tracker("身份证要带什么")) == "en"


# --- wired into the actions (run in the action server's environment, which has rasa-sdk) -----------------------
ROOT = Path(__file__).resolve().parents[2]
DRIVER = """
import asyncio, json, sys
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from actions.hall import ActionAppHelp, ActionHallHours, ActionOutOfScope
from actions.service_info import ActionServiceInfo, ActionYesNo
from actions.fallback import ActionDefaultFallback
actions = {a.name(): a for a in (ActionServiceInfo(), ActionYesNo(), ActionAppHelp(), ActionHallHours(),
                                 ActionOutOfScope(), ActionDefaultFallback())}
out = []
for name, text, intent, meta in json.load(sys.stdin):
    message = {"text": text, "intent": {"name": intent}, "entities": [], "metadata": meta}
    tracker = Tracker("zh-test", {}, message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(actions[name].run(dispatcher, tracker, {}))
    out.append([m.get("text") for m in dispatcher.messages if m.get("text")]
               + [[b["title"] for b in m.get("buttons") or []] for m in dispatcher.messages if m.get("text")])
print(json.dumps(out, ensure_ascii=False))
"""
TURNS = [
    ("action_service_info", "身份证要多少钱", "ask_fee", {"kiosk_id": KIOSK}),
    ("action_service_info", "how much is the ID card", "ask_fee", {"kiosk_id": KIOSK}),
    ("action_service_info", "/ask_fee", "ask_fee", {"kiosk_id": KIOSK, "language": "zh"}),
    ("action_yes_no", "好的", "affirm", {}),
    ("action_yes_no", "不用了", "deny", {}),
    ("action_app_help", "政务App怎么用", "app_help", {}),
    ("action_hall_hours", "几点关门", "hall_hours", {}),
    ("action_out_of_scope", "今天天气怎么样", "out_of_scope", {}),
    ("action_default_fallback", "呃呃呃", "nlu_fallback", {}),
]


@pytest.fixture(scope="module")
def answers() -> list[list]:
    python = VENVS / "actions" / "bin" / "python"
    assert python.exists(), f"no action server environment at {python}: run make setup"
    env = {**os.environ, "LOBBY_SEMANTIC": "0", "PYTHONPATH": str(ROOT)}  # a named service needs no encoder
    done = subprocess.run(
        [str(python), "-c", DRIVER], input=json.dumps(TURNS), capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_actions_answer_a_chinese_message_in_chinese(answers):
    fee, english, button = answers[0], answers[1], answers[2]
    assert fee[0].startswith("居民身份证办理的费用是20元。") and fee[1][0] == "要带什么"
    assert english[0].startswith("The fee for the resident ID card is 20 yuan.") and english[1][0] == "What to bring"
    assert button[0] == "请问是哪项业务？您可以直接说业务名称，比如身份证或者住房公积金。", (
        "a payload keeps the session's zh"
    )
    assert answers[3][0] == zh.AFFIRM and answers[4][0] == zh.DENY
    assert answers[5][0].startswith("在手机应用商店下载“海港市政务App”")
    assert answers[6][0].startswith("大厅开放时间：周一至周五09:00至17:00")
    assert answers[7][0].startswith("抱歉，这个我帮不上忙。") and "12345" in answers[7][0]
    assert answers[8][0].startswith("抱歉，我没能理解您的意思。一楼咨询台") and answers[8][1] == [zh.STAFF_TITLE]
