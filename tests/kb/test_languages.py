"""The knowledge base in Chinese: complete, the same facts as the English files, and findable in Chinese sentences.

A centre's Chinese text lives in data/lang/zh/ (one file per service, and hall.yml) and holds only language
text; every fact (windows, fees, dates, codes) stays in the English files, so the two cannot disagree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Annotated, Literal, Union, get_args, get_origin, get_type_hints

import pytest
import yaml
from pydantic import BaseModel

from kb import KnowledgeBaseError, load_knowledge_base
from kb.languages import DEFAULT_LANGUAGES, enabled_languages, parse_languages
from kb.loader import DEFAULT_DATA_DIR
from kb.overlay import text_fields
from kb.schema import Hall, Service

ZH = DEFAULT_DATA_DIR / "lang" / "zh"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def en():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def zh():
    return load_knowledge_base(lang="zh")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    shutil.copytree(DEFAULT_DATA_DIR / "services", tmp_path / "services")
    shutil.copytree(DEFAULT_DATA_DIR / "lang", tmp_path / "lang")
    shutil.copy(DEFAULT_DATA_DIR / "hall.yml", tmp_path / "hall.yml")
    return tmp_path


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def texts(model: BaseModel, where: str = "") -> list[tuple[str, str]]:
    """(field path, text) of every language field the model fills."""
    found = []
    for name, slot in text_fields(type(model)).items():
        value = getattr(model, name)
        path = f"{where}.{name}" if where else name
        if value is None:
            continue
        if slot.kind == "text":
            found.append((path, value))
        elif slot.kind in ("text_list", "words"):
            found += [(f"{path}.{i}", v) for i, v in enumerate(value)]
        elif slot.kind == "model":
            found += texts(value, path)
        else:
            for i, item in enumerate(value):
                found += texts(item, f"{path}.{i}")
    return found


def facts(model: BaseModel) -> dict:
    """Everything but the language text: must be identical in every language."""
    dump = model.model_dump()
    for name, slot in text_fields(type(model)).items():
        if slot.kind == "model" and getattr(model, name) is not None:
            dump[name] = facts(getattr(model, name))
        elif slot.kind == "model_list" and getattr(model, name) is not None:
            dump[name] = [facts(item) for item in getattr(model, name)]
        else:
            dump.pop(name)
    return dump


def written_in_chinese(text: str) -> bool:
    """Chinese characters, or nothing alphabetic at all ("08:30-17:30"); product names like 'App' may stay."""
    return bool(_CJK.search(text)) or not _LATIN_WORD.search(text)


# --- complete ---------------------------------------------------------------------------------------------


def test_every_service_and_the_hall_are_available_in_chinese(en, zh):
    assert zh.lang == "zh" and set(zh.services) == set(en.services)
    assert sorted(p.stem for p in (ZH / "services").glob("*.yml")) == sorted(en.services)
    assert (ZH / "hall.yml").exists()


@pytest.mark.parametrize("service_id", sorted(p.stem for p in (DEFAULT_DATA_DIR / "services").glob("*.yml")))
def test_every_citizen_facing_field_of_a_service_is_written_in_chinese(en, zh, service_id):
    english, chinese = en.services[service_id], zh.services[service_id]
    en_fields = {path.split(".")[0] for path, _ in texts(english)}
    zh_texts = texts(chinese)
    assert {path.split(".")[0] for path, _ in zh_texts} == en_fields
    not_chinese = [(path, text) for path, text in zh_texts if not written_in_chinese(text)]
    assert not not_chinese, f"{service_id}: still in English: {not_chinese}"
    assert len(chinese.situations) >= 8, "citizens describe their need in at least 8 ways"
    assert len(chinese.aliases) >= 5, "the everyday names citizens use"
    assert chinese.keywords, "vague words for an ambiguous request"


@pytest.mark.parametrize("service_id", sorted(p.stem for p in (DEFAULT_DATA_DIR / "services").glob("*.yml")))
def test_a_service_states_the_same_facts_in_both_languages(en, zh, service_id):
    assert facts(zh.services[service_id]) == facts(en.services[service_id])


def test_every_citizen_facing_field_of_the_hall_is_written_in_chinese(en, zh):
    # facility aliases are the citizens' own words, so their number may differ from the English ones
    en_paths = {re.sub(r"\.aliases\.\d+$", ".aliases", p) for p, _ in texts(en.hall)}
    zh_paths = {re.sub(r"\.aliases\.\d+$", ".aliases", p) for p, _ in texts(zh.hall)}
    assert zh_paths == en_paths
    not_chinese = [(p, t) for p, t in texts(zh.hall) if not written_in_chinese(t)]
    assert not not_chinese, not_chinese
    assert facts(zh.hall) == facts(en.hall)
    assert zh.hall.name == "海港市市民服务中心"
    assert [z.name for z in zh.hall.zones][:2] == ["社保医保区", "住房公积金区"]


def test_official_service_names_and_the_aliases_citizens_use(zh):
    names = {s.id: s.name for s in zh.services.values()}
    assert names["newborn_bundle"] == "新生儿出生“一件事”"
    assert names["social_security_card"].startswith("社会保障卡")
    assert names["provident_fund_withdrawal"] == "住房公积金提取"
    assert names["cross_province_medical"] == "异地就医备案"
    assert names["pension_insurance_transfer"] == "基本养老保险关系转移"
    assert names["pension_certification"] == "养老金领取资格认证"
    everyday = {"social_security_card": "社保卡", "household_registration": "户口",
                "medical_insurance_ecert": "医保码", "provident_fund_withdrawal": "公积金提取"}  # fmt: skip
    for service_id, alias in everyday.items():
        assert alias in zh.services[service_id].aliases


def test_chinese_names_are_unambiguous(zh):
    seen: dict[str, str] = {}
    for service in zh.services.values():
        for name in service.spoken_names:
            assert seen.setdefault(name, service.id) == service.id, f"{name!r} names two services"


def test_situations_are_the_citizens_own_words_not_the_service_name(zh):
    for service in zh.services.values():
        named = [s for s in service.situations if service.name in s]
        assert not named, f"{service.id}: situations should describe the need, not name the service: {named}"


# --- Chinese sentences find Chinese names --------------------------------------------------------------------

SENTENCES = [
    ("我想补办社保卡，要带什么", ["social_security_card"]),
    ("请问医保码在手机上怎么激活", ["medical_insurance_ecert"]),
    ("我的电子医保卡打不开", ["medical_insurance_ecert"]),  # not the social security card (医保卡) inside it
    ("孩子刚出生，怎么上户口", ["newborn_bundle"]),  # 上户口, not the hukou transfer (户口) inside it
    ("老人走了要注销户口", ["bereavement_bundle"]),
    ("我想把户口迁到海港市", ["household_registration"]),
    ("办理异地就医备案需要什么材料", ["cross_province_medical"]),
    ("新生儿出生一件事在哪个窗口办", ["newborn_bundle"]),
    ("住房公积金提取要多久", ["provident_fund_withdrawal"]),
    ("养老保险关系转移怎么办", ["pension_insurance_transfer"]),
    ("我想办护照，顺便问下身份证过期了怎么办", ["passport_travel_permit", "id_card"]),
    ("社 保 卡 丢 了", ["social_security_card"]),  # a recogniser may put spaces between characters
    ("今天天气真好", []),
]


@pytest.mark.parametrize(("sentence", "expected"), SENTENCES, ids=[s for s, _ in SENTENCES])
def test_chinese_names_and_aliases_are_found_in_a_chinese_sentence(zh, sentence, expected):
    assert sorted(zh.find_in_text(sentence)) == sorted(expected)


def test_longest_name_comes_first(zh):
    assert zh.find_in_text("我想办护照，顺便问下身份证过期了怎么办")[0] == "passport_travel_permit"


def test_every_chinese_name_finds_its_own_service_in_a_sentence(zh):
    wrong = []
    for service in zh.services.values():
        for name in service.spoken_names:
            found = zh.find_in_text(f"你好，我想问一下{name}的事情")
            if found != [service.id]:
                wrong.append((name, service.id, found))
    assert not wrong, wrong


def test_resolve_maps_a_chinese_name_to_its_service(zh):
    assert zh.resolve("社保卡") == "social_security_card"
    assert zh.resolve("异地就医") == "cross_province_medical"
    assert zh.resolve("social_security_card") == "social_security_card"
    assert zh.resolve("太空旅行许可") is None


def test_a_vague_chinese_word_offers_every_matching_service(zh):
    assert set(zh.candidates_for_keywords("我想转移一下")) == {"provident_fund_transfer", "pension_insurance_transfer"}
    assert set(zh.candidates_for_keywords("我想提取一下公积金")) == {
        "provident_fund_transfer", "provident_fund_withdrawal",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("request_text", "service_id"),
    [("公积金怎么提取", "provident_fund_withdrawal"), ("我想把公积金转到新单位", "provident_fund_transfer"),
     ("在外地住院能不能直接结算", "cross_province_medical"), ("我被公司裁员了，失业了", "unemployment_benefit")],
)  # fmt: skip
def test_the_lexical_ranker_reads_chinese_without_spaces(zh, request_text, service_id):
    assert zh.rank(request_text, 1)[0][0] == service_id


def test_the_chinese_vocabulary_is_for_a_chinese_recogniser(zh, en):
    vocabulary = zh.vocabulary()
    assert "社保卡" in vocabulary and "异地就医备案" in vocabulary
    assert not set(vocabulary) & set(en.vocabulary())


# --- English unchanged ---------------------------------------------------------------------------------------


def test_english_loading_is_unchanged(en):
    assert en.lang == "en"
    assert en.services["social_security_card"].name == "Social security card application and replacement"
    assert en.hall.name == "Harbor City Citizen Service Center"
    assert load_knowledge_base(lang="en").services == en.services
    assert en.find_in_text("I need a new social security card and my hukou") == [
        "social_security_card", "household_registration",
    ]  # fmt: skip


def test_english_does_not_read_the_language_files(data_copy: Path):
    (data_copy / "lang" / "zh" / "services" / "id_card.yml").write_text("name: [unclosed\n", encoding="utf-8")
    assert load_knowledge_base(data_copy).services["id_card"].name == "Resident ID card"


# --- what is wrong is said with file and field ---------------------------------------------------------------


def problems_of(root: Path) -> str:
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(root, lang="zh")
    return str(err.value)


def test_a_missing_chinese_field_names_the_file_and_field(data_copy: Path):
    edit(data_copy / "lang/zh/services/id_card.yml", lambda d: d.pop("summary"))
    message = problems_of(data_copy)
    assert re.search(r"lang/zh/services/id_card\.yml: field 'summary': missing", message), message


def test_a_missing_nested_chinese_field_names_its_path(data_copy: Path):
    edit(data_copy / "lang/zh/services/newborn_bundle.yml", lambda d: d["materials"][3].pop("notes"))
    edit(data_copy / "lang/zh/hall.yml", lambda d: d["zones"][2].pop("name"))
    message = problems_of(data_copy)
    assert "newborn_bundle.yml: field 'materials.3.notes': missing" in message
    assert "lang/zh/hall.yml: field 'zones.2.name': missing" in message


def test_a_field_the_english_file_does_not_have_is_refused(data_copy: Path):
    # the English newborn fee is just {amount: 0}: no notes to translate
    edit(data_copy / "lang/zh/services/newborn_bundle.yml", lambda d: d.update(fee={"notes": "免费"}))
    message = problems_of(data_copy)
    assert "newborn_bundle.yml: field 'fee.notes': the English file does not have it" in message


def test_facts_cannot_be_changed_in_a_language_file(data_copy: Path):
    edit(data_copy / "lang/zh/services/id_card.yml", lambda d: d.update(location={"zone": "C", "floor": 9}))
    edit(data_copy / "lang/zh/services/senior_card.yml", lambda d: d.update(summery=d["summary"]))
    message = problems_of(data_copy)
    assert "id_card.yml: field 'location': not language text; it belongs in the English file only" in message
    assert "senior_card.yml: field 'summery': no such field" in message


def test_a_translated_list_keeps_the_english_length(data_copy: Path):
    edit(data_copy / "lang/zh/services/id_card.yml", lambda d: d.update(steps=d["steps"][:2]))
    message = problems_of(data_copy)
    assert "id_card.yml: field 'steps': has 2 items, the English file has 3" in message


def test_a_reordered_list_is_caught_by_its_ids(data_copy: Path):
    edit(data_copy / "lang/zh/hall.yml", lambda d: d.update(zones=[d["zones"][1], d["zones"][0], *d["zones"][2:]]))
    message = problems_of(data_copy)
    assert "hall.yml: field 'zones.0.id': 'B' but the English file has 'A'" in message


def test_a_missing_or_unknown_service_file_is_named(data_copy: Path):
    (data_copy / "lang/zh/services/tax_reconciliation.yml").unlink()
    shutil.copy(data_copy / "lang/zh/services/id_card.yml", data_copy / "lang/zh/services/library_card.yml")
    message = problems_of(data_copy)
    assert "lang/zh/services/tax_reconciliation.yml: missing" in message
    assert "lang/zh/services/library_card.yml: no service 'library_card'" in message


def test_chinese_situations_follow_the_same_rules(data_copy: Path):
    edit(data_copy / "lang/zh/services/senior_card.yml", lambda d: d.update(situations=d["situations"][:7]))
    assert re.search(r"lang/zh/services/senior_card\.yml: field 'situations': .*at least 8", problems_of(data_copy))


def test_a_language_without_a_folder_is_named(data_copy: Path):
    shutil.rmtree(data_copy / "lang" / "zh")
    assert "lang/zh: missing; language 'zh' is enabled" in problems_of(data_copy)


def test_all_problems_are_listed_at_once(data_copy: Path):
    edit(data_copy / "lang/zh/services/id_card.yml", lambda d: d.pop("summary"))
    edit(data_copy / "lang/zh/services/senior_card.yml", lambda d: d.pop("department"))
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(data_copy, lang="zh")
    assert len(err.value.problems) == 2


def test_adding_an_english_field_makes_the_chinese_text_incomplete(data_copy: Path):
    # a centre adds a fee note in English only: the Chinese guide would miss it, so validation says so
    edit(data_copy / "services/newborn_bundle.yml", lambda d: d["fee"].update(notes="Free of charge."))
    assert "newborn_bundle.yml: field 'fee.notes': missing; the English file has Free of charge." in problems_of(
        data_copy
    )


# --- the check run at set-up ---------------------------------------------------------------------------------


def validate(root: Path, languages: str | None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin"}
    if languages is not None:
        env["LOBBY_LANGUAGES"] = languages
    return subprocess.run(
        [sys.executable, "-m", "kb", "--data", str(root), "validate"], capture_output=True, text=True, env=env
    )


def test_validate_checks_every_enabled_language(data_copy: Path):
    assert validate(data_copy, None).returncode == 0
    edit(data_copy / "lang/zh/services/id_card.yml", lambda d: d.pop("processing_time"))
    failed = validate(data_copy, "en,zh")
    assert failed.returncode == 1
    assert "lang/zh/services/id_card.yml: field 'processing_time': missing" in failed.stderr
    default = validate(data_copy, None)  # Chinese is on by default
    assert default.returncode == 1 and "processing_time" in default.stderr
    english_only = validate(data_copy, "en")
    assert english_only.returncode == 0, english_only.stderr
    assert "languages: en" in english_only.stdout


def test_validate_refuses_a_misspelt_language_setting(data_copy: Path):
    result = validate(data_copy, "en,chinese!")
    assert result.returncode == 2 and "'chinese!' is not a language code" in result.stderr


def test_the_language_setting():
    assert enabled_languages({}) == DEFAULT_LANGUAGES == ("en", "zh")
    assert enabled_languages({"LOBBY_LANGUAGES": "en"}) == ("en",)
    assert enabled_languages({"LOBBY_LANGUAGES": "zh"}) == ("en", "zh"), "English carries the facts"
    assert parse_languages(" ZH, en ,zh ") == ("en", "zh")
    with pytest.raises(ValueError, match="empty"):
        parse_languages(" , ")


# --- the schema says, for every field, whether it is language text ---------------------------------------------

# Text-typed fields that are *not* language: codes, ids, URLs. A new field must be added either here or marked
# `Text`/`Words` in kb/schema.py, so no citizen-facing text can be forgotten by the language check.
NOT_LANGUAGE = {
    "Service.id", "Service.related", "Location.zone", "Location.windows", "Online.web_url", "Fee.currency",
    "Zone.id", "Zone.windows", "Kiosk.id", "Facility.id", "OpeningHours.open", "OpeningHours.close",
    "Desk.zone", "Hall.hotline", "Hall.website", "Hall.ticket_zones", "Hall.default_kiosk",
}  # fmt: skip


def _has_str(annotation) -> bool:
    if annotation is str:
        return True
    if get_origin(annotation) is Literal:
        return False
    return any(_has_str(a) for a in get_args(annotation) if not isinstance(a, str | int))


def _models(model: type[BaseModel], seen: set) -> None:
    if model in seen:
        return
    seen.add(model)
    for annotation in get_type_hints(model).values():
        stack = [annotation]
        while stack:
            a = stack.pop()
            if isinstance(a, type) and issubclass(a, BaseModel):
                _models(a, seen)
            elif get_origin(a) in (list, dict, Union, types.UnionType, Annotated):
                stack += list(get_args(a))


def test_every_text_field_of_the_schema_is_declared_language_or_not():
    models: set = set()
    _models(Service, models)
    _models(Hall, models)
    undeclared = []
    for model in models:
        hints = get_type_hints(model)
        for name in model.model_fields:
            key = f"{model.__name__}.{name}"
            if _has_str(hints[name]) and name not in text_fields(model) and key not in NOT_LANGUAGE:
                undeclared.append(key)
    assert not undeclared, f"mark these Text/Words in kb/schema.py or list them in NOT_LANGUAGE: {undeclared}"


def test_full_width_letters_typed_on_a_chinese_keyboard_still_match(en, zh):
    assert en.find_in_text("ＳＳＣ ｌｏｓｔ") == ["social_security_card"]
    assert zh.find_in_text("我的ＳＳＣ，也就是社保卡，丢了") == ["social_security_card"]


def test_chinese_names_are_exported_for_the_chinese_language_model(tmp_path: Path):
    out = tmp_path / "generated_kb_zh.yml"
    from kb.__main__ import main

    assert main(["export-nlu", "--lang", "zh", str(out)]) == 0
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))["nlu"]
    synonyms = {block["synonym"]: block["examples"] for block in exported if "synonym" in block}
    assert "- 社保卡" in synonyms["social_security_card"] and "- 厕所" in synonyms["restroom"]


# --- starting a language's text from a template ----------------------------------------------------------------


def test_a_template_starts_a_missing_file_and_cannot_pass_unwritten(data_copy: Path):
    from kb.__main__ import main

    zh_file = data_copy / "lang/zh/services/id_card.yml"
    kept = data_copy / "lang/zh/services/senior_card.yml"
    before = kept.read_text(encoding="utf-8")
    zh_file.unlink()
    assert main(["--data", str(data_copy), "template", "--lang", "zh"]) == 0
    assert kept.read_text(encoding="utf-8") == before, "an existing file is never overwritten"
    started = yaml.safe_load(zh_file.read_text(encoding="utf-8"))
    assert started["id"] == "id_card" and started["name"] == "TODO: Resident ID card"
    assert started["fee"] == {"notes": "TODO: 20 CNY for renewal; 40 CNY to replace a lost or damaged card."}
    assert "location" not in started, "facts stay in the English file"
    message = problems_of(data_copy)
    assert "id_card.yml: field 'summary': not written yet" in message
    assert "id_card.yml: field 'situations': not written yet" in message

    def write(d):  # a writer replaces every TODO
        def clean(v):
            if isinstance(v, str):
                return v.replace("TODO: ", "中文：")
            if isinstance(v, list):
                return [clean(x) for x in v]
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            return v

        d.update(clean(d))

    edit(zh_file, write)
    assert load_knowledge_base(data_copy, lang="zh").services["id_card"].name == "中文：Resident ID card"
