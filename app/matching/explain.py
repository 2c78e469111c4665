"""Why a ranked centre fits: the positive reasons shown with each result."""

from __future__ import annotations

from app.matching import reasons
from app.matching.eligibility import admitted_by_age
from app.matching.model import CentreProfile, Reason, Situation
from app.matching.policy import RELATED, Policy

_MODE_ORDER = ("in_person", "remote", "group")


def _mode_key(mode: str) -> tuple[int, str]:
    return (_MODE_ORDER.index(mode) if mode in _MODE_ORDER else len(_MODE_ORDER), mode)


class Explainer:
    """Builds the reasons for the results of one query.

    What depends only on the situation (order of needs, region and language sentences) is
    prepared once, since the same query explains several centres.
    """

    def __init__(self, s: Situation, weights: dict[str, float], policy: Policy) -> None:
        """Prepare for situation `s`, with its need weights, under `policy`."""
        self._region_code = s.region_code
        self._ages_shown = s.age is not None
        self._nearby_km = policy.nearby_km
        self._room_below_load = policy.room_below_load
        needs = sorted(weights, key=lambda code: (-weights[code], code)) if weights else ()
        # (code, reason) in the order shown: per centre, only membership tests remain.
        self._needs = [(code, reasons.specialty_match(code)) for code in needs]
        groups = s.specific_groups
        self._groups = [(g, reasons.group_specialist(g)) for g in sorted(groups)] if groups else ()
        modes = sorted(s.modes, key=_mode_key) if s.modes else ()
        self._modes = [(m, reasons.mode_match(m)) for m in modes]
        self._region = reasons.serves_region(s.region_code)
        # Remote help is a reason only for someone who said they accept it; to anyone else,
        # a centre from elsewhere is only said to be so.
        self._elsewhere = reasons.REMOTE_AVAILABLE if "remote" in s.modes else reasons.ELSEWHERE
        self._language = None if s.language is None else reasons.speaks_language(s.language)
        self._situation = s
        self._by_age = policy.age_defines_groups
        related = {r for code in weights for r in RELATED.get(code, ())} - weights.keys()
        self._related = (
            [(code, reasons.related_service(code)) for code in sorted(related)]
            if policy.local_first
            else []
        )

    def __call__(
        self,
        profile: CentreProfile,
        distance_km: float | None,
        load_ratio: float | None,
        local_fit: bool = False,
    ) -> list[Reason]:
        """The reasons `profile` was offered, most decisive first.

        Area (region, or remote help from elsewhere; `local_fit` when it was ranked before
        the centres from elsewhere as a local fit), the needed specialties it offers
        (strongest need first; else the related services it offers), the client groups it
        specialises in, the age-defined group the person's age admits them to, distance (as
        shown, None when the centre has no location), modes, language, age limits, and room
        this week.
        """
        in_region = self._region_code in profile.regions_served
        found = [self._region if in_region else self._elsewhere]
        add = found.append
        if local_fit:
            add(reasons.LOCAL_FIT)
        offered = profile.specialties
        offers_a_need = False
        for code, reason in self._needs:
            if code in offered:
                add(reason)
                offers_a_need = True
        if not offers_a_need:
            for code, reason in self._related:
                if code in offered:
                    add(reason)
        served = profile.client_groups
        for group, reason in self._groups:
            if group in served:
                add(reason)
        if self._by_age and not profile.serves_everyone:
            for group in sorted(admitted_by_age(profile, self._situation)):
                add(reasons.admitted_by_age(group, profile.age_min, profile.age_max))
        if distance_km is not None:
            add(reasons.distance(distance_km, self._nearby_km))
        modes = profile.modes
        for mode, reason in self._modes:
            if mode in modes:
                add(reason)
        if self._language is not None:
            add(self._language)
        if self._ages_shown and (profile.age_min is not None or profile.age_max is not None):
            add(reasons.age_eligible(profile.age_min, profile.age_max))
        if load_ratio is not None and load_ratio < self._room_below_load:
            add(reasons.CAPACITY_AVAILABLE)
        return found
