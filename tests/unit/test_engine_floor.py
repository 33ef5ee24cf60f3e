"""bench.engine_floor: graphql-core alone over answers in memory gives each answer back, or refuses to time it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.api_baseline import HISTORY_QUERY
from bench.engine_floor import execute_ms
from registry.config import Settings
from schema import build_schema

ANSWER: dict[str, Any] = {"officer": {
    "id": "OFC-0000000001", "dateOfBirth": "1980-02-03",
    "names": [{"kind": "PRIMARY", "givenName": "Ana", "middleName": None, "familyName": "Ruiz", "suffix": None}],
    "certifications": {"edges": [{"node": {"state": "CA", "number": "C-1", "kind": "PEACE_OFFICER",
                                           "status": "ACTIVE", "issuedOn": "2010-01-01", "expiresOn": None,
                                           "publisher": {"name": "California POST"}}}]},
    "employment": {"edges": [{"node": {"position": "Officer", "startDate": "2010-02-01", "endDate": None,
                                       "separationReason": None, "agency": {"name": "Town PD", "state": "CA"}}}]},
    "records": {"edges": [{"node": {
        "id": "REC-1", "kind": "DECERTIFICATION", "state": "CA", "reasonCategory": "EXCESSIVE_FORCE",
        "actionDate": "2020-05-01", "status": "FINAL", "fairProcessAttested": True, "disputed": False,
        "subjectStatement": None, "narrative": "n", "caseReference": "c", "publisher": {"name": "California POST"},
        "statusHistory": [{"fromStatus": None, "toStatus": "FINAL", "changedAt": "2020-05-01T00:00:00Z"}]}}]},
}}


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    return build_schema(Settings())._schema


def test_times_the_answers_it_gives_back(schema) -> None:  # type: ignore[no-untyped-def]
    ms = execute_ms(schema, HISTORY_QUERY, [(ANSWER, {"id": "OFC-0000000001"})], rounds=3)
    assert 0 < ms < 1000


def test_an_answer_it_cannot_give_back_is_refused(schema) -> None:  # type: ignore[no-untyped-def]
    wrong = copy.deepcopy(ANSWER)
    wrong["officer"]["records"]["edges"][0]["node"]["kind"] = "NOT_A_KIND"  # not a value of the enum
    with pytest.raises(ValueError, match="did not give the answer back"):
        execute_ms(schema, HISTORY_QUERY, [(wrong, {"id": "x"})], rounds=1)


def test_a_document_the_schema_does_not_have_is_refused(schema) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="does not validate"):
        execute_ms(schema, "{ noSuchField }", [(ANSWER, {})], rounds=1)
    with pytest.raises(ValueError, match="no answers"):
        execute_ms(schema, HISTORY_QUERY, [], rounds=1)
