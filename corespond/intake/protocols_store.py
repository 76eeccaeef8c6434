"""Reading and activating the protocol versions stored for a program.

Parsing a TOML protocol takes about a millisecond; the parsed form of each stored version is
cached by its text, so triage does not parse on every call.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from corespond.core.models import Program
from corespond.core.roles import PROTOCOL_ROLES, require_role
from corespond.intake import protocol
from corespond.intake.models import ProtocolVersion

ERR_NO_PROTOCOL = (
    "{program} has no active dispatch protocol; an administrator activates one under "
    "Configuration > Protocol versions."
)
ERR_EXAMPLES_FAIL = "Activation refused: {failed} of {total} examples fail. {details}"
ERR_NOT_DRAFT = "Only a draft can be activated; this version is {status}."


@lru_cache(maxsize=64)
def _parsed(source: str, label: str) -> protocol.Protocol:
    return protocol.parse(source, source=label)


def parsed(version: ProtocolVersion) -> protocol.Protocol:
    return _parsed(version.source, version.label)


def active_protocol(program: Program) -> tuple[ProtocolVersion, protocol.Protocol]:
    version = program.protocols.filter(status=ProtocolVersion.Status.ACTIVE).first()
    if version is None:
        raise ValidationError(ERR_NO_PROTOCOL.format(program=program))
    return version, parsed(version)


ERR_DRAFT_ONLY = "Only a draft can be edited; {label} is {status} and decisions point at it."
ERR_DUPLICATE = '{program} already has {label}; give the draft a new version = "..." at the top.'


def _parse_draft(source: str) -> protocol.Protocol:
    try:
        return protocol.parse(source, source="draft")
    except protocol.ProtocolError as exc:
        raise ValidationError({"source": str(exc)}) from exc


def _check_unique(program: Program, p: protocol.Protocol, exclude: int | None = None) -> None:
    others = program.protocols.filter(slug=p.slug, version=p.version)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ValidationError(
            {"source": ERR_DUPLICATE.format(program=program, label=f"{p.slug}@{p.version}")}
        )


def changes_from_active(version: ProtocolVersion) -> tuple[ProtocolVersion | None, str]:
    """The program's active version and, for a draft, a unified diff from it to the draft."""
    active = version.program.protocols.filter(status=ProtocolVersion.Status.ACTIVE).first()
    if active is None or version.status != ProtocolVersion.Status.DRAFT:
        return active, ""
    lines = difflib.unified_diff(
        active.source.splitlines(),
        version.source.splitlines(),
        fromfile=active.label,
        tofile=version.label,
        lineterm="",
    )
    return active, "\n".join(lines)


def protocol_draft_create(
    *, program: Program, source: str, actor: Any | None = None
) -> ProtocolVersion:
    """Store a new draft after checking that it parses; its examples run on activation.

    ``actor`` is None only for set-up (the demo loader and template installation).
    """
    if actor is not None:
        require_role(actor, PROTOCOL_ROLES, program_id=program.pk)
    p = _parse_draft(source)
    _check_unique(program, p)
    version = ProtocolVersion(program=program, slug=p.slug, version=p.version, source=source)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def protocol_draft_update(*, actor: Any, version_id: int, source: str) -> ProtocolVersion:
    """Replace a draft's text. Active and retired versions are history and stay as they are."""
    version = ProtocolVersion.objects.select_for_update().get(pk=version_id)
    require_role(actor, PROTOCOL_ROLES, program_id=version.program_id)
    if version.status != ProtocolVersion.Status.DRAFT:
        raise ValidationError(
            ERR_DRAFT_ONLY.format(label=version.label, status=version.get_status_display())
        )
    p = _parse_draft(source)
    _check_unique(version.program, p, exclude=version.pk)
    version.slug, version.version, version.source = p.slug, p.version, source
    version.full_clean()
    version.save(update_fields=["slug", "version", "source"])
    return version


@transaction.atomic
def protocol_draft_delete(*, actor: Any, version_id: int) -> None:
    """Discard a draft that will not be used; nothing points at a draft."""
    version = ProtocolVersion.objects.select_for_update().get(pk=version_id)
    require_role(actor, PROTOCOL_ROLES, program_id=version.program_id)
    if version.status != ProtocolVersion.Status.DRAFT:
        raise ValidationError(
            ERR_DRAFT_ONLY.format(label=version.label, status=version.get_status_display())
        )
    version.delete()


@transaction.atomic
def protocol_activate(
    *, actor: Any, version_id: int, now: datetime | None = None
) -> ProtocolVersion:
    """Make a draft the program's protocol, if every one of its examples passes."""
    version = ProtocolVersion.objects.select_for_update().get(pk=version_id)
    if actor is not None:
        require_role(actor, PROTOCOL_ROLES, program_id=version.program_id)
    if version.status != ProtocolVersion.Status.DRAFT:
        raise ValidationError(ERR_NOT_DRAFT.format(status=version.get_status_display()))
    try:
        results = parsed(version).run_examples()
    except protocol.ProtocolError as exc:
        raise ValidationError(str(exc)) from exc
    failing = [(n, r) for n, r in enumerate(results, 1) if not r.passed]
    if failing:
        details = " ".join(f"Example {n}: {'; '.join(r.problems)}." for n, r in failing)
        raise ValidationError(
            ERR_EXAMPLES_FAIL.format(failed=len(failing), total=len(results), details=details)
        )
    # Retire first: the partial unique index allows one active version per program.
    ProtocolVersion.objects.filter(
        program_id=version.program_id, status=ProtocolVersion.Status.ACTIVE
    ).update(status=ProtocolVersion.Status.RETIRED)
    version.status = ProtocolVersion.Status.ACTIVE
    version.activated_at = now or timezone.now()
    version.activated_by = actor if getattr(actor, "is_authenticated", False) else None
    version.save(update_fields=["status", "activated_at", "activated_by"])
    return version


def protocol_install_template(*, program: Program, name: str) -> ProtocolVersion:
    """Give a program a shipped template as its active protocol (set-up and the demo)."""
    p = protocol.load(name)
    source = (protocol.TEMPLATES_DIR / f"{name}.toml").read_text(encoding="utf-8")
    existing = program.protocols.filter(slug=p.slug, version=p.version).first()
    if existing is not None:
        if existing.status == ProtocolVersion.Status.DRAFT:
            return protocol_activate(actor=None, version_id=existing.pk)
        return existing
    draft = protocol_draft_create(program=program, source=source)
    return protocol_activate(actor=None, version_id=draft.pk)
