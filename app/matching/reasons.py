"""The bilingual sentences behind each reason code.

Why a centre was ranked (positive reasons) and why one was left out (eligibility reasons).
These sentences are what a person reads when they ask why an automated decision was made
(Law 25, s. 12.1), so they name the actual region, language, specialty or age bounds.
"""

from __future__ import annotations

from functools import lru_cache

from app.matching.model import Reason
from app.taxonomy import CLIENT_GROUPS, LANGUAGES, MODES, REGIONS, SPECIALTIES, Term

_TERMS: dict[str, dict[str, Term]] = {
    "region": {t.code: t for t in REGIONS},
    "language": {t.code: t for t in LANGUAGES},
    "specialty": {t.code: t for t in SPECIALTIES},
    "client_group": {t.code: t for t in CLIENT_GROUPS},
    "mode": {t.code: t for t in MODES},
}


def _labels(kind: str, code: str) -> tuple[str, str]:
    term = _TERMS[kind].get(code)
    return (term.fr, term.en) if term else (code, code)


def _km(distance_km: float, decimal: str) -> str:
    text = f"{distance_km:.1f}" if distance_km < 100 else f"{distance_km:.0f}"
    return text.replace(".", decimal)


def _ages(age_min: int | None, age_max: int | None) -> tuple[str, str]:
    if age_min is not None and age_max is not None:
        return f"de {age_min} à {age_max} ans", f"aged {age_min} to {age_max}"
    if age_min is not None:
        return f"de {age_min} ans et plus", f"aged {age_min} and over"
    return f"jusqu'à {age_max} ans", f"aged up to {age_max}"


@lru_cache(maxsize=64)
def serves_region(region: str) -> Reason:
    """The centre serves the person's administrative region."""
    fr, en = _labels("region", region)
    return Reason("serves_region", f"Dessert votre région ({fr})", f"Serves your region ({en})")


REMOTE_AVAILABLE = Reason(
    "remote_available",
    "Vous aide à distance, même si vous êtes hors de sa région",
    "Helps you remotely, even though you are outside its region",
)

LOCAL_FIT = Reason(
    "local_first",
    "Centre de votre région qui offre ce que vous cherchez : passe avant ceux d'ailleurs",
    "A centre of your region offering what you asked for: ranked before those elsewhere",
)

ELSEWHERE = Reason(
    "outside_region",
    "Situé hors de votre région : vous aiderait à distance",
    "Outside your region: would help you remotely",
)

CAPACITY_AVAILABLE = Reason(
    "capacity_available",
    "A de la place pour de nouvelles demandes cette semaine",
    "Has room for new requests this week",
)


@lru_cache(maxsize=128)
def speaks_language(language: str) -> Reason:
    """The centre offers services in the requested language."""
    fr, en = _labels("language", language)
    return Reason(
        "speaks_language", f"Offre des services en {fr.lower()}", f"Offers services in {en}"
    )


@lru_cache(maxsize=64)
def specialty_match(specialty: str) -> Reason:
    """The centre offers one of the services the person needs."""
    fr, en = _labels("specialty", specialty)
    return Reason("specialty_match", f"Offre le service : {fr}", f"Offers: {en}")


@lru_cache(maxsize=64)
def related_service(specialty: str) -> Reason:
    """The centre offers none of the needs, but a service close to one of them."""
    fr, en = _labels("specialty", specialty)
    return Reason(
        "related_service",
        f"Offre un service proche de votre besoin : {fr.lower()}",
        f"Offers a service close to your need: {en.lower()}",
    )


@lru_cache(maxsize=64)
def admitted_by_age(group: str, age_min: int | None, age_max: int | None) -> Reason:
    """A centre restricted to an age-defined group the person did not tick, open to them by
    their age."""
    fr, en = _labels("client_group", group)
    if age_min is not None or age_max is not None:
        ages_fr, ages_en = _ages(age_min, age_max)
        fr, en = f"{fr.split(' (')[0].lower()} {ages_fr}", f"{en.split(' (')[0].lower()} {ages_en}"
    else:
        fr, en = fr.lower(), en.lower()
    return Reason(
        "age_group_eligible",
        f"Accueille les {fr} : votre âge vous y donne accès",
        f"Serves {en}: your age makes you eligible",
    )


