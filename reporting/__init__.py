"""What the registry reports in aggregate under EO 13929 Sec. 2(b) and 3(c)-(d): public statistics and
grant eligibility.

``statistics`` tabulates FINAL, attested records by state, year, kind and reason; ``suppression`` is the
disclosure control applied to those tables (small cells and their complements hidden, checked exactly);
``eligibility`` decides discretionary-grant eligibility per agency and year, with reasons in words.
(Named ``reporting`` rather than ``statistics`` so as not to shadow Python's standard library module.)
"""
