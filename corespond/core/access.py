"""The access gate: the one place that decides who may read or change person-level data.

Every protected model (calls, people, encounters, follow-ups, referrals...) uses
``GatedManager`` as its default manager. Its querysets refuse to run until they have passed
through :func:`restrict` (for a signed-in user) or :func:`system` (for a named background job
such as the demo loader). A view, selector or form that queries a protected model through
its manager any other way raises :class:`AccessGateBypassed`, in tests and in production
alike, so a forgotten check fails loudly instead of leaking. What a queryset cannot see (joins
that start from ungated models, raw SQL, related rows loaded on attribute access) the SQL
guard (:func:`sql_guard`) refuses in web requests; docs/architecture.md has the limits.

Which rows a user may read or change is decided by the sharing policy
(``corespond.sharing.policy``): the role's categories, the user's own agency's records, the
data-sharing agreements in force, Part 2 consents and break-the-glass grants. Every member of
a program may count its records by category (aggregate access).

Every evaluated read of rows through a user's stamp, and every update or delete through the
gate, writes one :class:`AuditEvent` with the ids involved.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.db.models.query import ModelIterable
from django.http import HttpRequest

if TYPE_CHECKING:
    from corespond.core.models import Program, User

M = TypeVar("M", bound=models.Model)

ERR_BYPASS = (
    "{model} holds person-level data: query it through corespond.core.access.restrict() "
    "or system(), not directly."
)
ERR_AGGREGATE_ONLY = "This access is for aggregate figures only; rows of {model} are not shown."
ERR_COMBINE = "Only querysets of {model} with the same gate stamp may be combined."
ERR_RAW = "Raw SQL on {model} would go around the access gate; use the ORM through restrict()."
ERR_COUNT_ONLY = "Aggregate access to {model} returns counts only."
ERR_UPSERT = "Upserts of {model} would change rows without a gate stamp; update through restrict()."

_remote_addr: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "corespond_remote_addr", default=None
)
_uniqueness_check: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "corespond_uniqueness_check", default=False
)
# How many gated evaluations are running now (their SQL, subqueries and prefetches included),
# and whether the SQL guard is on (core.middleware turns it on for each web request).
_inside_gate: contextvars.ContextVar[int] = contextvars.ContextVar(
    "corespond_inside_gate", default=0
)
_sql_guard_on: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "corespond_sql_guard", default=False
)
ERR_SQL = (
    "SQL reading {table} ran outside the access gate (a join from an unprotected model, raw "
    "SQL, or a related object loaded without select_related): read it through restrict()."
)


class AccessGateBypassed(RuntimeError):
    """A protected model was queried without going through the access gate."""


class AggregateOnly(PermissionDenied):
    """The caller may count these records but not read them."""


class Action:
    """What a stamp or an audit event is for (the values of AuditEvent.Action)."""

    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"
    AGGREGATE = "aggregate"


@dataclass(frozen=True)
class Stamp:
    """Proof that a queryset went through the gate, and on whose behalf."""

    user_id: int | None
    system_reason: str
    action: str
    purpose: str


class GatedQuerySet(models.QuerySet[M]):
    """A queryset that refuses to touch the database until the gate has stamped it."""

    _gate_stamp: Stamp | None = None

    def _clone(self) -> GatedQuerySet[M]:
        clone = super()._clone()  # type: ignore[misc]
        clone._gate_stamp = self._gate_stamp
        return clone

    def __repr__(self) -> str:
        if self._gate_stamp is None:
            return f"<GatedQuerySet of {self.model.__name__}, not yet through the gate>"
        return super().__repr__()

    def _is_grouped_aggregate(self) -> bool:
        """values(<groupable fields>).annotate(n=Count(...)): counts per category.

        Only fields the model lists in GATE_GROUPABLE may form the groups (a unique field such
        as an id or a name would make every group one person), and only counts come back.
        """
        groupable: frozenset[str] = getattr(self.model, "GATE_GROUPABLE", frozenset())
        fields: tuple[str, ...] = getattr(self, "_fields", None) or ()
        annotations = list(self.query.annotation_select.values())
        return (
            self._iterable_class is not ModelIterable
            and isinstance(self.query.group_by, tuple)
            and bool(fields)
            and all(f in groupable for f in fields)
            and bool(annotations)
            and all(isinstance(a, Count) for a in annotations)
        )

    def _require_stamp(self, *, rows: bool) -> Stamp:
        stamp = self._gate_stamp
        if stamp is None:
            raise AccessGateBypassed(ERR_BYPASS.format(model=self.model.__name__))
        if rows and stamp.action == Action.AGGREGATE and not self._is_grouped_aggregate():
            raise AggregateOnly(ERR_AGGREGATE_ONLY.format(model=self.model.__name__))
        return stamp

    def _ids_of(self, rows: list[Any]) -> list[Any]:
        if self._iterable_class is ModelIterable:
            return [obj.pk for obj in rows]
        return []  # values() rows: the event still records who read which model and why

    def _fetch_all(self) -> None:
        if self._result_cache is not None:
            return
        stamp = self._require_stamp(rows=True)
        with _gate_open():
            super()._fetch_all()
        if self._result_cache and stamp.action != Action.AGGREGATE:
            _audit(stamp, self.model, self._ids_of(self._result_cache))

    def iterator(self, chunk_size: int | None = None) -> Any:
        stamp = self._require_stamp(rows=True)
        if stamp.system_reason or stamp.action == Action.AGGREGATE:
            return _opened_iterator(super().iterator(chunk_size=chunk_size))
        # Streaming reads on behalf of a person are audited after the stream ends.
        return self._audited_iterator(stamp, chunk_size)

    def _audited_iterator(self, stamp: Stamp, chunk_size: int | None) -> Any:
        seen = []
        try:
            for row in _opened_iterator(super().iterator(chunk_size=chunk_size)):
                seen.append(row)
                yield row
        finally:
            # Also when the reader stops early or fails: what was read is logged.
            if seen:
                _audit(stamp, self.model, self._ids_of(seen))

    def _combine(self, other: Any) -> None:
        # A stamp proves one filter was applied to one queryset; OR-ing in an unstamped
        # queryset (or one stamped for somebody else) would carry rows past the gate.
        if not isinstance(other, GatedQuerySet) or other._gate_stamp != self._gate_stamp:
            raise AccessGateBypassed(ERR_COMBINE.format(model=self.model.__name__))

    def __or__(self, other: Any) -> Any:
        self._combine(other)
        return super().__or__(other)

    def __and__(self, other: Any) -> Any:
        self._combine(other)
        return super().__and__(other)

    def __xor__(self, other: Any) -> Any:
        self._combine(other)
        return super().__xor__(other)  # type: ignore[misc]

    def union(self, *others: Any, all: bool = False) -> Any:
        for other in others:
            self._combine(other)
        return super().union(*others, all=all)

    def intersection(self, *others: Any) -> Any:
        for other in others:
            self._combine(other)
        return super().intersection(*others)

    def difference(self, *others: Any) -> Any:
        for other in others:
            self._combine(other)
        return super().difference(*others)

    def raw(self, *args: Any, **kwargs: Any) -> Any:
        raise AccessGateBypassed(ERR_RAW.format(model=self.model.__name__))

    def count(self) -> int:
        self._require_stamp(rows=False)
        with _gate_open():
            return super().count()

    def exists(self) -> bool:
        if self._gate_stamp is None and _uniqueness_check.get():
            # Django's own unique-field and constraint validation: it learns only whether a
            # clashing row exists, never its content.
            return super().exists()
        self._require_stamp(rows=False)
        with _gate_open():
            return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        stamp = self._require_stamp(rows=False)
        if stamp.action == Action.AGGREGATE:
            # Max("address") would return a person's address: counts only.
            expressions = list(args) + list(kwargs.values())
            if not all(isinstance(e, Count) for e in expressions):
                raise AggregateOnly(ERR_COUNT_ONLY.format(model=self.model.__name__))
        with _gate_open():
            return super().aggregate(*args, **kwargs)

    def _changed_ids(self) -> list[Any]:
        # The ids about to change, read with a plain queryset on the already-gated query.
        plain: models.QuerySet[M] = models.QuerySet(
            self.model, query=self.query.chain(), using=self.db
        )
        with _gate_open():
            return list(plain.values_list("pk", flat=True))

    def update(self, **kwargs: Any) -> int:
        stamp = self._require_stamp(rows=False)
        if stamp.action != Action.CHANGE:
            raise PermissionDenied("Updates need a gate stamp for action 'change'.")
        ids = self._changed_ids()
        with _gate_open():
            count = super().update(**kwargs)
        if ids:
            _audit(stamp, self.model, ids)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        stamp = self._require_stamp(rows=False)
        if stamp.action != Action.CHANGE:
            raise PermissionDenied("Deletes need a gate stamp for action 'change'.")
        ids = self._changed_ids()
        with _gate_open():
            result = super().delete()
        if ids:
            _audit(stamp, self.model, ids)
        return result

    def extra(self, *args: Any, **kwargs: Any) -> Any:
        # extra(where=...) can OR around the policy's filter.
        raise AccessGateBypassed(ERR_RAW.format(model=self.model.__name__))

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            # An upsert overwrites existing rows without any stamp: not through here.
            raise AccessGateBypassed(ERR_UPSERT.format(model=self.model.__name__))
        return super().bulk_create(objs, *args, **kwargs)


@contextmanager
def _gate_open() -> Iterator[None]:
    token = _inside_gate.set(_inside_gate.get() + 1)
    try:
        yield
    finally:
        _inside_gate.reset(token)


def _opened_iterator(rows: Iterator[Any]) -> Iterator[Any]:
    """Rows of a gated stream; its SQL runs when the first row is asked for, inside the gate.
    (A generator must not hold a context variable across its yields, so only the step that
    reaches the database is marked.)"""
    while True:
        with _gate_open():
            try:
                row = next(rows)
            except StopIteration:
                return
        yield row


@contextmanager
def sql_guard() -> Iterator[None]:
    """Refuse, for the duration, SQL that reads a protected table outside a gated evaluation.

    The queryset gate cannot see a join that starts from an unprotected model
    (``Program.objects.values("calls__address")``), raw SQL, or Django loading a related
    object on attribute access (``followup.person`` without select_related). This check sees
    the SQL itself. core.middleware turns it on for every web request.
    """
    token = _sql_guard_on.set(True)
    try:
        yield
    finally:
        _sql_guard_on.reset(token)


_PROTECTED_TABLES: tuple[tuple[str, str], ...] | None = None


def _protected_tables() -> tuple[tuple[str, str], ...]:
    global _PROTECTED_TABLES
    if _PROTECTED_TABLES is None:
        from django.apps import apps

        _PROTECTED_TABLES = tuple(
            (f'"{m._meta.db_table}"', m._meta.db_table)
            for m in apps.get_models()
            if is_protected(m)
        )
    return _PROTECTED_TABLES


def guard_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """Database execute wrapper (installed on every connection) behind :func:`sql_guard`."""
    if _sql_guard_on.get() and not _inside_gate.get() and not _uniqueness_check.get():
        head = sql.lstrip()[:6].upper()
        if head.startswith(("SELECT", "WITH")):
            for quoted, table in _protected_tables():
                if quoted in sql:
                    raise AccessGateBypassed(ERR_SQL.format(table=table))
    return execute(sql, params, many, context)


class GatedManager(models.Manager[M]):
    """Default manager of every model that holds person-level data."""

    def get_queryset(self) -> GatedQuerySet[M]:
        return GatedQuerySet(self.model, using=self._db)

    def raw(self, *args: Any, **kwargs: Any) -> Any:
        raise AccessGateBypassed(ERR_RAW.format(model=self.model.__name__))


class GatedModel(models.Model):
    """Base of protected models: lets Django's uniqueness validation ask "does a clash exist?"
    without a stamp (forms and the admin validate before saving), and nothing else."""

    class Meta:
        abstract = True

    def validate_unique(self, exclude: Any = None) -> None:
        with _uniqueness_checks_allowed():
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude: Any = None) -> None:
        with _uniqueness_checks_allowed():
            super().validate_constraints(exclude=exclude)

    def clean_fields(self, exclude: Any = None) -> None:
        # A foreign key's validation asks whether the row it names exists (through the base
        # manager): like a uniqueness check, it learns nothing of the row's content.
        with _uniqueness_checks_allowed():
            super().clean_fields(exclude=exclude)


@contextmanager
def _uniqueness_checks_allowed() -> Iterator[None]:
    token = _uniqueness_check.set(True)
    try:
        yield
    finally:
        _uniqueness_check.reset(token)


def is_protected(model: type[models.Model]) -> bool:
    return isinstance(model._default_manager, GatedManager)


def _stamped(qs: models.QuerySet[M], stamp: Stamp) -> GatedQuerySet[M]:
    if not isinstance(qs, GatedQuerySet):
        raise TypeError(f"{qs.model.__name__} is not a protected model")
    clone = qs._chain()  # type: ignore[attr-defined]
    clone._gate_stamp = stamp
    return clone


def programs_for(user: Any, roles: Iterable[str] | None = None) -> models.QuerySet[Program]:
    """Programs in which the user holds a membership (with one of ``roles``, if given).

    Roles count per agency: an evaluator at one agency and a dispatcher at another reads rows
    only of the dispatcher's programs.
    """
    from corespond.core.models import Program

    memberships = {"agencies__memberships__user": user}
    if roles is not None:
        memberships["agencies__memberships__role__in"] = list(roles)
    return Program.objects.filter(**memberships).distinct()


def aggregate_programs(user: Any) -> models.QuerySet[Program]:
    """Programs whose aggregate figures ``user`` may read: every program for a superuser, the
    programs of their memberships for anyone else, none for an inactive or anonymous user."""
    from corespond.core.models import Program

    if not user.is_authenticated or not user.is_active:
        return Program.objects.none()
    if user.is_superuser:
        return Program.objects.all()
    return programs_for(user)


def roles_of(user: Any) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(user.memberships.values_list("role", flat=True))


def _policy_filter(qs: models.QuerySet[M], user: Any, action: str) -> models.QuerySet[M]:
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        # Superusers configure the whole installation; their reads are audited like anyone's.
        return qs
    if action == Action.AGGREGATE:
        # Counts by category for every member of the program; never rows (GatedQuerySet).
        path: str = qs.model.GATE_PROGRAM_PATH  # type: ignore[attr-defined]
        return qs.filter(**{f"{path}__in": aggregate_programs(user)})
    from corespond.sharing.policy import row_filter

    return row_filter(qs, user, write=action == Action.CHANGE)


def restrict(
    qs: models.QuerySet[M], user: Any, *, action: str = Action.VIEW, purpose: str = "operations"
) -> GatedQuerySet[M]:
    """Narrow ``qs`` to what ``user`` may see for ``action``, and stamp it as gated."""
    filtered = _policy_filter(qs, user, action)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    return _stamped(filtered, Stamp(user_id, "", action, purpose))


def system(qs: models.QuerySet[M], *, reason: str, action: str = Action.VIEW) -> GatedQuerySet[M]:
    """Unrestricted access for a named job with no signed-in user (demo loader, CLI).

    The reason is recorded in the audit log for row reads, so keep it specific.
    """
    if not reason:
        raise ValueError("system access needs a reason")
    return _stamped(qs, Stamp(None, reason, action, "system"))


@contextmanager
def maintaining(model: type[M], *, reason: str) -> Iterator[models.QuerySet[M]]:
    """Writes to a derived table (a model with ``GATE_DERIVED``), such as the crisis contacts
    the people metrics count (outcomes/rollup.py): its rows are rewritten from records read
    through the gate, and nothing leaves. The job that keeps the table logs each of its runs
    (``reason``), not each row it rewrites, as bulk system reads are logged."""
    if not getattr(model, "GATE_DERIVED", False):
        raise TypeError(f"{model.__name__} is not a derived table")
    if not reason:
        raise ValueError("maintaining a derived table needs a reason")
    with _gate_open():
        yield models.QuerySet(model)


def acting_user(request: HttpRequest) -> User:
    """The signed-in user of a request behind @login_required."""
    from corespond.core.models import User

    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user


def set_remote_addr(addr: str | None) -> contextvars.Token[str | None]:
    return _remote_addr.set(addr)


def reset_remote_addr(token: contextvars.Token[str | None]) -> None:
    _remote_addr.reset(token)


def _audit(stamp: Stamp, model: type[models.Model], ids: list[Any]) -> None:
    from corespond.core.audit import append

    if stamp.system_reason and stamp.action == Action.VIEW:
        # Bulk background jobs read whole tables; their runs are logged by the job itself.
        return
    append(
        user_id=stamp.user_id,
        system_reason=stamp.system_reason,
        action=stamp.action,
        model=model._meta.label,
        object_ids=ids,
        purpose=stamp.purpose,
        remote_addr=_remote_addr.get(),
    )


def audit_event(
    *, user: Any, action: str, model: type[models.Model], ids: list[Any], purpose: str = ""
) -> None:
    """Record a write or an aggregate read that did not pass through a queryset."""
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    reason = "" if user_id else str(user or "system")
    _audit(Stamp(user_id, reason, action, purpose or "operations"), model, ids)
