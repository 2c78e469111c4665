"""Synthetic directories and situations, for benchmarks and property tests.

Deterministic for a given seed. Centres cluster around one town per region, with a mix of
attributes loosely shaped like the real directory (most serve everyone in French, half
offer remote help, a few are paused). Names and refs are invented.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from app.matching.model import CentreProfile, Situation
from app.taxonomy import CLIENT_GROUPS, SPECIALTIES

# One town per administrative region (approximate centre, decimal degrees).
REGION_ANCHORS: dict[str, tuple[float, float]] = {
    "01": (48.45, -68.52), "02": (48.43, -71.07), "03": (46.81, -71.21),
    "04": (46.34, -72.54), "05": (45.40, -71.89), "06": (45.50, -73.57),
    "07": (45.48, -75.70), "08": (48.24, -79.02), "09": (50.21, -66.38),
    "10": (49.91, -74.37), "11": (48.83, -64.48), "12": (46.80, -71.18),
    "13": (45.57, -73.69), "14": (46.02, -73.44), "15": (45.78, -74.00),
    "16": (45.53, -73.52), "17": (45.88, -72.48),
}  # fmt: skip
_REGIONS = sorted(REGION_ANCHORS)
_SPECIALTIES = [t.code for t in SPECIALTIES]
_GROUPS = [t.code for t in CLIENT_GROUPS if t.code != "general"]
_OTHER_LANGUAGES = ["es", "ar", "zh", "pt", "ht", "fa", "ru", "vi"]
_TEXTS = [
    None,
    "je cherche un emploi",
    "aide pour mon CV et une entrevue",
    "retour aux études",
    "réorientation de carrière",
    "immigrant, je veux faire reconnaître mon diplôme",
    "help with my résumé",
    "je cherche un emploi en soudure",
]


def _point(rng: random.Random, region: str) -> tuple[float, float]:
    lat, lon = REGION_ANCHORS[region]
    return round(lat + rng.gauss(0, 0.25), 5), round(lon + rng.gauss(0, 0.35), 5)


def _groups(rng: random.Random) -> frozenset[str]:
    extra = rng.sample(_GROUPS, rng.choice((0, 0, 1, 1, 2)))
    if rng.random() < 0.65 or not extra:
        extra.append("general")
    return frozenset(extra)


def _profile(rng: random.Random, n: int) -> CentreProfile:
    home = rng.choice(_REGIONS)
    regions = {home, *rng.sample(_REGIONS, rng.choice((0, 0, 0, 1, 2)))}
    languages = {"fr"} | ({"en"} if rng.random() < 0.4 else set())
    if rng.random() < 0.15:
        languages.add(rng.choice(_OTHER_LANGUAGES))
    modes = {"in_person"} | ({"remote"} if rng.random() < 0.5 else set())
    if rng.random() < 0.3:
        modes.add("group")
    youth_only = rng.random() < 0.1
    return CentreProfile(
        id=f"00000000-0000-4000-8000-{n:012d}",
        ref=f"cce-synth-{n:06d}",
        name=f"Centre synthétique {n}",
        active=rng.random() > 0.02,
        intake_open=rng.random() > 0.05,
        regions_served=frozenset(regions),
        languages=frozenset(languages),
        modes=frozenset(modes),
        specialties=frozenset(rng.sample(_SPECIALTIES, rng.randint(2, 6))),
        client_groups=frozenset({"youth"}) if youth_only else _groups(rng),
        age_min=16 if youth_only else None,
        age_max=35 if youth_only else None,
        points=tuple(_point(rng, home) for _ in range(rng.choice((1, 1, 1, 1, 2, 3)))),
        weekly_capacity=rng.randint(0, 40),
    )


def iter_synthetic_profiles(count: int, seed: int = 0) -> Iterator[CentreProfile]:
    """`count` invented centres spread over the 17 regions, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # reproducible test data, not secrets
    return (_profile(rng, n) for n in range(count))


def synthetic_profiles(count: int, seed: int = 0) -> list[CentreProfile]:
    """The list of `iter_synthetic_profiles(count, seed)`."""
    return list(iter_synthetic_profiles(count, seed))


def synthetic_situation(rng: random.Random) -> Situation:
    """One invented situation: a person near a regional town with a few random criteria."""
    region = rng.choice(_REGIONS)
    lat, lon = _point(rng, region)
    modes = rng.choice((frozenset(), frozenset({"in_person"}), frozenset({"in_person", "remote"})))
    return Situation(
        lat=lat,
        lon=lon,
        region_code=region,
        client_groups=frozenset(rng.sample(_GROUPS, rng.choice((0, 0, 1)))),
        needs=frozenset(rng.sample(_SPECIALTIES, rng.choice((0, 1, 1, 2)))),
        need_text=rng.choice(_TEXTS),
        language=rng.choice((None, "fr", "fr", "en")),
        modes=modes,
        age=rng.choice((None, 17, 25, 34, 52, 67)),
        limit=5,  # the API's default
    )


def synthetic_situations(count: int, seed: int = 0) -> list[Situation]:
    """`count` invented situations, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # reproducible test data, not secrets
    return [synthetic_situation(rng) for _ in range(count)]
