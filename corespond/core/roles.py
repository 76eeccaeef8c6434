"""Role checks for actions (the gate decides which records; roles decide which actions)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from corespond.core.access import roles_of
from corespond.core.vocab import FIELD_ROLES, Role

DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.CALL_TAKER_988})
CARE_ROLES = frozenset({Role.CASE_MANAGER, Role.CLINICIAN, Role.PEER, Role.SUPERVISOR})
OUTCOME_ROLES = frozenset({Role.PROGRAM_MANAGER, Role.EVALUATOR, Role.SUPERVISOR})
ENCOUNTER_ROLES = FIELD_ROLES | {Role.SUPERVISOR}
# Roles that can reach person-level records: a second factor is required for them.
PERSON_LEVEL_ROLES = frozenset(Role.values) - {Role.EVALUATOR}
# Who writes and activates a program's dispatch protocol.
PROTOCOL_ROLES = frozenset({Role.PROGRAM_MANAGER, Role.SUPERVISOR, Role.AGENCY_ADMIN})

ERR_ROLE = "Your role does not allow this: it needs one of {roles}."


def has_role(user: Any, roles: frozenset[str]) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(roles_of(user) & roles)


def require_role(user: Any, roles: frozenset[str], *, program_id: int | None = None) -> None:
    """Refuse unless the user holds one of ``roles`` (in an agency of the program, if given).

    Roles count per agency: a clinician at one provider is not a dispatcher anywhere else.
    """
    if getattr(user, "is_superuser", False):
        return
    memberships = user.memberships.filter(role__in=roles) if user.is_authenticated else None
    if program_id is not None and memberships is not None:
        memberships = memberships.filter(agency__programs__id=program_id)
    if memberships is None or not memberships.exists():
        raise PermissionDenied(ERR_ROLE.format(roles=", ".join(sorted(roles))))
