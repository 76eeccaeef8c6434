"""FHIR R4 resources built from corespond's records, one function per resource.

Every builder takes records already read through the gate (corespond.interop.fhir does the
reading) and returns the resource as a JSON-ready dict that has been checked against the
``fhir.resources`` R4B model of its type, so a malformed resource fails here, not at the
partner. Builders read only the fields and related objects named in their docstrings: the
caller loads those with ``select_related``, so no protected row is fetched behind the gate.

Ids are deterministic (``Patient/person-12``, ``Task/referral-7``): a partner that stored a
resource can send it back, and corespond finds the record again without a lookup table.
docs/fhir.md maps every field.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.encounter import Encounter as FhirEncounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from corespond.core.vocab import (
    REFERRAL_CLOSING_STATUSES,
    AgencyKind,
    ContactOutcome,
    DataCategory,
    ReferralStatus,
    ResponseType,
)
from corespond.field import cssrs

if TYPE_CHECKING:
    from corespond.care.models import Referral, Resource
    from corespond.core.models import Agency, Program
    from corespond.field.models import Encounter, Screening
    from corespond.people.models import Person
    from corespond.sharing.models import Consent

# Identifier systems: which corespond record an identifier value names.
SYSTEM_PERSON = "urn:corespond:person"
SYSTEM_PERSON_EXTERNAL = "urn:corespond:person-external-id"
SYSTEM_ENCOUNTER = "urn:corespond:encounter"
SYSTEM_CALL = "urn:corespond:call-reference"
SYSTEM_SCREENING = "urn:corespond:screening"
SYSTEM_REFERRAL = "urn:corespond:referral"
SYSTEM_CONSENT = "urn:corespond:consent"
SYSTEM_AGENCY = "urn:corespond:agency"
SYSTEM_PROGRAM = "urn:corespond:program"
SYSTEM_RESOURCE = "urn:corespond:resource"
SYSTEM_HSDS_ORGANIZATION = "urn:corespond:hsds-organization"

# corespond's own code systems: the codes of spec/vocabularies.md, unchanged.
VOCAB_DISPOSITION = "urn:corespond:vocab:disposition"
VOCAB_CALL_TYPE = "urn:corespond:vocab:call-type"
VOCAB_RESPONSE_TYPE = "urn:corespond:vocab:response-type"
VOCAB_RISK_LEVEL = "urn:corespond:vocab:cssrs-risk-level"
VOCAB_DATA_CATEGORY = "urn:corespond:vocab:data-category"
VOCAB_RESOURCE_CATEGORY = "urn:corespond:vocab:resource-category"

# Standard code systems.
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"

# LOINC answers to the C-SSRS yes/no items (the answer list LOINC gives these items).
LOINC_YES = ("LA33-6", "Yes")
LOINC_NO = ("LA32-8", "No")
LOINC_CONSENT_DOCUMENT = "59284-0"
PART2_REGULATION = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"

# Police are government departments; the others deliver care.
ORGANIZATION_KIND: dict[str, tuple[str, str]] = {
    AgencyKind.POLICE: ("govt", "Government"),
    AgencyKind.BEHAVIORAL_HEALTH: ("prov", "Healthcare Provider"),
    AgencyKind.EMS: ("prov", "Healthcare Provider"),
    AgencyKind.CRISIS_LINE_988: ("prov", "Healthcare Provider"),
}

# Person.sex is free text (imports keep the source's word); FHIR administrative gender.
GENDER_WORDS = {
    "male": "male",
    "m": "male",
    "man": "male",
    "female": "female",
    "f": "female",
    "woman": "female",
    "other": "other",
    "nonbinary": "other",
    "non-binary": "other",
    "x": "other",
    "unknown": "unknown",
    "u": "unknown",
}

# ServiceRequest statuses are coarser than Task statuses: the request stays active while the
# receiving organization works on it, and ends completed or revoked with the loop.
SERVICE_REQUEST_STATUS = {
    ReferralStatus.DRAFT: "draft",
    ReferralStatus.REQUESTED: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.IN_PROGRESS: "active",
    ReferralStatus.ON_HOLD: "on-hold",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.REJECTED: "revoked",
    ReferralStatus.CANCELLED: "revoked",
    ReferralStatus.FAILED: "revoked",
    ReferralStatus.ENTERED_IN_ERROR: "entered-in-error",
}

FIELD_CLASS = {"system": ACT_CODE, "code": "FLD", "display": "field"}
VIRTUAL_CLASS = {"system": ACT_CODE, "code": "VR", "display": "virtual"}


# --- ids and references -----------------------------------------------------------------------


def patient_id(person_pk: int) -> str:
    return f"person-{person_pk}"


def encounter_id(encounter_pk: int) -> str:
    return f"encounter-{encounter_pk}"


def referral_id(referral_pk: int) -> str:
    """The id of both the ServiceRequest and the Task of a referral."""
    return f"referral-{referral_pk}"


def screening_id(screening_pk: int) -> str:
    return f"screening-{screening_pk}"


def risk_observation_id(screening_pk: int) -> str:
    return f"screening-{screening_pk}-risk"


def consent_id(consent_pk: int) -> str:
    return f"consent-{consent_pk}"


def agency_org_id(agency_pk: int) -> str:
    return f"agency-{agency_pk}"


def program_org_id(program_pk: int) -> str:
    return f"program-{program_pk}"


def provider_org_id(resource_pk: int) -> str:
    # The directory keeps a service's organization as a name on the service, not as a row of
    # its own, so the organization is named after the service it provides.
    return f"resource-{resource_pk}"


def ref(resource_type: str, resource_id: str, display: str = "") -> dict[str, str]:
    reference = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def _identifier(system: str, value: object) -> dict[str, str]:
    return {"system": system, "value": str(value)}


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [_coding(system, code, display)]}
    if display:
        concept["text"] = display
    return concept


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _period(start: datetime | None, end: datetime | None) -> dict[str, str] | None:
    if start is None and end is None:
        return None
    if start is not None and end is not None and end < start:
        # A negative interval is a data-quality error corespond keeps and counts
        # (spec/vocabularies.md); FHIR forbids an end before the start, so only the start goes.
        end = None
    period = {"start": _when(start), "end": _when(end)}
    return {k: v for k, v in period.items() if v is not None}


def _checked(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The resource as the R4B model reads it back: fails loudly on anything malformed."""
    clean = {k: v for k, v in data.items() if v not in (None, [], {}, "")}
    result: dict[str, Any] = model.model_validate(clean).model_dump(mode="json")
    return result


