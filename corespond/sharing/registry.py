"""Every page and endpoint, by what it shows: the policy-driven test matrix reads this.

A view that shows person-level data names the data category of its rows; the rows it shows
come through the gate, so the sharing policy decides them. A view that shows none says why.
A new URL in neither table fails the test suite (tests/sharing/test_matrix.py), so nobody
adds a page of person-level data without deciding what it is.
"""

from __future__ import annotations

from corespond.core.vocab import DataCategory as C

# url name -> category of the person-level rows it shows (or takes)
PERSON_LEVEL: dict[str, str] = {
    "intake:call_list": C.INCIDENT,
    "intake:call_detail": C.INCIDENT,
    "intake:call_close_unserved": C.INCIDENT,
    "dispatch:board": C.INCIDENT,
    "dispatch:board_events": C.INCIDENT,
    "dispatch:assign": C.INCIDENT,
    "field:mine": C.ENCOUNTER,
    "field:encounter": C.ENCOUNTER,
    "field:stamp": C.ENCOUNTER,
    "field:person_add": C.IDENTITY,
    "field:screening": C.SCREENING,
    "field:draft": C.ENCOUNTER,
    "field:critical": C.ENCOUNTER,
    "field:critical_review": C.ENCOUNTER,
    "field:person_link": C.IDENTITY,
    "field:intervention": C.ENCOUNTER,
    "field:note": C.CLINICAL_NOTE,
    "field:referral": C.REFERRAL,
    "care:followups": C.ENCOUNTER,
    # calls or encounters, by metric; each read through the gate with its own model's policy
    "outcomes:records": C.ENCOUNTER,
    # The REST API (api/api.py): each operation reads through the same selectors as the
    # pages, as the token's integration account.
    "api:calls_list": C.INCIDENT,
    "api:call_get": C.INCIDENT,
    "api:call_new": C.INCIDENT,
    "api:encounters_list": C.ENCOUNTER,
    "api:encounter_get": C.ENCOUNTER,
    "api:people_search": C.IDENTITY,
    "api:followups_list": C.ENCOUNTER,
    "api:referrals_list": C.REFERRAL,
    "api:referral_status": C.REFERRAL,
    "api:eido_receive": C.INCIDENT,
    "api:eido_get": C.INCIDENT,
    # FHIR for health partners (interop/fhir_api.py): each resource read through the gate
    # with its own model's category; the bundle leaves out what the account may not hold.
    "fhir:patient_read": C.IDENTITY,
    "fhir:patient_everything": C.IDENTITY,
    "fhir:search": C.ENCOUNTER,
    "fhir:task_read": C.REFERRAL,
    "fhir:task_update": C.REFERRAL,
    "care:followup": C.ENCOUNTER,
    "care:referrals": C.REFERRAL,
    "care:outreach": C.IDENTITY,
    "care:outreach_start": C.ENCOUNTER,
    "care:referral_status": C.REFERRAL,
    "people:person": C.IDENTITY,
    "people:break_glass": C.IDENTITY,
    "people:safety_plan": C.SAFETY_PLAN,
    "people:flag_add": C.SAFETY,
    "people:consents": C.SUD_PART2,
    "people:consent_revoke": C.SUD_PART2,
    "people:flag_retire": C.SAFETY,
}

# url name -> why it shows no person-level rows
NO_PERSON_DATA: dict[str, str] = {
    "home": "the user's own memberships",
    "healthz": "load balancer check",
    "activity": "records the user's own activity",
    "login": "sign-in",
    "logout": "sign-out",
    "mfa_setup": "the user's own second factor",
    "mfa_verify": "the user's own second factor",
    "intake:call_new": "a form; the call it creates is shown by call_detail",
    "intake:protocol": "protocol rules",
    "intake:protocol_draft_new": "protocol rules",
    "intake:protocol_version": "protocol rules and their synthetic examples",
    "dispatch:preview": "triage of facts sent in the request; teams are not person-level",
    "care:resources": "the resource directory",
    "care:resources_export": "the resource directory (HSDS)",
    "outcomes:metrics": "aggregates through the gate's count-only access, small cells hidden",
    "outcomes:dashboard": "the same aggregates by month, small cells hidden for evaluators",
    "outcomes:chart": "charts of those aggregates (images)",
    "outcomes:report": "the funder report: aggregates with small counts suppressed",
    "outcomes:costs": "the program's cost-model assumptions",
    "api:api-root": "the API's index",
    "fhir:api-root": "the FHIR endpoint's index",
    "fhir:metadata": "the FHIR CapabilityStatement",
    "fhir:openapi-json": "the FHIR endpoint's OpenAPI document",
    "fhir:openapi-view": "the FHIR endpoint's browsable documentation",
    "api:openapi-json": "the OpenAPI document",
    "api:openapi-view": "the browsable API documentation",
    "api:triage_dry_run": "triage of facts sent in the request; teams are not person-level",
    "api:teams_list": "teams and their status",
    "api:resources_search": "the resource directory",
    "api:metrics_catalog": "aggregates through the gate's count-only access",
    "sharing:review_queue": "who used emergency access and why; person ids only",
    "sharing:review": "marks a use of emergency access as reviewed",
}
