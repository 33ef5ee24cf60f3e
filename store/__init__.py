"""Data access: one module per aggregate, the only place that speaks SQL to the domain tables."""
