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

ERR_ROLE = "Your role does not allow this: it needs one of {roles}."


def has_role(user: Any, roles: frozenset[str]) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(roles_of(user) & roles)


def require_role(user: Any, roles: frozenset[str]) -> None:
    if not has_role(user, roles):
        raise PermissionDenied(ERR_ROLE.format(roles=", ".join(sorted(roles))))
