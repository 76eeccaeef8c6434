"""The audit log is hash-chained: `corespond audit verify` finds a changed or removed entry."""

from __future__ import annotations

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection, transaction

from corespond.core import audit
from corespond.core.access import restrict
from corespond.core.models import AuditEvent, AuditHead
from corespond.field.models import Encounter
from corespond.people.models import Person
from tests.journey import finish_encounter


def _append(n: int, user_id: int | None = None) -> None:
    for i in range(n):
        audit.append(
            user_id=user_id,
            system_reason="" if user_id else "test",
            action="view",
            model="people.Person",
            object_ids=[i],
            purpose="operations",
            remote_addr="127.0.0.1",
        )


def _tamper(sql: str, params: list) -> None:
    """What someone with database access could do (on PostgreSQL, after lifting the trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch ordinary triggers off for the session.
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", "--quiet", *args, stdout=out)
    return out.getvalue()


def test_reads_and_writes_chain_in_order_and_verify_holds(world) -> None:
    finish_encounter(world)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 3
    head = AuditHead.objects.get()
    assert head.seq == seqs[-1]
    assert f"Audit log intact: {len(seqs)} entries. Head: {head.seq}:{head.hash}" in _verify()


def test_a_hand_edited_entry_is_named_by_verify(world) -> None:
    _append(5)
    _tamper("UPDATE core_auditevent SET purpose = %s WHERE seq = %s", ["nothing to see", 3])
    with pytest.raises(CommandError, match=r"broken at entry #3 \(id \d+\): its contents do not"):
        _verify()


def test_a_removed_entry_is_named_by_verify(world) -> None:
    _append(5)
    _tamper("DELETE FROM core_auditevent WHERE seq = %s", [2])
    with pytest.raises(CommandError, match="entry #2: missing"):
        _verify()


def test_entries_removed_from_the_end_are_caught_by_the_head_and_by_an_anchor(world) -> None:
    _append(5)
    anchor = f"5:{AuditEvent.objects.get(seq=5).hash}"
    assert "intact" in _verify("--anchor", anchor)
    _tamper("DELETE FROM core_auditevent WHERE seq >= %s", [4])
    with pytest.raises(CommandError, match="the chain ends at #3 but the head says #5"):
        _verify()
    # Even with the head rewritten to match, the recorded anchor still catches it.
    AuditHead.objects.update(seq=3, hash=AuditEvent.objects.get(seq=3).hash)
    assert "intact" in _verify()
    with pytest.raises(CommandError, match="the anchor names #5 but the chain ends at #3"):
        _verify("--anchor", anchor)


def test_a_rewritten_chain_does_not_match_an_earlier_anchor(world) -> None:
    _append(3)
    anchor = f"2:{AuditEvent.objects.get(seq=2).hash}"
    _tamper("UPDATE core_auditevent SET hash = %s WHERE seq = %s", ["f" * 64, 2])
    with pytest.raises(CommandError, match="entry #2"):
        _verify("--anchor", anchor)
    with pytest.raises(CommandError, match="--anchor must be SEQ:HASH"):
        _verify("--anchor", "two:abc")


def test_postgresql_refuses_to_change_or_delete_an_entry(world) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL; SQLite relies on the chain")
    _append(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(purpose="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_take_the_same_place(world) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _append(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == 40
    assert audit.verify().ok


def test_a_persons_accounting_of_disclosures_lists_who_saw_their_records(world) -> None:
    encounter = finish_encounter(world, given_name="Rowan")
    person = restrict(Person.objects.all(), world.clara).get(given_name="Rowan")
    restrict(Encounter.objects.filter(pk=encounter.pk), world.clara).get()
    out = StringIO()
    call_command("audit", "disclosures", "--person", str(person.pk), "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    seen = {(r["who"], r["model"], r["action"]) for r in rows}
    assert ("clara", "people.Person", "view") in seen
    assert ("clara", "field.Encounter", "view") in seen
    assert {r["category"] for r in rows if r["model"] == "people.Person"} == {"identity"}
    assert all(person.pk in r["record_ids"] for r in rows if r["model"] == "people.Person")
    # Nobody else's records leak into the list, and producing it is itself audited.
    assert not any(r["model"] == "people.Person" and r["record_ids"] != [person.pk] for r in rows)
    last = AuditEvent.objects.order_by("-seq")[0]
    assert last.purpose == "accounting of disclosures" and last.object_ids == [person.pk]
    assert audit.verify().ok
