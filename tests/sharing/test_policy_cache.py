"""The sharing policy reads a user's memberships and agreements once per web request."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from corespond.core.access import restrict
from corespond.people.models import Person
from corespond.sharing.policy import request_cache


def _queries(user) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        restrict(Person.objects.all(), user).exists()
    return [q["sql"] for q in captured]


def _policy_lookups(sql: list[str]) -> int:
    return sum(
        1 for q in sql if "core_membership" in q or "sharing_agreement" in q or "core_program" in q
    )


def test_policy_lookups_are_read_once_per_request(world) -> None:
    # Outside a request every gated query asks again.
    assert _policy_lookups(_queries(world.clara)) > 0
    assert _policy_lookups(_queries(world.clara)) > 0
    with request_cache():
        first = _queries(world.clara)
        second = _queries(world.clara)
    assert _policy_lookups(first) > 0
    assert _policy_lookups(second) == 0
    assert len(second) < len(first)
    # A new request starts afresh (a membership changed between requests counts).
    with request_cache():
        assert _policy_lookups(_queries(world.clara)) > 0
