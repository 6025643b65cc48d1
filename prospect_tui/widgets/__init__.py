"""Reusable widgets: the lead card, the counters bar."""
