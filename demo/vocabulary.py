"""The words the demo is made of: names, narratives, case prefixes and the shapes of its records."""

from __future__ import annotations

from datetime import date

from demo.cast import (
    BAYVIEW,
    BRAZOS_BEND,
    CALEA,
    CASCADE_FALLS,
    CEDAR_CREEK,
    CORAL_BAY,
    EVERGREEN,
    FEDERAL,
    GULF_SHORES,
    HARBOR_CITY,
    HUDSON_VALLEY,
    LAKEVIEW,
    MISSION_HILLS,
    PALMETTO,
    PECAN_GROVE,
    PUGET_SOUND,
    RIVERSIDE,
    SIERRA_VISTA,
    STATE_PATROL,
    TRIBAL,
    WESTERN,
)

MALE_NAMES = (
    "James", "Michael", "Robert", "John", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
    "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Andrew", "Joshua", "Kevin", "Brian", "Jason",
    "Ryan", "Eric", "Tyler", "Aaron", "Marcus", "Jamal", "Darnell", "Terrence", "José", "Luis",
    "Carlos", "Miguel", "Juan", "Andrés", "Alejandro", "Jesús", "Héctor", "Raúl", "Minh", "Rajesh",
)
FEMALE_NAMES = (
    "Mary", "Jennifer", "Patricia", "Elizabeth", "Jessica", "Sarah", "Karen", "Lisa", "Ashley", "Emily",
    "Michelle", "Amanda", "Stephanie", "Nicole", "María", "Sofía", "Ana", "Guadalupe", "Lucía", "Keisha",
    "Latoya", "Aaliyah", "Mei", "Priya", "Siobhán", "Zoë",
)
MALE_MIDDLE = ("Lee", "James", "Allen", "Ray", "Edward", "Antonio", "Wayne", "J.", "M.", "R.", "T.")
FEMALE_MIDDLE = ("Ann", "Marie", "Lynn", "Elena", "Nicole", "Rose", "J.", "M.", "R.", "T.")
SURNAMES = (
    "Smith", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
    "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
    "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Murphy",
    "O'Brien", "McCarthy", "Kowalski", "Yamamoto", "Kim", "Patel", "Singh", "Chen", "Tran", "Washington",
    "Okafor", "Peña", "Núñez", "Muñoz", "Ibáñez", "De la Cruz", "García Márquez", "Hernández López",
    "Smith-Jones", "Nguyen-Tran", "Garcia-Lopez", "St. Pierre",
)
SUFFIXES = ("Jr.", "Jr.", "Sr.", "II", "III")

# -- records -------------------------------------------------------------------------------------

