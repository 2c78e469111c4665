"""Fixtures for matching tests: centre and situation builders (tests/helpers/matching.py)."""

import pytest

from tests.helpers.matching import CentreFactory, SituationFactory, profile, situation


@pytest.fixture
def make_centre() -> CentreFactory:
    """centre("ref", regions_served={"04"}, ...): a profile with plain defaults (sets become
    frozensets): active, open, serves 04 in French, in person, job search, everyone."""
    return profile


@pytest.fixture
def make_situation() -> SituationFactory:
    """situation(needs={"job_search"}, ...): a person in Trois-Rivières (04), no criteria."""
    return situation
