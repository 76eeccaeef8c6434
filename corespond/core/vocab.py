"""The canonical codes of ``spec/vocabularies.md``.

Codes are stable identifiers stored in the database; labels may change. Every app imports its
choices from here so that one code means one thing everywhere.
"""

from django.db import models


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police department"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioural-health provider"
    EMS = "ems", "Emergency medical services"
    CRISIS_LINE_988 = "crisis_line_988", "988 crisis centre"


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    CLINICIAN = "clinician", "Clinician"
    PARAMEDIC = "paramedic", "Paramedic / EMT"
    PEER = "peer", "Peer support specialist"
    CASE_MANAGER = "case_manager", "Case manager"
    DISPATCHER = "dispatcher", "Dispatcher"
    CALL_TAKER_988 = "call_taker_988", "988 call-taker"
    SUPERVISOR = "supervisor", "Supervisor"
    PROGRAM_MANAGER = "program_manager", "Program manager"
    EVALUATOR = "evaluator", "Evaluator"
    AGENCY_ADMIN = "agency_admin", "Agency administrator"


class DataCategory(models.TextChoices):
    """What a piece of person-level data is, for sharing rules and consent."""

    INCIDENT = "incident", "Incident (call and CAD facts)"
    SAFETY = "safety", "Safety flags and premise hazards"
    IDENTITY = "identity", "Identity (name, date of birth, contact)"
    ENCOUNTER = "encounter", "Encounter (times, disposition)"
    SCREENING = "screening", "Screening (C-SSRS)"
    CLINICAL_NOTE = "clinical_note", "Clinical note"
    SUD_PART2 = "sud_part2", "Substance-use treatment record (42 CFR Part 2)"
    REFERRAL = "referral", "Referral and follow-up care"
    SAFETY_PLAN = "safety_plan", "Safety plan"
    DEMOGRAPHICS = "demographics", "Demographics"


FIELD_ROLES = frozenset({Role.OFFICER, Role.CLINICIAN, Role.PARAMEDIC, Role.PEER})


class ProgramModel(models.TextChoices):
    CIRU = "ciru", "Co-response (officer + clinician), Denver CIRU"
    STAR = "star", "Alternative response (clinician + medic), Denver STAR"
    SCRT = "scrt", "Three-person team, San Francisco SCRT"
    BENSALEM = "bensalem", "Embedded social workers with follow-up, Bensalem"
    ARAPAHOE = "arapahoe", "One provider across several police departments, Arapahoe"
    MIXED = "mixed", "Mixed teams"


class ResponseType(models.TextChoices):
    CO_RESPONSE = "co_response", "Co-response: officer + clinician"
    CLINICIAN_MEDIC = "clinician_medic", "Clinician + paramedic, no police"
    THREE_PERSON = "three_person", "Paramedic + clinician + peer"
    SPECIALIZED_YOUTH = "specialized_youth", "Youth-trained team"
    SPECIALIZED_VETERAN = "specialized_veteran", "Veteran-trained team"
    PHONE_988 = "phone_988", "Resolved by 988, no dispatch"
    POLICE_ONLY = "police_only", "Police only"
    EMS_ONLY = "ems_only", "EMS first"
    POLICE_THEN_TEAM = "police_then_team", "Police secure the scene, team joins"


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    TRANSPORTING = "transporting", "Transporting"
    AT_DESTINATION = "at_destination", "At destination"
    OUT_OF_SERVICE = "out_of_service", "Out of service"
    OFF_SHIFT = "off_shift", "Off shift"


class CallType(models.TextChoices):
    """APCO 2.103.2 incident types relevant to behavioural-health response."""

    EDP = "EDP", "EDP: emotionally disturbed person"
    MNTL = "MNTL", "MNTL: mental person, non-violent"
    MTLV = "MTLV", "MTLV: mental person, violent"
    SUICIDE = "SUICIDE", "SUICIDE"
    SUICTHRT = "SUICTHRT", "SUICTHRT: suicide attempt or threat"
    WELFARE = "WELFARE", "WELFARE: welfare check / person down"
    OD = "OD", "OD: overdose"
    INTOX = "INTOX", "INTOX: intoxicated person"
    OTHER = "OTHER", "Other (not a behavioural-health type)"


