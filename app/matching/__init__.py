"""Matching: which centres may serve a person, in which order, and why.

Pure computation: plain data in (centre profiles, a resolved situation), ranked results with
bilingual reasons out. No web framework, no database, no I/O, so it is tested and benchmarked
alone. Build a MatchIndex once per directory version and call `rank` per request.
"""

from app.matching.eligibility import RULE_ORDER
from app.matching.index import Load, LoadVector, MatchIndex
from app.matching.model import (
    CentreProfile,
    MatchOutcome,
    RankedCentre,
    Reason,
    Situation,
    UnknownCentre,
)
from app.matching.needs import DetectedNeed, detect_needs, interpret_need_text
from app.matching.policy import COMPONENTS, POLICIES, POLICY, POLICY_2026_2, RELATED, Policy
from app.matching.text import fold

__all__ = [
    "COMPONENTS",
    "POLICIES",
    "POLICY",
    "POLICY_2026_2",
    "RELATED",
    "RULE_ORDER",
    "CentreProfile",
    "DetectedNeed",
    "Load",
    "LoadVector",
    "MatchIndex",
    "MatchOutcome",
    "Policy",
    "RankedCentre",
    "Reason",
    "Situation",
    "UnknownCentre",
    "detect_needs",
    "fold",
    "interpret_need_text",
]
