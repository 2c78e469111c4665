"""Trouve ton X: match job seekers to Québec's employment counselling centres."""

__version__ = "0.1.0"
