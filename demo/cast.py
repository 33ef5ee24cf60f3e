"""Who is in the demo: its agencies, publishers, development-token roles and fixed constants."""

from __future__ import annotations

from datetime import UTC, date, datetime

from store.models import AgencyRow, PublisherRow

#: The showcase officer's fixed registry ID (12 Crockford base32 characters, like assigned IDs).
DEMO_OFFICER_ID = "OFC-DEM000000001"
ALREADY_LOADED = "demo data already loaded"

# -- agencies and publishers ---------------------------------------------------------------------

BAYVIEW = "CA0194100"
FEDERAL = "CAFFP0900"
CEDAR_CREEK = "TX2274600"
STATE_PATROL = "TXSHP0000"
TRIBAL = "WA031T900"
EVERGREEN = "WA0173500"
PALMETTO = "FL0480600"
RIVERSIDE = "NY0512300"

AGENCIES: tuple[AgencyRow, ...] = (
    AgencyRow(BAYVIEW, "Bayview Police Department", "CA", "LOCAL"),
    AgencyRow(FEDERAL, "Federal Facilities Police, Western Region", "CA", "FEDERAL"),
    AgencyRow(CEDAR_CREEK, "Cedar Creek Police Department", "TX", "LOCAL"),
    AgencyRow(STATE_PATROL, "Lone Star State Highway Patrol", "TX", "STATE"),
    AgencyRow(TRIBAL, "Salish Bay Tribal Police Department", "WA", "TRIBAL"),
    AgencyRow(EVERGREEN, "Evergreen City Police Department", "WA", "LOCAL"),
    AgencyRow(PALMETTO, "Palmetto County Sheriff's Office", "FL", "LOCAL"),
    AgencyRow(RIVERSIDE, "Riverside Heights Police Department", "NY", "LOCAL"),
)
AGENCY_BY_ORI = {a.ori: a for a in AGENCIES}

PUBLISHERS: tuple[PublisherRow, ...] = (
    PublisherRow("ca-post", "POST_BOARD", "California Commission on Peace Officer Standards and Training", "CA",
                 None),
    PublisherRow("tx-tcole", "POST_BOARD", "Texas Commission on Law Enforcement", "TX", None),
    PublisherRow("wa-cjtc", "POST_BOARD", "Washington State Criminal Justice Training Commission", "WA", None),
    PublisherRow("fl-cjstc", "POST_BOARD", "Florida Criminal Justice Standards and Training Commission", "FL",
                 None),
    PublisherRow("bayview-pd", "AGENCY", "Bayview Police Department", None, BAYVIEW),
    PublisherRow("cedar-creek-pd", "AGENCY", "Cedar Creek Police Department", None, CEDAR_CREEK),
    PublisherRow("riverside-heights-pd", "AGENCY", "Riverside Heights Police Department", None, RIVERSIDE),
    PublisherRow("calea-demo", "CREDENTIALING_BODY", "Law Enforcement Accreditation Commission (demo)", None, None),
)
POST_BOARD_BY_STATE = {p.state: p.id for p in PUBLISHERS if p.kind == "POST_BOARD" and p.state}
AGENCY_PUBLISHER = {p.agency_ori: p.id for p in PUBLISHERS if p.kind == "AGENCY" and p.agency_ori}

DEMO_ROLES: dict[str, dict[str, str]] = {
    "officer": {"officer_id": DEMO_OFFICER_ID},
    "hiring_agency": {"agency_ori": EVERGREEN},
    "partner": {"partner_id": "demo-partner"},
    "publisher": {"publisher_id": "ca-post"},
    "credentialing_body": {"publisher_id": "calea-demo"},
    "auditor": {},
    "admin": {},
}

#: Publisher keys are valid from here, so that backdated ``issuedAt`` values verify.
KEY_VALID_FROM = datetime(2015, 1, 1, tzinfo=UTC)
#: The last day the generated history reaches (fixed, so the data set does not depend on the clock).
HORIZON = date(2025, 12, 31)
BATCH_SIZE = 100
SEED = 13