NARRATIVES = {
    "EXCESSIVE_FORCE": "On {day}, during the arrest of a subject who was already handcuffed and compliant, the "
                       "officer struck the subject repeatedly and applied a carotid restraint not permitted by "
                       "{agency} policy. Body-worn camera footage and two civilian witnesses corroborated the "
                       "complaint.",
    "DISHONESTY": "An internal affairs audit found that the officer wrote false statements in arrest reports, "
                  "including a claimed consent search on {day} that body-worn camera footage showed did not "
                  "occur. The officer's statements in the investigation were also found untruthful.",
    "ABUSE_OF_POWER": "The officer used law-enforcement databases to obtain personal information about a "
                      "former partner and, on {day}, threatened a civilian with arrest to settle a private "
                      "dispute.",
    "SEXUAL_ASSAULT": "Sustained finding that on {day} the officer sexually assaulted a person detained during "
                      "a traffic stop. The matter was referred to the district attorney.",
    "BIAS": "Investigation sustained allegations that the officer exchanged messages expressing racial and "
            "religious bias and applied enforcement disproportionately; the last incident was on {day}.",
    "CRIMINAL_CONDUCT": "The officer was convicted of felony theft for taking cash seized as evidence; the "
                        "conviction was entered on {day}.",
    "LAW_ENFORCEMENT_GANG": "The officer was found to be a member of an unsanctioned group within {agency} "
                            "whose members shared tattoos and rewarded uses of force, a law enforcement gang "
                            "as defined by state law. Finding dated {day}.",
    "FAILURE_TO_COOPERATE": "The officer refused to answer questions in an administrative investigation after a "
                            "lawful order compelling an interview on {day}.",
    "FAILURE_TO_INTERVENE": "On {day} the officer watched a fellow officer kick a restrained subject and neither "
                            "intervened nor reported the use of force, as {agency} policy requires.",
    "DOMESTIC_VIOLENCE": "The officer was convicted of misdemeanor domestic battery against a household member "
                         "on {day}, which prohibits possessing a firearm under 18 U.S.C. 922(g)(9).",
    "SUBSTANCE_ABUSE": "On {day} the officer reported for duty under the influence of alcohol (breath test "
                       "0.11) and drove a patrol vehicle.",
    "TRAINING_STANDARDS": "The officer did not complete the required continuing professional training hours "
                          "for two consecutive reporting periods ending {day}.",
    "OTHER": "Misconduct finding dated {day}.",
}
CASE_PREFIX = {
    "ca-post": "CA-POST", "tx-tcole": "TCOLE", "wa-cjtc": "CJTC", "fl-cjstc": "CJSTC", "ny-mptc": "MPTC",
    "bayview-pd": "BPD-IA", "harbor-city-pd": "HCPD-IA", "sierra-vista-sd": "SVSD-IA", "palmetto-so": "PCSO-PSU",
    "hudson-valley-so": "HVSO-OPR", "cedar-creek-pd": "CCPD-IA", "brazos-bend-so": "BBSO-PS",
    "puget-sound-so": "PSSO-OPR", "coral-bay-pd": "CBPD-IA", "riverside-heights-pd": "RHPD-IAB",
}
STEP_REASONS = {
    "NOTICE_SERVED": "Notice of the proposed action served on the officer.",
    "HEARING_PENDING": "The officer requested an administrative hearing.",
    "APPEAL_PENDING": "The officer appealed the hearing decision.",
    "FINAL": "The findings were sustained and are final. The officer received written notice, was represented "
             "by counsel and was heard before an impartial hearing officer.",
    "FINAL_UNATTESTED": "The decision is final; the publisher has not attested that fair process was afforded.",
    "OVERTURNED": "Appeal granted: the administrative law judge found the evidence insufficient.",
    "RESCINDED": "The notice was withdrawn after review of new evidence.",
    "EXPUNGED": "Expunged by court order.",
}

