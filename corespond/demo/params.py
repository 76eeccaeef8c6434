"""Calibration of the synthetic demo county. Every figure's source is in docs/demo-county.md.

Counts from the Lane County mobile crisis file (shared/data/lane-county-mcslc, 4,682 dispatches,
Aug 2024 - Dec 2025) were tallied once by hand-run script; only the resulting shares are kept
here, never the file's rows.
"""

from __future__ import annotations

# Calls screened by the program per year (Lane County MCSLC: 4,682 dispatches from 18 Aug 2024
# to 17 Dec 2025, about 3,500 a year; SF SCRT >5,000 in year one). Includes calls the protocol
# then makes ineligible. Our choice within that range.
CALLS_PER_YEAR = 4800

# Requests by local hour 00..23 (Lane County MCSLC "Dispatch Request Date & Time").
HOUR_WEIGHTS = [
    165,
    180,
    176,
    158,
    127,
    62,
    40,
    30,
    54,
    70,
    70,
    71,
    87,
    128,
    340,
    352,
    350,
    359,
    320,
    327,
    313,
    353,
    257,
    193,
]
# Requests by weekday Monday..Sunday (same file).
WEEKDAY_WEIGHTS = [744, 706, 796, 747, 667, 428, 494]

# APCO call types of the calls screened (program mix; Lane County reasons "Agitation",
# "Disorganized behavior", "Suicidality" mapped to EDP/MNTL/SUICTHRT; OTHER is police calls
# screened and found not behavioural-health).
CALL_TYPE_WEIGHTS = {
    "WELFARE": 28,
    "EDP": 20,
    "MNTL": 15,
    "SUICTHRT": 12,
    "INTOX": 8,
    "MTLV": 4,
    "SUICIDE": 2,
    "OD": 4,
    "OTHER": 7,
}
SOURCE_WEIGHTS = {"911": 80, "988": 8, "police_on_scene": 7, "family": 3, "self": 2}
P_WEAPONS = 0.05
P_VIOLENCE = 0.03
P_MEDICAL = 0.03

# Share of eligible calls a team reached (NYC B-HEARD: 35% got no team; STAR 44-46% answered).
P_SERVED_IN_HOURS = 0.72
UNSERVED_REASON_WEIGHTS = {
    "no_team_free": 45,
    "cancelled": 20,
    "declined": 8,
    "other": 5,
    "": 22,  # "" = not recorded
}

# Intervals in minutes, log-normal with the median and 90th percentile of Lane County MCSLC,
# computed from the time stamps (authoritative over the file's minutes columns, spec/metrics.md):
# request->dispatch median 13, p90 57; dispatch->arrival 14/31; arrival->departure 22/62 (the
# time stamps give 61 for the last p90; the minutes column gives 62, kept).
QUEUE_MINUTES = (13.0, 57.0)
TRAVEL_MINUTES = (14.0, 31.0)
ON_SCENE_MINUTES = (22.0, 62.0)
EN_ROUTE_AFTER_DISPATCH = (1.0, 4.0)
ENGAGE_AFTER_ARRIVAL = (1.0, 5.0)  # Lane County "Minutes: Arrival -> Engagement" median/p90
# Lane County leaves some stamps blank ("0:00" placeholder): 8.1% of rows lack an arrival time,
# nearly all where nobody was engaged; 0.5% of rows have on-scene time running backwards.
P_MISSING_ARRIVAL_NOT_ENGAGED = 0.14  # ~57% of encounters do not engage: ~8% overall
P_NEGATIVE_ON_SCENE = 0.005

# Contact outcome (Lane County "End Point of Dispatch", blanks dropped, spellings merged).
CONTACT_WEIGHTS = {
    "engaged": 1335,
    "unable_to_locate": 934,
    "refused": 532,
    "cancelled": 219,
    "declined_to_engage": 46,
    "no_contact_safety": 19,
    "other": 5,
}
# Disposition of engaged encounters. Lane County reports 80.1% community, 13.9% ED, 0.3% arrest
# over all dispatches, most of which never engaged anyone (they stay in the community); the ED
# share among engaged people is therefore set higher so the overall share lands near 13-14%.
# Co-response adds some arrests and citations (Colorado: 98% of calls ended without arrest).
DISPOSITION_WEIGHTS = {
    "remained_in_community": 600,
    "emergency_department": 290,
    "crisis_facility": 40,
    "sobering_detox": 15,
    "arrest": 15,
    "citation": 5,
    "other": 35,
}
# Colorado: involuntary holds in 3.2% of calls after co-response. Holds need an engaged person,
# and about 43% of encounters engage, so the per-engaged probability is 3.2% / 0.43.
P_HOLD_ENGAGED = 0.075
P_FORCE = 0.004
P_INJURY = 0.005
P_SERVICE_ENGAGED = 0.86  # Colorado: a service was provided in 86% of active calls

# People: a share of encounters are with people seen before (repeat crises).
FREQUENT_PEOPLE = 90
P_FREQUENT = 0.18
P_RETURNING = 0.12

# Follow-up outcomes (Arapahoe: 70% of follow-ups connected; SF SCRT 31% engaged in care).
FOLLOWUP_OUTCOME_WEIGHTS = {
    "contacted_connected": 55,
    "contacted_declined": 12,
    "contacted_no_need": 10,
    "not_reached": 23,
}
P_REFERRAL_ENGAGED = 0.35

RESOURCE_COUNT = 60
