"""The policy matrix: every role by every data category by every sharing situation, checked
against the gate's rows, the policy's one-record answer and the pages, on real databases.

The expected answer is computed from the policy's own tables (``ROLE_CATEGORIES``, the
default agreement's ``DEFAULT_RULES``), so a change of policy changes the matrix with it, and
the URL registry (``sharing/registry.py``) makes a new page without a policy fail here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from corespond.care.models import Referral, Resource
from corespond.care.services import referral_create
from corespond.core.access import restrict
from corespond.core.vocab import AgencyKind, DataCategory, Role
from corespond.field import services as field
from corespond.field.models import ClinicalNote, Encounter, Part2Note, Screening
from corespond.intake.models import Call
from corespond.people.models import Person, SafetyFlag, SafetyPlan
from corespond.sharing import registry
from corespond.sharing.models import Consent
from corespond.sharing.policy import ROLE_CATEGORIES, decide
from corespond.sharing.services import DEFAULT_RULES, break_glass
from tests.factories import AgencyFactory, UserFactory
from tests.journey import encounter_of, make_call

# Situations of the viewer's agency towards the agency that recorded the data.
SAME = "same agency"
PARTNER_POLICE = "partner police agency, agreement in force"
PARTNER_PROVIDER = "partner provider, agreement in force"
NO_AGREEMENT = "agency in the program, no agreement"
NO_RELATION = "agency outside the program"
SITUATIONS = [SAME, PARTNER_POLICE, PARTNER_PROVIDER, NO_AGREEMENT, NO_RELATION]

# One gated model per category.
ROW_MODELS: dict[str, Any] = {
    DataCategory.SAFETY: SafetyFlag,
    DataCategory.CLINICAL_NOTE: ClinicalNote,
    DataCategory.SUD_PART2: Part2Note,
    DataCategory.INCIDENT: Call,
    DataCategory.ENCOUNTER: Encounter,
    DataCategory.IDENTITY: Person,
    DataCategory.REFERRAL: Referral,
    DataCategory.SCREENING: Screening,
    DataCategory.SAFETY_PLAN: SafetyPlan,
}


def expected(role: str, situation: str, category: str) -> bool:
    if category not in ROLE_CATEGORIES[role]:
        return False
    if situation == SAME:
        return True
    kind = {
        PARTNER_POLICE: AgencyKind.POLICE,
        PARTNER_PROVIDER: AgencyKind.BEHAVIORAL_HEALTH,
    }.get(situation)
    if kind is None:
        return False
    rule = DEFAULT_RULES.get(kind, {}).get(role, {}).get(category)
    # Part 2 records of another agency need a consent too; none exists in this part.
    return rule is not None and category != DataCategory.SUD_PART2


@dataclass
class Matrix:
    world: Any
    call: Call
    encounter: Encounter
    person: Person
    referral: Referral
    screening: Screening
    plan: SafetyPlan
    flag: SafetyFlag
    note: ClinicalNote
    part2: Part2Note
    agencies: dict[str, Any]


@pytest.fixture
def matrix(world) -> Matrix:
    # Records of Riverton PD: a call, its encounter, the person met, a referral.
    call = make_call(world)
    from corespond.dispatch.services import unit_assign

    encounter = encounter_of(unit_assign(actor=world.alice, call_id=call.pk, team_id=world.team.pk))
    person = field.encounter_person_add(
        actor=world.oscar, encounter_id=encounter.pk, given_name="Robin"
    )
    resource = Resource.objects.create(
        program=world.program, organization="Harbor", name="Crisis respite", category="crisis"
    )
    referral = referral_create(actor=world.clara, person_id=person.pk, resource_id=resource.pk)
    screening = field.screening_record(
        actor=world.clara,
        encounter_id=encounter.pk,
        person_id=person.pk,
        answers={"q1": True, "q2": False, "q6": False},
    )
    from corespond.people.services import safety_plan_save

    plan = safety_plan_save(
        actor=world.clara, person_id=person.pk, warning_signs="Withdraws", people_to_ask="Aunt"
    )
    # Notes and flags belong to the agency that wrote them: here Riverton PD, whose embedded
    # clinician wrote the notes (programs that hire clinicians into the police do this).
    now = timezone.now()
    flag = SafetyFlag.objects.create(
        person=person, agency=world.riverton, kind="animal", note="Large dog", created_at=now
    )
    note_fields = {
        "encounter": encounter,
        "person": person,
        "author_agency": world.riverton,
        "written_at": now,
    }
    note = ClinicalNote.objects.create(text="Calm after talking", **note_fields)
    part2 = Part2Note.objects.create(text="In treatment at the clinic", **note_fields)
    # A police agency that joined the program after the agreement was signed.
    hill = AgencyFactory(slug="hill-pd", name="Hill PD", kind=AgencyKind.POLICE)
    world.program.agencies.add(hill)
    agencies = {
        SAME: world.riverton,
        PARTNER_POLICE: world.lakeside,
        PARTNER_PROVIDER: world.harbor,
        NO_AGREEMENT: hill,
        NO_RELATION: world.far_county,
    }
    return Matrix(
        world, call, encounter, person, referral, screening, plan, flag, note, part2, agencies
    )


def _user(matrix: Matrix, role: str, situation: str) -> Any:
    agency = matrix.agencies[situation]
    return UserFactory(username=f"{role}-{agency.slug}", roles=[(agency, role)])


@pytest.mark.parametrize("role", Role.values)
def test_every_category_and_situation_for_a_role(matrix: Matrix, role: str) -> None:
    m = matrix
    ids = {
        Call: m.call.pk,
        Encounter: m.encounter.pk,
        Person: m.person.pk,
        Referral: m.referral.pk,
        Screening: m.screening.pk,
        SafetyPlan: m.plan.pk,
        SafetyFlag: m.flag.pk,
        ClinicalNote: m.note.pk,
        Part2Note: m.part2.pk,
    }
    wrong: list[str] = []
    for situation in SITUATIONS:
        user = _user(m, role, situation)
        for category in DataCategory.values:
            want = expected(role, situation, category)
            got = decide(
                user,
                category=category,
                program_id=m.world.program.pk,
                owner_agency_id=m.world.riverton.pk,
                person_id=m.person.pk,
            )
            if got.allowed != want:
                wrong.append(f"decide {situation} {category}: {got.allowed} ({got.basis})")
            model = ROW_MODELS.get(category)
            if model is not None:
                seen = restrict(model.objects.filter(pk=ids[model]), user).exists()
                if seen != want:
                    wrong.append(f"rows {situation} {model.__name__}: {seen}, expected {want}")
    assert wrong == [], f"{role}: " + "; ".join(wrong)


def test_police_never_see_clinical_screening_or_part2_data(matrix: Matrix) -> None:
    for role in (Role.OFFICER, Role.DISPATCHER):
        for category in (
            DataCategory.CLINICAL_NOTE,
            DataCategory.SCREENING,
            DataCategory.SUD_PART2,
        ):
            for situation in SITUATIONS:
                assert not expected(role, situation, category)
    # ...and see that a follow-up exists (follow-ups are encounter data), not the care itself.
    assert expected(Role.OFFICER, PARTNER_POLICE, DataCategory.ENCOUNTER)
    assert not expected(Role.OFFICER, PARTNER_POLICE, DataCategory.REFERRAL)


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        ("absent", False),
        ("present", True),
        ("expired", False),
        ("revoked", False),
        ("other recipient", False),
    ],
)
def test_part2_records_of_another_provider_need_a_consent_naming_the_recipient(
    matrix: Matrix, state: str, allowed: bool
) -> None:
    m = matrix
    bayview = AgencyFactory(slug="bayview-bh", name="Bayview BH", kind=AgencyKind.BEHAVIORAL_HEALTH)
    m.world.program.agencies.add(bayview)
    from corespond.sharing.services import agreement_install_defaults

    agreement_install_defaults(program=m.world.program)  # Bayview signs the agreement
    reader = UserFactory(username="bayview-clinician", roles=[(bayview, Role.CLINICIAN)])
    now = timezone.now()
    if state != "absent":
        Consent.objects.create(
            person=m.person,
            recipient=m.world.lakeside if state == "other recipient" else bayview,
            purpose="continuity of care",
            given_at=now - timedelta(days=10),
            expires_at=now - timedelta(days=1) if state == "expired" else None,
            revoked_at=now - timedelta(hours=1) if state == "revoked" else None,
        )
    got = decide(
        reader,
        category=DataCategory.SUD_PART2,
        program_id=m.world.program.pk,
        owner_agency_id=m.world.harbor.pk,
        person_id=m.person.pk,
    )
    assert got.allowed is allowed, got.basis
    if not allowed:
        assert "consent" in got.basis
    # The provider that holds the record needs no consent to read its own.
    assert decide(
        m.world.clara,
        category=DataCategory.SUD_PART2,
        program_id=m.world.program.pk,
        owner_agency_id=m.world.harbor.pk,
        person_id=m.person.pk,
    ).allowed


def test_break_the_glass_opens_one_person_for_an_hour_and_is_reviewed(matrix: Matrix) -> None:
    from django.core.exceptions import PermissionDenied

    from corespond.sharing.models import BreakGlassGrant
    from corespond.sharing.services import break_glass_review

    m = matrix
    officer = _user(m, Role.OFFICER, NO_AGREEMENT)
    assert not restrict(Person.objects.filter(pk=m.person.pk), officer).exists()
    bystander = field.encounter_person_add(
        actor=m.world.oscar, encounter_id=m.encounter.pk, given_name="Sam", involvement="family"
    )
    grant = break_glass(
        actor=officer, person_id=m.person.pk, reason="Armed standoff, need crisis history"
    )
    assert restrict(Person.objects.filter(pk=m.person.pk), officer).exists()
    assert restrict(Referral.objects.filter(pk=m.referral.pk), officer).exists()
    assert restrict(Call.objects.filter(pk=m.call.pk), officer).exists()
    # The grant is for one person: the witness on the same call stays closed.
    assert not restrict(Person.objects.filter(pk=bystander.pk), officer).exists()
    basis = decide(
        officer,
        category=DataCategory.CLINICAL_NOTE,
        program_id=m.world.program.pk,
        owner_agency_id=m.world.riverton.pk,
        person_id=m.person.pk,
    ).basis
    assert basis == "break-the-glass"
    # After the hour, the record is closed again.
    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now())
    assert not restrict(Person.objects.filter(pk=m.person.pk), officer).exists()
    # Someone else reviews it; the user cannot review their own use.
    with pytest.raises(PermissionDenied):
        break_glass_review(actor=officer, grant_id=grant.pk, note="fine")
    break_glass_review(actor=m.world.manny, grant_id=grant.pk, note="Checked with the sergeant")
    grant.refresh_from_db()
    assert grant.reviewed_by == m.world.manny


def test_break_the_glass_needs_a_reason_and_a_role_in_the_program(matrix: Matrix) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    m = matrix
    with pytest.raises(ValidationError, match="Say why"):
        break_glass(actor=_user(m, Role.OFFICER, NO_AGREEMENT), person_id=m.person.pk, reason="x")
    with pytest.raises(PermissionDenied):
        break_glass(
            actor=_user(m, Role.OFFICER, NO_RELATION),
            person_id=m.person.pk,
            reason="Not my program at all, but curious",
        )
    with pytest.raises(PermissionDenied):
        break_glass(actor=m.world.eve, person_id=m.person.pk, reason="Evaluators see counts only")


def _url_names() -> list[str]:
    def walk(resolver: URLResolver, prefix: str = "") -> list[str]:
        names = []
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue  # the admin is behind superuser sign-in and audited by the gate
                names += walk(p, prefix + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern) and p.name:
                names.append(prefix + p.name)
        return names

    return walk(get_resolver())


def test_every_page_says_whether_it_shows_person_level_data() -> None:
    names = set(_url_names())
    unclassified = names - set(registry.PERSON_LEVEL) - set(registry.NO_PERSON_DATA)
    assert unclassified == set(), (
        f"New views {sorted(unclassified)}: add each to corespond/sharing/registry.py with "
        "the data category it shows (or why it shows none)."
    )
    assert set(registry.PERSON_LEVEL) <= names and set(registry.NO_PERSON_DATA) <= names
    assert set(registry.PERSON_LEVEL.values()) <= set(DataCategory.values)


# The record pages, with the record each one shows and the roles the page is for.
RECORD_PAGES = {
    "intake:call_detail": ("call", DataCategory.INCIDENT),
    "field:encounter": ("encounter", DataCategory.ENCOUNTER),
    "people:person": ("person", DataCategory.IDENTITY),
}


@pytest.mark.parametrize("role", Role.values)
def test_record_pages_open_only_where_the_policy_allows(matrix: Matrix, role: str) -> None:
    m = matrix
    leaks = []
    for situation in SITUATIONS:
        user = _user(m, role, situation)
        client = Client()
        client.force_login(user)
        for url_name, (attr, category) in RECORD_PAGES.items():
            record = getattr(m, attr)
            status = client.get(reverse(url_name, args=[record.pk])).status_code
            allowed = expected(role, situation, category)
            if not allowed and status == 200:
                leaks.append(f"{url_name} opened for {situation}")
            if allowed and status == 404:
                leaks.append(f"{url_name} hidden from {situation} although the policy allows")
    assert leaks == [], f"{role}: " + "; ".join(leaks)


# API and FHIR reads of one record: url (with the record's id), the matrix record it reads and
# the category that decides it. The token carries every scope: only the policy may refuse.
API_RECORDS = {
    "/api/v1/calls/{}": ("call", DataCategory.INCIDENT),
    "/api/v1/encounters/{}": ("encounter", DataCategory.ENCOUNTER),
    "/fhir/Patient/person-{}": ("person", DataCategory.IDENTITY),
    "/fhir/Task/referral-{}": ("referral", DataCategory.REFERRAL),
}


@pytest.mark.parametrize("role", Role.values)
def test_api_and_fhir_reads_open_only_where_the_policy_allows(matrix: Matrix, role: str) -> None:
    from corespond.api.models import Scope
    from corespond.api.services import token_issue

    m = matrix
    leaks = []
    for situation in SITUATIONS:
        user = _user(m, role, situation)
        _, raw = token_issue(user=user, name="matrix", scopes=list(Scope.values))
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        for url, (attr, category) in API_RECORDS.items():
            status = client.get(url.format(getattr(m, attr).pk)).status_code
            allowed = expected(role, situation, category)
            if not allowed and status == 200:
                leaks.append(f"{url} opened for {situation}")
            if allowed and status != 200:
                leaks.append(f"{url} answered {status} for {situation} though the policy allows")
        # Screenings travel only inside a patient the account may see.
        search = client.get(f"/fhir/QuestionnaireResponse?patient=person-{m.person.pk}")
        shown = search.status_code == 200 and search.json()["total"] > 0
        allowed = expected(role, situation, DataCategory.IDENTITY) and expected(
            role, situation, DataCategory.SCREENING
        )
        if shown != allowed:
            leaks.append(f"screening {'shown' if shown else 'hidden'} for {situation}")
    assert leaks == [], f"{role}: " + "; ".join(leaks)