# (publisher, kind, reason, outcome, passes through APPEAL_PENDING before its outcome)
RECORD_SPECS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("bayview-pd", "TERMINATION", "DISHONESTY", "FINAL", False),
    ("ca-post", "DECERTIFICATION", "DISHONESTY", "FINAL", False),  # follows the one above: same officer
    ("ca-post", "DECERTIFICATION", "SEXUAL_ASSAULT", "FINAL", True),
    ("ca-post", "CRIMINAL_CONVICTION", "DOMESTIC_VIOLENCE", "FINAL", False),
    ("ca-post", "DECERTIFICATION", "BIAS", "APPEAL_PENDING", False),
    ("bayview-pd", "RESIGNATION_UNDER_INVESTIGATION", "ABUSE_OF_POWER", "FINAL", False),
    ("bayview-pd", "RETIREMENT_UNDER_INVESTIGATION", "SUBSTANCE_ABUSE", "NOTICE_PENDING", False),
    ("bayview-pd", "SUSPENSION", "FAILURE_TO_INTERVENE", "FINAL_UNATTESTED", False),
    ("tx-tcole", "DECERTIFICATION", "CRIMINAL_CONDUCT", "FINAL", False),
    ("tx-tcole", "DECERTIFICATION", "EXCESSIVE_FORCE", "OVERTURNED", True),
    ("tx-tcole", "SUSPENSION", "TRAINING_STANDARDS", "FINAL", False),
    ("cedar-creek-pd", "TERMINATION", "FAILURE_TO_COOPERATE", "FINAL", True),
    ("cedar-creek-pd", "RESIGNATION_UNDER_INVESTIGATION", "SEXUAL_ASSAULT", "HEARING_PENDING", False),
    ("cedar-creek-pd", "SUSPENSION", "BIAS", "RESCINDED", False),
    ("wa-cjtc", "DECERTIFICATION", "LAW_ENFORCEMENT_GANG", "FINAL", True),
    ("wa-cjtc", "CIVIL_JUDGMENT_USE_OF_FORCE", "EXCESSIVE_FORCE", "FINAL", False),
    ("wa-cjtc", "DECERTIFICATION", "DISHONESTY", "NOTICE_SERVED", False),
    ("fl-cjstc", "DECERTIFICATION", "ABUSE_OF_POWER", "FINAL", False),
    ("fl-cjstc", "CRIMINAL_CONVICTION", "DOMESTIC_VIOLENCE", "EXPUNGED", False),
    ("fl-cjstc", "SUSPENSION", "SUBSTANCE_ABUSE", "HEARING_PENDING", False),
    ("riverside-heights-pd", "TERMINATION", "DOMESTIC_VIOLENCE", "APPEAL_PENDING", False),
    ("riverside-heights-pd", "RESIGNATION_UNDER_INVESTIGATION", "DISHONESTY", "NOTICE_PENDING", False),
)
PENDING_STATUSES = frozenset({"NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING"})
SEPARATION_FOR = {
    "TERMINATION": "TERMINATED",
    "RESIGNATION_UNDER_INVESTIGATION": "RESIGNED_UNDER_INVESTIGATION",
    "RETIREMENT_UNDER_INVESTIGATION": "RETIRED_UNDER_INVESTIGATION",
}
KIND_CODE = {"PEACE_OFFICER": "PO", "CORRECTIONS": "CO", "CRISIS_INTERVENTION_TRAINING": "CIT",
              "DE_ESCALATION_TRAINING": "DET"}

# -- EO 13929 Sec. 4: crisis-intervention training and crisis-response programs --------------------------

#: Of the officers on an agency's roster from 2018 on without crisis-intervention training, the share their
#: state's board trains (agencies with a crisis-intervention team train the most).
CIT_TAKE_UP = {BAYVIEW: 0.5, FEDERAL: 0.15, HARBOR_CITY: 0.3, SIERRA_VISTA: 0.15, MISSION_HILLS: 0.1,
               CEDAR_CREEK: 0.5, STATE_PATROL: 0.2, BRAZOS_BEND: 0.15, PECAN_GROVE: 0.1,
               TRIBAL: 0.3, EVERGREEN: 0.35, PUGET_SOUND: 0.25, CASCADE_FALLS: 0.15,
               PALMETTO: 0.4, CORAL_BAY: 0.25, GULF_SHORES: 0.1,
               RIVERSIDE: 0.0, HUDSON_VALLEY: 0.15, LAKEVIEW: 0.1}
#: (agency publisher, sourceId, kind, partnerType, startDate, endDate or None, why it ended)
PROGRAM_SPECS: tuple[tuple[str, str, str, str, date, date | None, str | None], ...] = (
    ("bayview-pd", "bpd-cit-team", "CRISIS_INTERVENTION_TEAM", "MENTAL_HEALTH_PROFESSIONAL", date(2016, 3, 1), None,
     None),
    ("bayview-pd", "bpd-co-responder", "CO_RESPONDER", "MENTAL_HEALTH_PROFESSIONAL", date(2019, 7, 1), None, None),
    ("cedar-creek-pd", "ccpd-cit", "CRISIS_INTERVENTION_TEAM", "NONE", date(2018, 1, 15), None, None),
    ("cedar-creek-pd", "ccpd-mobile-crisis", "MOBILE_CRISIS_PARTNERSHIP", "MEDICAL", date(2021, 4, 1),
     date(2024, 9, 30), "The county grant that funded the paramedic partnership ended."),
    ("riverside-heights-pd", "rhpd-peer-outreach", "OTHER_CRISIS_RESPONSE", "PEER_SUPPORT_SPECIALIST",
     date(2017, 5, 1), date(2022, 6, 30), "Replaced by the co-responder program."),
    ("riverside-heights-pd", "rhpd-co-responder", "CO_RESPONDER", "SOCIAL_WORKER", date(2022, 7, 1), None, None),
    ("harbor-city-pd", "hcpd-co-responder", "CO_RESPONDER", "MENTAL_HEALTH_PROFESSIONAL", date(2020, 9, 1), None,
     None),
    ("puget-sound-so", "psso-mobile-crisis", "MOBILE_CRISIS_PARTNERSHIP", "SOCIAL_WORKER", date(2019, 2, 1), None,
     None),
    ("coral-bay-pd", "cbpd-cit", "CRISIS_INTERVENTION_TEAM", "NONE", date(2021, 6, 1), None, None),
)