@lru_cache(maxsize=64)
def group_specialist(group: str) -> Reason:
    """The centre specialises in one of the person's client groups."""
    fr, en = _labels("client_group", group)
    return Reason(
        "group_specialist",
        f"Spécialisé auprès de : {fr.lower()}",
        f"Specialises in: {en.lower()}",
    )


@lru_cache(maxsize=16)
def mode_match(mode: str) -> Reason:
    """The centre offers one of the modes the person accepts."""
    fr, en = _labels("mode", mode)
    return Reason(
        "mode_match",
        f"Offre le mode souhaité : {fr.lower()}",
        f"Offers the mode you asked for: {en.lower()}",
    )


@lru_cache(maxsize=256)
def age_eligible(age_min: int | None, age_max: int | None) -> Reason:
    """The centre has age limits and the person is within them."""
    fr, en = _ages(age_min, age_max)
    return Reason("age_eligible", f"Accueille les personnes {fr}", f"Serves people {en}")


@lru_cache(maxsize=4096)
def distance(distance_km: float, nearby_km: float) -> Reason:
    """How far the nearest location is; coded `nearby` when within `nearby_km`.

    Pass the distance already rounded as shown, so that the cache is effective.
    """
    code = "nearby" if distance_km <= nearby_km else "distance"
    if distance_km < 1.0:
        return Reason(code, "À moins de 1 km de chez vous", "Under 1 km from you")
    return Reason(
        code,
        f"À {_km(distance_km, ',')} km de chez vous",
        f"{_km(distance_km, '.')} km from you",
    )


# --- Why a centre is not eligible -----------------------------------------------------------

INACTIVE = Reason("inactive", "Ce centre n'est plus actif", "This centre is no longer active")
INTAKE_PAUSED = Reason(
    "intake_paused",
    "Ce centre n'accepte pas de nouvelles demandes pour le moment",
    "This centre is not taking new requests at the moment",
)
ALREADY_REFERRED = Reason(
    "already_referred",
    "Votre demande a déjà été envoyée à ce centre",
    "Your request was already sent to this centre",
)


def out_of_region(region: str, offers_remote: bool) -> Reason:
    """The centre does not serve the region, and remote help is not on offer or not wanted."""
    fr, en = _labels("region", region)
    if offers_remote:
        return Reason(
            "out_of_region",
            f"Ce centre ne dessert pas votre région ({fr}) et vous ne souhaitez pas "
            "de services à distance",
            f"This centre does not serve your region ({en}) and you did not accept remote help",
        )
    return Reason(
        "out_of_region",
        f"Ce centre ne dessert pas votre région ({fr}) et n'offre pas de services à distance",
        f"This centre does not serve your region ({en}) and offers no remote services",
    )


def language_not_offered(language: str) -> Reason:
    """The centre does not offer services in the requested language."""
    fr, en = _labels("language", language)
    return Reason(
        "language_not_offered",
        f"Ce centre n'offre pas de services en {fr.lower()}",
        f"This centre does not offer services in {en}",
    )


def age_out_of_range(age_min: int | None, age_max: int | None) -> Reason:
    """The person's age is outside the centre's limits."""
    fr, en = _ages(age_min, age_max)
    return Reason(
        "age_out_of_range",
        f"Ce centre accueille seulement les personnes {fr}",
        f"This centre only serves people {en}",
    )


def client_group_restricted(groups: frozenset[str]) -> Reason:
    """The centre serves only client groups the person did not say they belong to."""
    labels = [_labels("client_group", g) for g in sorted(groups)]
    return Reason(
        "client_group_restricted",
        "Ce centre est réservé à : " + ", ".join(fr.lower() for fr, _ in labels),
        "This centre only serves: " + ", ".join(en.lower() for _, en in labels),
    )
