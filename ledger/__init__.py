"""The transparency log and its signatures: publisher event JWS (``events``), the RFC 9162 Merkle tree
(``merkle``) kept in PostgreSQL (``log_store``), inclusion and consistency proofs (``proofs``), C2SP
signed-note checkpoints (``checkpoint``, ``checkpointer``, ``keys``), offline record bundles (``bundle``)
and the audit that recomputes the log from the database (``audit``).
"""