# -- the careers: where officers serve -------------------------------------------------------------------------

#: Where officers certified in a state serve, and how many of them each agency employs (relative weights).
AGENCY_WEIGHTS: dict[str, tuple[tuple[str, int], ...]] = {
    "CA": ((BAYVIEW, 40), (FEDERAL, 10), (HARBOR_CITY, 25), (SIERRA_VISTA, 18), (MISSION_HILLS, 7)),
    "TX": ((CEDAR_CREEK, 30), (STATE_PATROL, 30), (BRAZOS_BEND, 28), (PECAN_GROVE, 12)),
    "WA": ((EVERGREEN, 35), (TRIBAL, 10), (PUGET_SOUND, 40), (CASCADE_FALLS, 15)),
    "FL": ((PALMETTO, 50), (CORAL_BAY, 30), (GULF_SHORES, 20)),
    "NY": ((RIVERSIDE, 40), (HUDSON_VALLEY, 40), (LAKEVIEW, 20)),
}
#: Where officers are first certified (relative weights).
STATE_WEIGHTS = (("CA", 26), ("TX", 22), ("WA", 18), ("FL", 17), ("NY", 17))
SHERIFF_OFFICES = frozenset({SIERRA_VISTA, BRAZOS_BEND, PUGET_SOUND, PALMETTO, HUDSON_VALLEY})
TITLES = {FEDERAL: "Federal Police Officer", STATE_PATROL: "Trooper", TRIBAL: "Tribal Police Officer"}
CERT_NUMBERS = {"CA": (100000, 999999), "TX": (1000000, 9999999), "WA": (20000, 99999), "FL": (200000, 999999),
                "NY": (300000, 899999)}

# -- the misconduct records of the bulk of the data set ----------------------------------------------------------

#: Cases a year per 1,000 officers serving in a state (a case is one record, sometimes followed by a board's
#: decertification): high enough that the public tables by state and year are mostly above the threshold.
CASES_PER_THOUSAND = 60
#: Case kinds at an agency that publishes its own records, and at one whose matters reach only the state's board.
AGENCY_CASES = (("TERMINATION", 30), ("RESIGNATION_UNDER_INVESTIGATION", 18), ("RETIREMENT_UNDER_INVESTIGATION", 16),
                ("SUSPENSION", 22), ("CIVIL_JUDGMENT_USE_OF_FORCE", 7), ("POST:SUSPENSION", 6),
                ("POST:CRIMINAL_CONVICTION", 12))
BOARD_CASES = (("DECERTIFICATION", 30), ("SUSPENSION", 30), ("CRIMINAL_CONVICTION", 22),
               ("CIVIL_JUDGMENT_USE_OF_FORCE", 18))
