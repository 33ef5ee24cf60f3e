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
HARBOR_CITY = "CA0336200"
SIERRA_VISTA = "CA0370500"
MISSION_HILLS = "CA0431800"
CEDAR_CREEK = "TX2274600"
STATE_PATROL = "TXSHP0000"
BRAZOS_BEND = "TX0570300"
PECAN_GROVE = "TX1011900"
TRIBAL = "WA031T900"
EVERGREEN = "WA0173500"
PUGET_SOUND = "WA0270400"
CASCADE_FALLS = "WA0320100"
PALMETTO = "FL0480600"
CORAL_BAY = "FL0130900"
GULF_SHORES = "FL0500200"
RIVERSIDE = "NY0512300"
HUDSON_VALLEY = "NY0300700"
LAKEVIEW = "NY0450200"

AGENCIES: tuple[AgencyRow, ...] = (
    AgencyRow(BAYVIEW, "Bayview Police Department", "CA", "LOCAL"),
    AgencyRow(FEDERAL, "Federal Facilities Police, Western Region", "CA", "FEDERAL"),
    AgencyRow(HARBOR_CITY, "Harbor City Police Department", "CA", "LOCAL"),
    AgencyRow(SIERRA_VISTA, "Sierra Vista County Sheriff's Department", "CA", "LOCAL"),
    AgencyRow(MISSION_HILLS, "Mission Hills Police Department", "CA", "LOCAL"),
    AgencyRow(CEDAR_CREEK, "Cedar Creek Police Department", "TX", "LOCAL"),
    AgencyRow(STATE_PATROL, "Lone Star State Highway Patrol", "TX", "STATE"),
    AgencyRow(BRAZOS_BEND, "Brazos Bend County Sheriff's Office", "TX", "LOCAL"),
    AgencyRow(PECAN_GROVE, "Pecan Grove Police Department", "TX", "LOCAL"),
    AgencyRow(TRIBAL, "Salish Bay Tribal Police Department", "WA", "TRIBAL"),
    AgencyRow(EVERGREEN, "Evergreen City Police Department", "WA", "LOCAL"),
    AgencyRow(PUGET_SOUND, "Puget Sound County Sheriff's Office", "WA", "LOCAL"),
    AgencyRow(CASCADE_FALLS, "Cascade Falls Police Department", "WA", "LOCAL"),
    AgencyRow(PALMETTO, "Palmetto County Sheriff's Office", "FL", "LOCAL"),
    AgencyRow(CORAL_BAY, "Coral Bay Police Department", "FL", "LOCAL"),
    AgencyRow(GULF_SHORES, "Gulf Shores Police Department", "FL", "LOCAL"),
    AgencyRow(RIVERSIDE, "Riverside Heights Police Department", "NY", "LOCAL"),
    AgencyRow(HUDSON_VALLEY, "Hudson Valley County Sheriff's Office", "NY", "LOCAL"),
    AgencyRow(LAKEVIEW, "Lakeview Police Department", "NY", "LOCAL"),
)
AGENCY_BY_ORI = {a.ori: a for a in AGENCIES}
STATES = ("CA", "TX", "WA", "FL", "NY")

#: The Attorney General's certifying authority and the two credentialing bodies (EO 13929 Sec. 2).
ATTORNEY_GENERAL = "doj-ag-demo"
CALEA = "calea-demo"
WESTERN = "western-accreditation-demo"

#: In publishing order: the boards first (they register the officers), then the agencies, then the Attorney
#: General's certifying authority before the credentialing bodies it certifies.
PUBLISHERS: tuple[PublisherRow, ...] = (
    PublisherRow("ca-post", "POST_BOARD", "California Commission on Peace Officer Standards and Training", "CA",
                 None),
    PublisherRow("tx-tcole", "POST_BOARD", "Texas Commission on Law Enforcement", "TX", None),
    PublisherRow("wa-cjtc", "POST_BOARD", "Washington State Criminal Justice Training Commission", "WA", None),
    PublisherRow("fl-cjstc", "POST_BOARD", "Florida Criminal Justice Standards and Training Commission", "FL",
                 None),
    PublisherRow("ny-mptc", "POST_BOARD", "New York State Municipal Police Training Council", "NY", None),
    PublisherRow("bayview-pd", "AGENCY", "Bayview Police Department", None, BAYVIEW),
    PublisherRow("harbor-city-pd", "AGENCY", "Harbor City Police Department", None, HARBOR_CITY),
    PublisherRow("sierra-vista-sd", "AGENCY", "Sierra Vista County Sheriff's Department", None, SIERRA_VISTA),
    PublisherRow("cedar-creek-pd", "AGENCY", "Cedar Creek Police Department", None, CEDAR_CREEK),
    PublisherRow("brazos-bend-so", "AGENCY", "Brazos Bend County Sheriff's Office", None, BRAZOS_BEND),
    PublisherRow("puget-sound-so", "AGENCY", "Puget Sound County Sheriff's Office", None, PUGET_SOUND),
    PublisherRow("palmetto-so", "AGENCY", "Palmetto County Sheriff's Office", None, PALMETTO),
    PublisherRow("coral-bay-pd", "AGENCY", "Coral Bay Police Department", None, CORAL_BAY),
    PublisherRow("riverside-heights-pd", "AGENCY", "Riverside Heights Police Department", None, RIVERSIDE),
    PublisherRow("hudson-valley-so", "AGENCY", "Hudson Valley County Sheriff's Office", None, HUDSON_VALLEY),
    PublisherRow(ATTORNEY_GENERAL, "CERTIFYING_AUTHORITY",
                 "U.S. Attorney General, Office of Credentialing Oversight (demo)", None, None),
    PublisherRow(CALEA, "CREDENTIALING_BODY", "Law Enforcement Accreditation Commission (demo)", None, None),
    PublisherRow(WESTERN, "CREDENTIALING_BODY", "Western States Accreditation Program (demo)", None, None),
)
POST_BOARD_BY_STATE = {p.state: p.id for p in PUBLISHERS if p.kind == "POST_BOARD" and p.state}
AGENCY_PUBLISHER = {p.agency_ori: p.id for p in PUBLISHERS if p.kind == "AGENCY" and p.agency_ori}

DEMO_ROLES: dict[str, dict[str, str]] = {
    "officer": {"officer_id": DEMO_OFFICER_ID},
    "hiring_agency": {"agency_ori": EVERGREEN},
    "partner": {"partner_id": "demo-partner"},
    "publisher": {"publisher_id": "ca-post"},
    "credentialing_body": {"publisher_id": CALEA},
    "auditor": {},
    "admin": {},
}

#: Publisher keys are valid from here, so that backdated ``issuedAt`` values verify.
KEY_VALID_FROM = datetime(2015, 1, 1, tzinfo=UTC)
#: The last day the generated history reaches (fixed, so the data set does not depend on the clock).
HORIZON = date(2025, 12, 31)
#: Officers in the data set (the showcase officer and the search traps included).
OFFICERS = 3000
#: Events per publishing batch: each batch is one transaction (see ``demo.loader``).
BATCH_SIZE = 250
SEED = 13
