"""The published JSON Schema of a ticket (schemas/ticket.schema.json) is the one the Ticket model generates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from gpu_reclaim.scoring.tickets import TICKET_FIELDS, ticket_json_schema

from tests.unit.test_tickets import sample_ticket

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "ticket.schema.json"


def published_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return schema


def test_the_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == ticket_json_schema(), (
        "regenerate: python -m gpu_reclaim.scoring.tickets > schemas/ticket.schema.json"
    )


def test_the_schema_names_every_contract_field_as_required_and_nothing_else() -> None:
    schema = published_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert tuple(schema["properties"]) == TICKET_FIELDS
    assert set(schema["required"]) == set(TICKET_FIELDS)
    assert schema["additionalProperties"] is False


def test_a_ticket_line_validates_and_a_broken_one_does_not() -> None:
    validator = jsonschema.Draft202012Validator(published_schema())
    line = json.loads(sample_ticket().feed_line())
    assert list(validator.iter_errors(line)) == []
    for broken in (
        {**line, "status": "open"},
        {**line, "window_start": "2026-11-02 00:00"},
        {**line, "unknown": 1},
        {key: value for key, value in line.items() if key != "evidence"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)