REASONS_BY_KIND: dict[str, tuple[tuple[str, int], ...]] = {
    "TERMINATION": (("DISHONESTY", 20), ("EXCESSIVE_FORCE", 15), ("ABUSE_OF_POWER", 8), ("SUBSTANCE_ABUSE", 10),
                    ("FAILURE_TO_COOPERATE", 7), ("BIAS", 7), ("DOMESTIC_VIOLENCE", 6), ("CRIMINAL_CONDUCT", 8),
                    ("SEXUAL_ASSAULT", 4), ("FAILURE_TO_INTERVENE", 5), ("LAW_ENFORCEMENT_GANG", 2),
                    ("TRAINING_STANDARDS", 3), ("OTHER", 5)),
    "RESIGNATION_UNDER_INVESTIGATION": (("DISHONESTY", 22), ("SEXUAL_ASSAULT", 12), ("EXCESSIVE_FORCE", 12),
                                        ("ABUSE_OF_POWER", 12), ("BIAS", 8), ("DOMESTIC_VIOLENCE", 8),
                                        ("SUBSTANCE_ABUSE", 8), ("CRIMINAL_CONDUCT", 8), ("OTHER", 10)),
    "RETIREMENT_UNDER_INVESTIGATION": (("DISHONESTY", 30), ("ABUSE_OF_POWER", 25), ("EXCESSIVE_FORCE", 15),
                                       ("SUBSTANCE_ABUSE", 10), ("OTHER", 20)),
    "SUSPENSION": (("EXCESSIVE_FORCE", 16), ("FAILURE_TO_INTERVENE", 10), ("SUBSTANCE_ABUSE", 12),
                   ("TRAINING_STANDARDS", 16), ("BIAS", 8), ("ABUSE_OF_POWER", 8), ("FAILURE_TO_COOPERATE", 8),
                   ("DISHONESTY", 7), ("DOMESTIC_VIOLENCE", 5), ("OTHER", 10)),
    "DECERTIFICATION": (("DISHONESTY", 24), ("CRIMINAL_CONDUCT", 18), ("SEXUAL_ASSAULT", 12),
                        ("EXCESSIVE_FORCE", 14), ("DOMESTIC_VIOLENCE", 10), ("TRAINING_STANDARDS", 10),
                        ("LAW_ENFORCEMENT_GANG", 4), ("ABUSE_OF_POWER", 8)),
    "CRIMINAL_CONVICTION": (("DOMESTIC_VIOLENCE", 30), ("CRIMINAL_CONDUCT", 34), ("SUBSTANCE_ABUSE", 20),
                            ("SEXUAL_ASSAULT", 8), ("OTHER", 8)),
    "CIVIL_JUDGMENT_USE_OF_FORCE": (("EXCESSIVE_FORCE", 85), ("FAILURE_TO_INTERVENE", 15)),
}
#: Reasons for which a board decertifies after an agency's final termination or resignation under investigation.
DECERTIFYING = frozenset({"DISHONESTY", "EXCESSIVE_FORCE", "SEXUAL_ASSAULT", "CRIMINAL_CONDUCT", "DOMESTIC_VIOLENCE",
                          "LAW_ENFORCEMENT_GANG", "ABUSE_OF_POWER", "BIAS"})
#: Matters decided before the registry opened were published by their publishers once it did, as decided:
#: FINAL (attested or not) in one event; those overturned or rescinded before then were never published.
REGISTRY_OPENED = date(2023, 1, 1)

# -- EO 13929 Sec. 2 and 3(d): credentialing bodies, agency credentials and annual statements ----------------------