# APCO types that are behavioural-health calls by definition: choosing one sets the call's
# behavioural-health flag. WELFARE (a welfare check, a person down) is not among them: it needs
# the flag set from what the caller says, like any other type.
BEHAVIORAL_HEALTH_CALL_TYPES = frozenset(
    {
        CallType.EDP,
        CallType.MNTL,
        CallType.MTLV,
        CallType.SUICIDE,
        CallType.SUICTHRT,
        CallType.INTOX,
    }
)


class CallSource(models.TextChoices):
    PHONE_911 = "911", "911"
    PHONE_988 = "988", "988 hand-off"
    POLICE_ON_SCENE = "police_on_scene", "Police on scene"
    SELF = "self", "Self"
    FAMILY = "family", "Family or friend"
    OTHER = "other", "Other"


class UnservedReason(models.TextChoices):
    NO_TEAM_FREE = "no_team_free", "No team free"
    OUTSIDE_HOURS = "outside_hours", "Outside service hours"
    CANCELLED = "cancelled", "Cancelled"
    DECLINED = "declined", "Declined"
    OTHER = "other", "Other"


class ContactOutcome(models.TextChoices):
    ENGAGED = "engaged", "Engaged"
    REFUSED = "refused", "Refused"
    DECLINED_TO_ENGAGE = "declined_to_engage", "Declined to engage"
    UNABLE_TO_LOCATE = "unable_to_locate", "Unable to locate"
    CANCELLED = "cancelled", "Cancelled"
    NO_CONTACT_SAFETY = "no_contact_safety", "No contact: safety concern"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Disposition(models.TextChoices):
    REMAINED_IN_COMMUNITY = "remained_in_community", "Remained in community"
    CRISIS_FACILITY = "crisis_facility", "Crisis facility / respite"
    SOBERING_DETOX = "sobering_detox", "Sobering or detox facility"
    EMERGENCY_DEPARTMENT = "emergency_department", "Emergency department"
    ARREST = "arrest", "Arrest"
    CITATION = "citation", "Citation"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


DIVERSION_DISPOSITIONS = frozenset(
    {
        Disposition.REMAINED_IN_COMMUNITY,
        Disposition.CRISIS_FACILITY,
        Disposition.SOBERING_DETOX,
    }
)


class TransportedBy(models.TextChoices):
    TEAM = "team", "Team"
    POLICE = "police", "Police"
    EMS = "ems", "EMS"
    SELF = "self", "Self"
    NONE = "none", "None"


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    ON_HOLD = "on-hold", "On hold"
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


REFERRAL_CLOSING_STATUSES = frozenset(
    {
        ReferralStatus.COMPLETED,
        ReferralStatus.REJECTED,
        ReferralStatus.FAILED,
        ReferralStatus.CANCELLED,
    }
)


class FollowUpOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    CONTACTED_CONNECTED = "contacted_connected", "Reached and connected to a service"
    CONTACTED_DECLINED = "contacted_declined", "Reached, declined"
    CONTACTED_NO_NEED = "contacted_no_need", "Reached, no need"
    NOT_REACHED = "not_reached", "Not reached"


class AttemptMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    VISIT = "visit", "Visit"
    TEXT = "text", "Text message"


class Intervention(models.TextChoices):
    """What the team did on scene (the services a mobile crisis team delivers under SSA
    §1947: screening and assessment, stabilisation and de-escalation, coordination and
    referral), recorded with one tap each."""

    DE_ESCALATION = "de_escalation", "De-escalation"
    ASSESSMENT = "assessment", "Crisis assessment"
    CRISIS_COUNSELING = "crisis_counseling", "Crisis counselling"
    SAFETY_PLANNING = "safety_planning", "Safety planning"
    RESOURCE_CONNECTION = "resource_connection", "Connected to a resource"
    PEER_SUPPORT = "peer_support", "Peer support"
    MEDICAL_CARE = "medical_care", "Medical care"
    TRANSPORT = "transport", "Transport"
    BASIC_NEEDS = "basic_needs", "Basic needs (food, water, clothing)"
    FAMILY_SUPPORT = "family_support", "Support for family or caregivers"


class SafetyFlagKind(models.TextChoices):
    """Facts a responder should know before knocking: the ``safety`` data category."""

    WEAPONS = "weapons", "Weapons in the home"
    VIOLENCE = "violence", "History of violence toward responders"
    ANIMAL = "animal", "Dangerous animal"
    MEDICAL = "medical", "Medical condition responders must know"
    COMMUNICATION = "communication", "Communication need (deaf, language, autism)"
    PREMISES = "premises", "Premises hazard"
    OTHER = "other", "Other"
