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
from app.matching.policy import COMPONENTS, POLICY, Policy
from app.matching.text import fold, interpret_need_text

__all__ = [
    "COMPONENTS",
    "POLICY",
    "RULE_ORDER",
    "CentreProfile",
    "Load",
    "LoadVector",
    "MatchIndex",
    "MatchOutcome",
    "Policy",
    "RankedCentre",
    "Reason",
    "Situation",
    "UnknownCentre",
    "fold",
    "interpret_need_text",
]