#: The Attorney General's decisions: (kind, body, standards version or None, effective, reason or None).
BODY_DECISIONS: tuple[tuple[str, str, str | None, date, str | None], ...] = (
    ("credentialing_body.certified", CALEA, "AG-2020.1", date(2020, 10, 1), None),
    ("credentialing_body.certified", WESTERN, "AG-2020.1", date(2021, 3, 1), None),
    ("credentialing_body.certified", CALEA, "AG-2023.1", date(2023, 10, 1), "Re-certified under the 2023 standards."),
    ("credentialing_body.suspended", WESTERN, None, date(2024, 5, 1),
     "An audit found that the program granted credentials without reviewing the agencies' use-of-force policies."),
)
#: Agency credentials: (body, sourceId, agency, steps); a step is (status, date, expires on or None, reason or None).
#: GRANTED steps carry both Sec. 2(c) confirmations and the topics the body reviewed.
CREDENTIALS: tuple[tuple[str, str, str, tuple[tuple[str, date, date | None, str | None], ...]], ...] = (
    (CALEA, "leac-bayview", BAYVIEW, (("APPLIED", date(2020, 11, 2), None, None),
                                      ("IN_PROCESS", date(2021, 4, 15), None, None),
                                      ("GRANTED", date(2022, 1, 20), date(2026, 1, 19), None))),
    (CALEA, "leac-harbor-city", HARBOR_CITY, (("APPLIED", date(2021, 2, 1), None, None),
                                              ("GRANTED", date(2022, 6, 1), date(2026, 5, 31), None))),
    (CALEA, "leac-sierra-vista", SIERRA_VISTA, (("APPLIED", date(2022, 9, 1), None, None),
                                                ("IN_PROCESS", date(2023, 5, 1), None, None))),
    (CALEA, "leac-cedar-creek", CEDAR_CREEK, (("APPLIED", date(2020, 10, 15), None, None),
                                              ("GRANTED", date(2021, 9, 1), date(2025, 8, 31), None),
                                              ("GRANTED", date(2025, 8, 15), date(2029, 8, 14), "Reaccredited."))),
    (CALEA, "leac-state-patrol", STATE_PATROL, (("APPLIED", date(2021, 1, 11), None, None),
                                                ("GRANTED", date(2021, 12, 1), date(2025, 11, 30), None),
                                                ("EXPIRED", date(2025, 12, 1), None,
                                                 "Not renewed before it expired."))),
    (CALEA, "leac-brazos-bend", BRAZOS_BEND, (("APPLIED", date(2021, 6, 1), None, None),
                                              ("GRANTED", date(2022, 4, 1), date(2026, 3, 31), None),
                                              ("REVOKED", date(2023, 9, 15), None,
                                               "Revoked after an on-site assessment found the use-of-force policy "
                                               "out of compliance."),
                                              ("APPLIED", date(2025, 4, 1), None, "Applied again."))),
    (CALEA, "leac-evergreen", EVERGREEN, (("APPLIED", date(2020, 12, 1), None, None),
                                          ("GRANTED", date(2021, 10, 1), date(2025, 9, 30), None),
                                          ("GRANTED", date(2025, 9, 15), date(2029, 9, 14), "Reaccredited."))),
    (CALEA, "leac-salish-bay", TRIBAL, (("APPLIED", date(2022, 2, 1), None, None),)),
    (WESTERN, "wsap-puget-sound", PUGET_SOUND, (("APPLIED", date(2021, 4, 1), None, None),
                                                ("GRANTED", date(2022, 3, 1), date(2026, 2, 28), None))),
    (CALEA, "leac-puget-sound", PUGET_SOUND, (("APPLIED", date(2025, 2, 10), None, None),)),
    (WESTERN, "wsap-palmetto", PALMETTO, (("APPLIED", date(2021, 5, 3), None, None),
                                          ("IN_PROCESS", date(2021, 11, 1), None, None),
                                          ("GRANTED", date(2022, 10, 3), date(2026, 10, 2), None))),
    (CALEA, "leac-coral-bay", CORAL_BAY, (("APPLIED", date(2021, 1, 15), None, None),
                                          ("GRANTED", date(2021, 11, 15), date(2025, 11, 14), None),
                                          ("EXPIRED", date(2025, 11, 15), None, "Not renewed before it expired."))),
    (WESTERN, "wsap-gulf-shores", GULF_SHORES, (("APPLIED", date(2023, 1, 10), None, None),)),
    (CALEA, "leac-riverside-heights", RIVERSIDE, (("APPLIED", date(2020, 10, 20), None, None),
                                                  ("GRANTED", date(2022, 2, 1), date(2026, 1, 31), None))),
    (CALEA, "leac-lakeview", LAKEVIEW, (("APPLIED", date(2024, 6, 3), None, None),)),
)
CREDENTIAL_TOPICS = ("DE_ESCALATION_TRAINING", "EARLY_WARNING_SYSTEMS", "COMMUNITY_ENGAGEMENT")
#: (agency, year) pairs for which nobody signed the annual Sec. 3(d) statement.
MISSED_STATEMENTS = frozenset({(MISSION_HILLS, 2019), (MISSION_HILLS, 2020), (PECAN_GROVE, 2022),
                               (HUDSON_VALLEY, 2021), (HUDSON_VALLEY, 2022), (HUDSON_VALLEY, 2023),
                               (GULF_SHORES, 2024), (CASCADE_FALLS, 2025)})
