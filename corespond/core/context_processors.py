"""Navigation links by role, so each persona sees the pages of their work first.

Each link is (label, address, keyboard shortcut or ""); static/keys.js binds the shortcuts.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from corespond.core.roles import (
    CARE_ROLES,
    DISPATCH_ROLES,
    ENCOUNTER_ROLES,
    OUTCOME_ROLES,
    PROTOCOL_ROLES,
    has_role,
)
from corespond.field.services import REVIEW_ROLES as CRITICAL_REVIEW_ROLES
from corespond.sharing.services import REVIEW_ROLES


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    links = []
    if has_role(user, DISPATCH_ROLES):
        links += [
            ("New call", reverse("intake:call_new"), "n"),
            ("Dispatch board", reverse("dispatch:board"), "b"),
        ]
    if has_role(user, DISPATCH_ROLES | ENCOUNTER_ROLES | CARE_ROLES):
        links.append(("Calls", reverse("intake:call_list"), ""))
    if has_role(user, DISPATCH_ROLES | ENCOUNTER_ROLES | CARE_ROLES | PROTOCOL_ROLES):
        links.append(("Protocol", reverse("intake:protocol"), ""))
    if has_role(user, ENCOUNTER_ROLES):
        links.append(("My assignment", reverse("field:mine"), ""))
    if has_role(user, CARE_ROLES):
        links.append(("Follow-ups", reverse("care:followups"), ""))
        links.append(("Referrals", reverse("care:referrals"), ""))
        links.append(("Outreach", reverse("care:outreach"), ""))
    links.append(("Resources", reverse("care:resources"), ""))
    if has_role(user, CRITICAL_REVIEW_ROLES):
        links.append(("Critical incidents", reverse("field:critical"), ""))
    if has_role(user, REVIEW_ROLES):
        links.append(("Access review", reverse("sharing:review_queue"), ""))
    if has_role(user, OUTCOME_ROLES):
        links.append(("Dashboard", reverse("outcomes:dashboard"), ""))
        links.append(("Metrics", reverse("outcomes:metrics"), ""))
    return {"nav": links}
