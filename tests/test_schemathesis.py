"""Property-based requests from the OpenAPI schema never make the JSON API answer 5xx.

schemathesis generates each /api/v1 operation's parameters and bodies from the schema the
app serves (behind login); a bounded, derandomised number of examples per operation is sent
in-process by a logged-in browser, as each role alike would (the city office reaches every
object, so a generated id finds real rows too).
"""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from app.accounts.service import DEMO_PASSWORD
from tests.helpers import log_in

EXAMPLES = 25


def _operations(doc: dict) -> list:
    schema = schemathesis.openapi.from_dict(doc)
    ops = [r.ok() for r in schema.get_all_operations()]
    return [op for op in ops if op.path.startswith("/api/v1/")]


def test_the_schema_is_behind_login(client):
    assert client.get("/api/openapi.json", follow_redirects=False).status_code != 200


@pytest.mark.parametrize("role", ["city_admin", "liaison_huaxia_1"])
def test_generated_api_requests_never_answer_5xx(role, app):
    client = TestClient(app, raise_server_exceptions=False)
    log_in(client, role, DEMO_PASSWORD)
    doc = client.get("/api/openapi.json").json()
    ops = _operations(doc)
    assert {op.path for op in ops} >= {"/api/v1/parks/{park_id}", "/api/v1/grids/{grid_id}/status"}
    failures: list[str] = []
    answers: dict[int, int] = {}

    for op in ops:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def check(case):
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            kwargs.pop("cookies", None)
            resp = client.request(follow_redirects=False, **kwargs)
            answers[resp.status_code] = answers.get(resp.status_code, 0) + 1
            if resp.status_code >= 500:
                failures.append(f"{role} {case.method} {kwargs['url']}: {resp.status_code}")

        check()
    client.close()
    # Every operation was really exercised, and some requests got past validation.
    assert sum(answers.values()) >= len(ops) * 10, answers
    assert answers.get(200, 0) > 0, answers
    assert not failures, "\n".join(failures[:40])