# --- organizations --------------------------------------------------------------------------


def agency_organization(agency: Agency) -> dict[str, Any]:
    """Organization for an agency (slug, name, kind)."""
    kind = ORGANIZATION_KIND.get(agency.kind)
    return _checked(
        Organization,
        {
            "resourceType": "Organization",
            "id": agency_org_id(agency.pk),
            "identifier": [_identifier(SYSTEM_AGENCY, agency.slug)],
            "active": True,
            "type": [_concept(ORGANIZATION_TYPE, *kind)] if kind else None,
            "name": agency.name,
        },
    )


def program_organization(program: Program) -> dict[str, Any]:
    """Organization for a co-responder program: the requester of its referrals."""
    return _checked(
        Organization,
        {
            "resourceType": "Organization",
            "id": program_org_id(program.pk),
            "identifier": [_identifier(SYSTEM_PROGRAM, program.slug)],
            "active": True,
            "type": [_concept(ORGANIZATION_TYPE, "team", "Organizational team")],
            "name": program.name,
        },
    )


def provider_organization(resource: Resource) -> dict[str, Any]:
    """Organization that provides a directory service (name, HSDS id, phone, email, address)."""
    telecom = []
    if resource.phone:
        telecom.append({"system": "phone", "value": resource.phone})
    if resource.email:
        telecom.append({"system": "email", "value": resource.email})
    identifiers = [_identifier(SYSTEM_RESOURCE, resource.pk)]
    if resource.organization_external_id:
        identifiers.append(_identifier(SYSTEM_HSDS_ORGANIZATION, resource.organization_external_id))
    return _checked(
        Organization,
        {
            "resourceType": "Organization",
            "id": provider_org_id(resource.pk),
            "identifier": identifiers,
            "active": resource.status == "active",
            "type": [_concept(ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
            "name": resource.organization or resource.name,
            "telecom": telecom,
            "address": [{"text": resource.address}] if resource.address else None,
        },
    )


# --- Patient --------------------------------------------------------------------------------


def gender_of(sex: str) -> str | None:
    """FHIR administrative gender from the free-text field; None when nothing was recorded."""
    word = sex.strip().lower()
    if not word:
        return None
    return GENDER_WORDS.get(word, "unknown")


def patient_resource(person: Person) -> dict[str, Any]:
    """Patient from a person's identity fields (the ``identity`` category only: race,
    ethnicity and veteran status are ``demographics`` and are not exported)."""
    identifiers = [_identifier(SYSTEM_PERSON, person.pk)]
    if person.external_id:
        identifiers.append(_identifier(SYSTEM_PERSON_EXTERNAL, person.external_id))
    name: dict[str, Any] = {"text": str(person), "given": [person.given_name]}
    if person.family_name:
        name["family"] = person.family_name
    return _checked(
        Patient,
        {
            "resourceType": "Patient",
            "id": patient_id(person.pk),
            "identifier": identifiers,
            "name": [name],
            "gender": gender_of(person.sex),
            "birthDate": person.birth_date.isoformat() if person.birth_date else None,
            "telecom": [{"system": "phone", "value": person.phone}] if person.phone else None,
            "address": [{"text": person.address}] if person.address else None,
            "managingOrganization": ref(
                "Organization", agency_org_id(person.recorded_by_agency_id)
            ),
        },
    )


# --- Encounter ------------------------------------------------------------------------------


def is_virtual(encounter: Encounter) -> bool:
    """Phone-only: nobody went to the scene. corespond has no field for this; it shows as a
    call the protocol resolved by 988 (response type ``phone_988``) with no arrival stamp,
    or as a team whose make-up is ``phone_988``. Reads ``encounter.team`` and
    ``encounter.call.triage``."""
    team = encounter.team
    if team is not None and team.response_type == ResponseType.PHONE_988:
        return True
    triage = getattr(encounter.call, "triage", None)
    return (
        triage is not None
        and triage.response_type == ResponseType.PHONE_988
        and encounter.arrived_at is None
    )


def encounter_status(encounter: Encounter) -> str:
    if encounter.completed_at is not None:
        if encounter.contact_outcome == ContactOutcome.CANCELLED:
            return "cancelled"
        return "finished"
    if encounter.arrived_at is not None or encounter.engaged_at is not None:
        return "in-progress"
    return "planned"


def encounter_resource(encounter: Encounter, *, subject_pk: int | None) -> dict[str, Any]:
    """Encounter from a field encounter. Reads ``call`` (with ``agency`` and ``triage``) and
    ``team`` (with ``agency``); ``subject_pk`` is the person in crisis, if known to the
    caller (through EncounterPerson)."""
    call = encounter.call
    provider = encounter.team.agency_id if encounter.team is not None else call.agency_id
    start = encounter.arrived_at or encounter.engaged_at
    if start is None:
        start = encounter.dispatched_at or encounter.received_at
    hospitalization = None
    if encounter.disposition:
        label = encounter.get_disposition_display()
        disposition = _concept(VOCAB_DISPOSITION, encounter.disposition, label)
        if encounter.disposition_text:
            disposition["text"] = encounter.disposition_text
        hospitalization = {"dischargeDisposition": disposition}
    return _checked(
        FhirEncounter,
        {
            "resourceType": "Encounter",
            "id": encounter_id(encounter.pk),
            "identifier": [
                _identifier(SYSTEM_ENCOUNTER, encounter.pk),
                _identifier(SYSTEM_CALL, call.reference),
            ],
            "status": encounter_status(encounter),
            "class": VIRTUAL_CLASS if is_virtual(encounter) else FIELD_CLASS,
            "type": [
                _concept(
                    VOCAB_RESPONSE_TYPE,
                    encounter.team.response_type,
                    encounter.team.get_response_type_display(),
                )
            ]
            if encounter.team is not None
            else None,
            "reasonCode": [_concept(VOCAB_CALL_TYPE, call.call_type, call.get_call_type_display())],
            "subject": ref("Patient", patient_id(subject_pk)) if subject_pk else None,
            "period": _period(start, encounter.cleared_at or encounter.completed_at),
            "hospitalization": hospitalization,
            "serviceProvider": ref("Organization", agency_org_id(provider)),
        },
    )


# --- C-SSRS screening -----------------------------------------------------------------------


def _answer(value: bool) -> dict[str, Any]:
    code, display = LOINC_YES if value else LOINC_NO
    return {"valueCoding": _coding(LOINC, code, display)}


def questionnaire_response_resource(
    screening: Screening, *, with_encounter: bool = True
) -> dict[str, Any]:
    """QuestionnaireResponse of a C-SSRS screen: one item per question asked, its linkId the
    item's LOINC code (the way LOINC-coded forms name their items, as FHIR R4 gives a response
    item no code of its own), with a LOINC yes/no answer. Items the skip logic did not ask are
    left out. Reads no related object (only ``encounter_id`` and ``person_id``)."""
    items = []
    for item, (question, loinc) in cssrs.ITEMS.items():
        value = getattr(screening, item)
        if value is not None:
            items.append({"linkId": loinc, "text": question, "answer": [_answer(value)]})
    return _checked(
        QuestionnaireResponse,
        {
            "resourceType": "QuestionnaireResponse",
            "id": screening_id(screening.pk),
            "identifier": _identifier(SYSTEM_SCREENING, screening.pk),
            "status": "completed",
            "subject": ref("Patient", patient_id(screening.person_id))
            if screening.person_id
            else None,
            "encounter": ref("Encounter", encounter_id(screening.encounter_id))
            if with_encounter
            else None,
            "authored": _when(screening.screened_at),
            "item": items,
        },
    )


def risk_observation_resource(
    screening: Screening, *, with_encounter: bool = True
) -> dict[str, Any]:
    """Observation of the C-SSRS risk level (LOINC 93374-7), derived from the response."""
    level = screening.risk_level
    return _checked(
        Observation,
        {
            "resourceType": "Observation",
            "id": risk_observation_id(screening.pk),
            "status": "final",
            "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
            "code": {
                "coding": [_coding(LOINC, cssrs.RISK_LOINC, "Suicide risk level")],
                "text": "C-SSRS suicide risk level",
            },
            "subject": ref("Patient", patient_id(screening.person_id))
            if screening.person_id
            else None,
            "encounter": ref("Encounter", encounter_id(screening.encounter_id))
            if with_encounter
            else None,
            "effectiveDateTime": _when(screening.screened_at),
            "valueCodeableConcept": _concept(
                VOCAB_RISK_LEVEL, level, screening.get_risk_level_display()
            ),
            "derivedFrom": [ref("QuestionnaireResponse", screening_id(screening.pk))],
        },
    )


# --- referrals (Gravity SDOH closed-loop pattern) ------------------------------------------


def _referral_encounter(referral: Referral, with_encounter: bool) -> dict[str, str] | None:
    if not with_encounter or referral.encounter_id is None:
        return None
    return ref("Encounter", encounter_id(referral.encounter_id))


def service_request_resource(referral: Referral, *, with_encounter: bool = True) -> dict[str, Any]:
    """ServiceRequest of a referral: what was asked of whom. Reads ``resource`` (with
    ``program``)."""
    resource = referral.resource
    return _checked(
        ServiceRequest,
        {
            "resourceType": "ServiceRequest",
            "id": referral_id(referral.pk),
            "identifier": [_identifier(SYSTEM_REFERRAL, referral.pk)],
            "status": SERVICE_REQUEST_STATUS[ReferralStatus(referral.status)],
            "intent": "order",
            "category": [
                _concept(VOCAB_RESOURCE_CATEGORY, resource.category, resource.category_label())
            ],
            "code": {"text": resource.name},
            "subject": ref("Patient", patient_id(referral.person_id)),
            "encounter": _referral_encounter(referral, with_encounter),
            "authoredOn": _when(referral.created_at),
            "requester": ref("Organization", program_org_id(resource.program_id)),
            "performer": [ref("Organization", provider_org_id(resource.pk))],
        },
    )


def task_resource(referral: Referral, *, with_encounter: bool = True) -> dict[str, Any]:
    """Task that tracks a referral to its close: its status is the referral's status (the
    vocabulary's referral statuses are Task statuses). Reads ``resource``."""
    closed = referral.status in REFERRAL_CLOSING_STATUSES
    return _checked(
        Task,
        {
            "resourceType": "Task",
            "id": referral_id(referral.pk),
            "identifier": [_identifier(SYSTEM_REFERRAL, referral.pk)],
            "status": referral.status,
            "intent": "order",
            "code": _concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
            "focus": ref("ServiceRequest", referral_id(referral.pk)),
            "for": ref("Patient", patient_id(referral.person_id)),
            "encounter": _referral_encounter(referral, with_encounter),
            "authoredOn": _when(referral.created_at),
            "lastModified": _when(referral.status_changed_at),
            "executionPeriod": _period(
                referral.created_at, referral.status_changed_at if closed else None
            ),
            "requester": ref("Organization", program_org_id(referral.resource.program_id)),
            "owner": ref("Organization", provider_org_id(referral.resource_id)),
        },
    )


# --- consent --------------------------------------------------------------------------------


def consent_status(consent: Consent, now: datetime) -> str:
    if consent.revoked_at is not None and consent.revoked_at <= now:
        return "inactive"
    if consent.expires_at is not None and consent.expires_at <= now:
        return "inactive"
    if consent.given_at > now:
        return "proposed"
    return "active"


def consent_resource(consent: Consent, *, now: datetime) -> dict[str, Any]:
    """Consent to disclose one category of a person's records to one named agency. Reads
    ``recipient``."""
    ends = [t for t in (consent.revoked_at, consent.expires_at) if t is not None]
    part2 = consent.category == DataCategory.SUD_PART2
    if part2:
        rule = _concept(ACT_CODE, "42CFRPart2", "42 CFR Part2")
        policy = [{"authority": "https://www.ecfr.gov", "uri": PART2_REGULATION}]
    else:
        rule = _concept(ACT_CODE, "OPTIN", "opt-in")
        policy = None
    category_label = DataCategory(consent.category).label
    return _checked(
        FhirConsent,
        {
            "resourceType": "Consent",
            "id": consent_id(consent.pk),
            "identifier": [_identifier(SYSTEM_CONSENT, consent.pk)],
            "status": consent_status(consent, now),
            "scope": _concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
            "category": [
                _concept(LOINC, LOINC_CONSENT_DOCUMENT, "Patient Consent"),
                _concept(ACT_CODE, "IDSCL", "information disclosure"),
            ],
            "patient": ref("Patient", patient_id(consent.person_id)),
            "performer": [ref("Patient", patient_id(consent.person_id))],
            "dateTime": _when(consent.given_at),
            "policy": policy,
            "policyRule": rule,
            "provision": {
                "type": "permit",
                "period": _period(consent.given_at, min(ends) if ends else None),
                "actor": [
                    {
                        "role": _concept(PARTICIPATION_TYPE, "IRCP", "information recipient"),
                        "reference": ref(
                            "Organization",
                            agency_org_id(consent.recipient_id),
                            consent.recipient.name,
                        ),
                    }
                ],
                "purpose": [{"display": consent.purpose}],
                "securityLabel": [
                    _coding(ACT_CODE, "ETH", "substance abuse information sensitivity")
                ]
                if part2
                else None,
                "code": [_concept(VOCAB_DATA_CATEGORY, consent.category, category_label)],
            },
        },
    )
