"""The API fuzzed from its own OpenAPI description: no request may produce a server error.

schemathesis generates valid and invalid bodies, paths and queries for every operation from
``/openapi.json`` and sends them with a paired device's token. Every answer must also be one
the description documents, in the documented shape (so a generated client can rely on it).
The example count is kept modest for the test suite's CPU budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from web_support import pair, web_chair

EXAMPLES = 200


def test_no_request_produces_a_server_error(tmp_path: Path) -> None:
    with web_chair(tmp_path, speed=None) as chair, TestClient(chair.app) as client:
        headers = pair(client, chair, "fuzzer")
        # Revoking devices would revoke the fuzzer's own token and end the run early;
        # revoking is tested on its own in test_web_api.
        schema = schemathesis.openapi.from_asgi("/openapi.json", chair.app).exclude(
            path="/api/devices/{device_id}", method="DELETE"
        )
        cases = st.one_of(
            schema.as_strategy(GenerationMode.POSITIVE),
            schema.as_strategy(GenerationMode.NEGATIVE),
        )
        seen: set[str] = set()

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            seen.add(f"{case.operation.method.upper()} {case.operation.path}")
            case.call_and_validate(
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
            )

        check()
        # the run reached most operations, not only a few
        assert len(seen) >= 20, sorted(seen)
