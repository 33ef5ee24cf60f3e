"""Continuous monitoring: enrollments, notices written in the publish transaction, their delivery
through a GraphQL subscription and Standard Webhooks from a transactional outbox."""

from monitoring.hooks import on_certification, on_record

__all__ = ["on_certification", "on_record"]
