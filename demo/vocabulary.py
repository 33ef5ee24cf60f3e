"""The words the demo is made of: names, narratives, case prefixes and the shapes of its records."""

from __future__ import annotations

from datetime import date

from demo.cast import BAYVIEW, CEDAR_CREEK, EVERGREEN, FEDERAL, PALMETTO, RIVERSIDE, STATE_PATROL, TRIBAL

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
    "ca-post": "CA-POST", "tx-tcole": "TCOLE", "wa-cjtc": "CJTC", "fl-cjstc": "CJSTC",
    "bayview-pd": "BPD-IA", "cedar-creek-pd": "CCPD-IA", "riverside-heights-pd": "RHPD-IAB",
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
CIT_TAKE_UP = {BAYVIEW: 0.85, FEDERAL: 0.5, CEDAR_CREEK: 0.85, STATE_PATROL: 0.6, TRIBAL: 0.65, EVERGREEN: 0.7,
               PALMETTO: 0.8, RIVERSIDE: 0.0}
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
)
