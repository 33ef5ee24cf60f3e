"""Training currency (EO 13929 Sec. 4(b)): when an officer's training certification counts as current.

A training certification (crisis intervention, de-escalation) is current on day D when, under the status
step in force on D (the latest that took effect on or before D), it is ACTIVE, it was issued on or before D,
and D is not after its ``current_through`` day: the earlier of its expiry and the end of its refresher
interval (``refresherMonths`` after it was last completed: ``issuedOn``, or a later ``refreshedOn``).
A status change takes effect on the day it was signed (``issuedAt``), so past days keep their answer; a
refresher takes effect on the day it was completed (``refreshedOn``).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from publishing.accreditation import DATE_SLACK
from publishing.payloads import TRAINING_KINDS, CertificationIssued, CertificationStatusChanged
from registry.errors import BadInput
from store.certifications import Step
from store.models import CertificationRow

__all__ = ["TRAINING_KINDS", "add_months", "current_through", "first_step", "next_step"]

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day (Jan 31 + 1 = Feb 28)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_through(completed_on: date, refresher_months: int | None, expires_on: date | None) -> date | None:
    """The last day a certification is current: its expiry, or the day before its refresher falls due."""
    ends = [d for d in (expires_on,
                        None if refresher_months is None else add_months(completed_on, refresher_months)
                        - timedelta(days=1)) if d is not None]
    return min(ends) if ends else None


def first_step(ev: CertificationIssued) -> Step:
    return Step(ev.status, ev.issuedOn, ev.issuedOn, current_through(ev.issuedOn, ev.refresherMonths, ev.expiresOn))


def next_step(cert: CertificationRow, before: Step | None, ev: CertificationStatusChanged) -> Step:
    """The step a status change starts; refuses a refresher that is not one."""
    signed = ev.issuedAt.date()
    completed = before.completed_on if before is not None else cert.issued_on
    if ev.refreshedOn is not None:
        if cert.kind not in TRAINING_KINDS:
            raise BadInput("refreshedOn applies to training certifications only "
                           f"({', '.join(TRAINING_KINDS)}), not {cert.kind}")
        if ev.status != "ACTIVE":
            raise BadInput("a refresher (refreshedOn) leaves the certification ACTIVE: give status ACTIVE")
        if ev.refreshedOn < completed:
            raise BadInput(f"refreshedOn {ev.refreshedOn.isoformat()} is before the training was last completed "
                           f"({completed.isoformat()})")
        if ev.refreshedOn > signed + DATE_SLACK:
            raise BadInput("refreshedOn is after the day the event was signed")
        completed = ev.refreshedOn
    expires = ev.expiresOn if ev.expiresOn is not None else cert.expires_on
    # a refresher is dated (it happened on refreshedOn); any other change takes effect when it is signed
    effective = ev.refreshedOn if ev.refreshedOn is not None else signed
    if before is not None:
        effective = max(effective, before.effective_on)
    return Step(ev.status, effective, completed, current_through(completed, cert.refresher_months, expires))
