"""Turning signed publisher events into registry state: validation, jurisdiction, lifecycle, apply."""
