"""The knowledge base: every shipped file is valid, and broken files say what is wrong where."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kb import KnowledgeBaseError, load_knowledge_base
from kb.__main__ import export_nlu
from kb.loader import DEFAULT_DATA_DIR, load_service

REQUIRED_SERVICES = {
    "newborn_bundle", "social_security_card", "medical_insurance_ecert", "cross_province_medical",
    "provident_fund_transfer", "provident_fund_withdrawal", "pension_insurance_transfer", "pension_certification",
    "unemployment_benefit", "maternity_benefit", "id_card", "household_registration", "residence_permit",
    "no_criminal_record_certificate", "marriage_registration", "business_registration", "tax_reconciliation",
    "property_registration", "driver_license", "passport_travel_permit", "senior_card", "disability_certificate",
    "school_enrollment", "bereavement_bundle",
}  # fmt: skip

SERVICE_FILES = sorted((DEFAULT_DATA_DIR / "services").glob("*.yml"))


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    shutil.copytree(DEFAULT_DATA_DIR / "services", tmp_path / "services")
    shutil.copytree(DEFAULT_DATA_DIR / "lang", tmp_path / "lang")  # validate checks the enabled languages too
    shutil.copy(DEFAULT_DATA_DIR / "hall.yml", tmp_path / "hall.yml")
    return tmp_path


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: p.stem)
def test_every_service_file_is_valid(path: Path):
    service = load_service(path)
    assert service.id == path.stem
    assert service.aliases, "citizens need everyday names to find the service"
    assert service.location.windows


def test_the_hall_offers_every_required_service(kb):
    assert set(kb.services) >= REQUIRED_SERVICES


def test_hall_has_hotline_hours_facilities_and_kiosk_positions(kb):
    hall = kb.hall
    assert hall.hotline == "12345"
    assert hall.opening_hours and hall.closed_days
    assert {"parking", "restroom", "self_service", "printing"} <= {f.id for f in hall.facilities}
    assert hall.accessibility_desk and hall.sign_language_hours
    assert hall.default_kiosk in {k.id for k in hall.kiosks}


def test_aliases_are_unambiguous(kb):
    seen: dict[str, str] = {}
    for service in kb.services.values():
        for name in service.spoken_names:
            key = name.lower()
            assert seen.setdefault(key, service.id) == service.id, f"{name!r} names two services"


def test_a_misspelled_field_names_the_file_and_field(data_copy: Path):
    edit(data_copy / "services" / "id_card.yml", lambda d: d.update(proccessing_time=d.pop("processing_time")))
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(data_copy)
    message = str(err.value)
    assert "id_card.yml" in message and "proccessing_time" in message


def test_a_wrong_window_names_the_file_field_and_zone(data_copy: Path):
    edit(data_copy / "services" / "passport_travel_permit.yml", lambda d: d["location"].update(windows=["C99"]))
    with pytest.raises(KnowledgeBaseError, match=r"passport_travel_permit\.yml: field 'location\.windows'.*C99"):
        load_knowledge_base(data_copy)


def test_a_material_without_a_name_is_refused(data_copy: Path):
    edit(data_copy / "services" / "senior_card.yml", lambda d: d["materials"][0].pop("name"))
    with pytest.raises(KnowledgeBaseError, match=r"senior_card\.yml: field 'materials\.0\.name'"):
        load_knowledge_base(data_copy)


def test_unknown_related_service_is_refused(data_copy: Path):
    edit(data_copy / "services" / "id_card.yml", lambda d: d.update(related=["teleportation_permit"]))
    with pytest.raises(KnowledgeBaseError, match="unknown service id 'teleportation_permit'"):
        load_knowledge_base(data_copy)


def test_file_name_must_match_id(data_copy: Path):
    shutil.move(data_copy / "services" / "id_card.yml", data_copy / "services" / "identity.yml")
    with pytest.raises(KnowledgeBaseError, match="must match the file name 'identity'"):
        load_knowledge_base(data_copy)


def test_broken_yaml_is_reported_not_crashed(data_copy: Path):
    (data_copy / "services" / "id_card.yml").write_text("id: id_card\nname: [unclosed\n")
    with pytest.raises(KnowledgeBaseError, match=r"id_card\.yml: not valid YAML"):
        load_knowledge_base(data_copy)


def test_all_problems_are_listed_at_once(data_copy: Path):
    edit(data_copy / "services" / "id_card.yml", lambda d: d.pop("summary"))
    edit(data_copy / "services" / "senior_card.yml", lambda d: d.pop("department"))
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(data_copy)
    assert len(err.value.problems) == 2


def test_adding_a_service_is_adding_one_file(data_copy: Path):
    new = yaml.safe_load((data_copy / "services" / "senior_card.yml").read_text())
    situations = [
        "I want to borrow books",
        "my kids love reading",
        "I need a quiet place to study",
        "I want to read newspapers for free",
        "can I take out e-books",
        "I just moved and want to join the library",
        "my daughter needs books for school",
        "where can I borrow films",
    ]
    new.update(id="library_card", name="Public library card", aliases=["library membership"], keywords=["library"],
               situations=situations, related=[])  # fmt: skip
    (data_copy / "services" / "library_card.yml").write_text(yaml.safe_dump(new))
    kb = load_knowledge_base(data_copy)
    assert kb.resolve("library membership") == "library_card"
    assert "library membership" in export_nlu(kb)


def test_every_service_has_at_least_eight_situations(kb):
    for service in kb.services.values():
        assert len(service.situations) >= 8, service.id
        assert all(s.strip() for s in service.situations)


def test_missing_situations_name_the_file_and_field(data_copy: Path):
    edit(data_copy / "services" / "id_card.yml", lambda d: d.pop("situations"))
    with pytest.raises(KnowledgeBaseError, match=r"id_card\.yml: field 'situations': Field required"):
        load_knowledge_base(data_copy)


def test_too_few_situations_are_refused(data_copy: Path):
    edit(data_copy / "services" / "senior_card.yml", lambda d: d.update(situations=d["situations"][:7]))
    with pytest.raises(KnowledgeBaseError, match=r"senior_card\.yml: field 'situations': .*at least 8"):
        load_knowledge_base(data_copy)


def test_an_empty_situation_is_refused(data_copy: Path):
    edit(data_copy / "services" / "newborn_bundle.yml", lambda d: d["situations"].__setitem__(2, "  "))
    with pytest.raises(KnowledgeBaseError, match=r"newborn_bundle\.yml: field 'situations': .*empty strings"):
        load_knowledge_base(data_copy)


def test_cli_names_the_file_and_field_of_a_bad_situation(data_copy: Path):
    edit(data_copy / "services" / "id_card.yml", lambda d: d["situations"].append(d["situations"][0]))
    result = subprocess.run(
        [sys.executable, "-m", "kb", "--data", str(data_copy), "validate"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "id_card.yml" in result.stderr and "situations" in result.stderr and "listed twice" in result.stderr


def test_cli_validate_exits_nonzero_with_the_problem(data_copy: Path):
    edit(data_copy / "hall.yml", lambda d: d.update(default_kiosk="nowhere"))
    result = subprocess.run(
        [sys.executable, "-m", "kb", "--data", str(data_copy), "validate"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "hall.yml" in result.stderr and "default_kiosk" in result.stderr


def test_names_resolve_including_misspellings(kb):
    assert kb.resolve("hukou") == "household_registration"
    assert kb.resolve("Resident ID card") == "id_card"
    assert kb.resolve("pasport and travel permits") == "passport_travel_permit"
    assert kb.resolve("space travel licence") is None


def test_vague_words_offer_every_matching_service(kb):
    assert set(kb.candidates_for_keywords("I want to transfer something")) == {
        "provident_fund_transfer", "pension_insurance_transfer", "household_registration",
    }  # fmt: skip


def test_closed_days_and_weekends(kb):
    import datetime as dt

    assert kb.opening_hours_on(dt.date(2026, 12, 14)) == ("09:00", "17:00")  # a Monday
    assert kb.opening_hours_on(dt.date(2026, 12, 13)) is None  # a Sunday
    assert kb.opening_hours_on(dt.date(2026, 12, 25)) is None  # Christmas Day
