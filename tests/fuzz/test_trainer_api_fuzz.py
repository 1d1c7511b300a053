"""The trainer's HTTP API under schemathesis: every operation of its OpenAPI document, called by a signed-in
admin with generated path and query values, never answers with a server error and logs no error.

The real trainer (uvicorn in a thread, as `python -m trainer serve`) serves a project copy with accounts;
no dialogue core is needed (what would reach it gets the documented "not reached" answer). Sign-in is in
one fixture (`admin_session`), so a change of the trainer's login flow is one place to adapt.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import requests
import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error

from testkit.trainer import PASSWORDS, TrainerServer, add_accounts, copy_project, settings_for
from tests.fuzz.profile import fuzz_settings
from tests.fuzz.tally import TALLY

pytestmark = pytest.mark.slow  # a real trainer server and thousands of requests: not for the quick loop
TARGET = "trainer_api"
# Signing out would end the fuzzing session itself; everything else is fair game.
SKIPPED = {("POST", "/logout")}


@pytest.fixture(scope="module")
def trainer_server(tmp_path_factory):
    settings = settings_for(copy_project(tmp_path_factory.mktemp("fuzz-trainer") / "project", epochs=None))
    # The fuzz posts random sign-ins from one address; the address lock-out (tested in tests/trainer/
    # test_accounts.py) would then refuse the fuzzing admin's own sign-in, so it is out of reach here.
    settings.accounts = dataclasses.replace(settings.accounts, ip_failures=1_000_000)
    settings.ensure_dirs()
    add_accounts(settings)
    server = TrainerServer(settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def trainer_schema(trainer_server):
    """The trainer does not serve its OpenAPI document (no /openapi.json or /docs on a public host): it is
    taken from the app object, which describes the same routes."""
    return schemathesis.openapi.from_dict(trainer_server.app.openapi())


def signed_in_admin(url: str) -> requests.Session:
    """An admin signed in through the login form; posted requests carry the session's CSRF token as a header.

    A fresh one per operation fuzzed: the API can end sessions (`/sessions/{id}/revoke` with a small id is the
    fuzzing admin's own), and a revoked session would turn every later request into a redirect to the login
    page, which no check would notice."""
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=60).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = session.post(
        f"{url}/login",
        data={"username": "ada", "password": PASSWORDS["ada"], "csrf_token": csrf},
        timeout=60,
    )
    assert r.status_code == 200 and "Sign out" in r.text
    page = session.get(f"{url}/inbox", timeout=60).text
    session.headers["x-csrf-token"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session


@pytest.fixture
def admin_session(trainer_server) -> requests.Session:
    return signed_in_admin(trainer_server.url)


def test_no_trainer_operation_answers_with_a_server_error(trainer_schema, trainer_server, server_log):
    operations = [result.ok() for result in trainer_schema.get_all_operations()]
    assert len(operations) >= 20  # the whole API is searched, not a corner of it
    for operation in operations:
        if (operation.method.upper(), operation.path) not in SKIPPED:
            fuzz_operation(operation, signed_in_admin(trainer_server.url), trainer_server, server_log)


def fuzz_operation(operation, admin_session: requests.Session, trainer_server, server_log) -> None:
    @fuzz_settings(25)
    @given(case=operation.as_strategy())
    def call(case):
        with TALLY.timed(TARGET):
            response = case.call(base_url=trainer_server.url, session=admin_session, timeout=60)
        TALLY.case(TARGET, bad=response.status_code >= 400)
        case.validate_response(response, checks=[not_a_server_error])
        assert server_log.take() == [], f"{case.method} {case.formatted_path}"

    call()


def test_a_model_name_too_long_for_a_file_name_is_a_client_error_not_a_crash(admin_session, trainer_server, server_log):
    """Found by the long run: /reports/<a 300-character name> was a 500 (the file name is too long)."""
    for path in ("/reports/" + "ṱ" * 300, "/reports/" + "m" * 300 + "/confusion-en.png", "/jobs/" + "9" * 30):
        r = admin_session.get(f"{trainer_server.url}{path}", timeout=60)
        assert r.status_code in (404, 422), (path[:40], r.status_code)
    assert server_log.take() == []
