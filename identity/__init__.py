"""Identity matching: normalize names, derive blocking keys, score candidates, index SSNs.

Everything but ``matching`` is pure functions with no database: the store keeps ``blocking_keys`` per
officer, looks up ``query_key_weights`` for a search, and ranks what it finds with ``score``. ``matching`` is
where identity meets the store: it finds the candidates for a person and decides the strong match that
publishing links on, and the ranked answers that search shows.
"""

from identity.nicknames import are_nickname_related, explain_nickname, given_name_variants
from identity.normalize import NameParts, normalize_token, order_variants, split_surname, strip_suffix
from identity.phonetic import BLOCKING_SCHEME_VERSION, blocking_keys, query_key_weights, query_keys
from identity.score import Candidate, Match, Query, rank, score
from identity.ssn import InvalidSSNError, ssn_blind_index, validate_ssn

__all__ = [
    "BLOCKING_SCHEME_VERSION",
    "Candidate",
    "InvalidSSNError",
    "Match",
    "NameParts",
    "Query",
    "are_nickname_related",
    "blocking_keys",
    "explain_nickname",
    "given_name_variants",
    "normalize_token",
    "order_variants",
    "query_key_weights",
    "query_keys",
    "rank",
    "score",
    "split_surname",
    "ssn_blind_index",
    "strip_suffix",
    "validate_ssn",
]
