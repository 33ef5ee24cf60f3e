"""The SSN is a matching signal (kept only as a keyed blind index): the same SSN links a re-entry that the
names alone would not, and a different SSN keeps two people apart that names and birth date would merge."""

from __future__ import annotations

from tests.support import World, cert_issued, subject


async def test_the_same_ssn_links_a_new_surname_across_states(world: World) -> None:
    first = subject("Maria", "Lopez", "1986-03-09")
    [row] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=first), ssn="287-65-4321")
    married = subject("Maria", "Whitcombe", "1986-03-09")
    [again] = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="S-2",
                                                            subj=married), ssn="287-65-4321")
    assert again["officerId"] == row["officerId"]


async def test_without_the_ssn_the_new_surname_is_not_linked(world: World) -> None:
    first = subject("Maria", "Lopez", "1986-03-09")
    [row] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=first), ssn="287-65-4321")
    married = subject("Maria", "Whitcombe", "1986-03-09")
    [again] = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="S-2",
                                                            subj=married))
    assert again["officerId"] != row["officerId"]


async def test_a_different_ssn_keeps_a_strong_name_match_apart(world: World) -> None:
    person = subject("John", "Public", "1975-05-05", name_extra={"middleName": "Quincy"})
    [row] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=person), ssn="287-65-4321")
    [same_ssn] = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="S-2",
                                                               subj=person), ssn="287-65-4321")
    assert same_ssn["officerId"] == row["officerId"]  # name, middle name and birth date agree: linked
    [other] = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="S-3",
                                                            subj=person, source="s3"), ssn="512-34-9876")
    assert other["officerId"] != row["officerId"]  # the same name and birth date, another SSN: another person
    rows = await world.pool.fetch("SELECT id FROM officers WHERE ssn_blind_index IS NOT NULL ORDER BY id")
    assert len(rows) == 2  # two people on file, each with their own SSN
