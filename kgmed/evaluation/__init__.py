"""Metrics: entity-level precision/recall/F1, ranking metrics."""
