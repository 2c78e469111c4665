"""The matching evaluation set: situations over the demo directory and what must come first.

Each case is a person as they would describe themselves (a postal code, a town, or a point;
groups, needs, own words, language, modes, age) and what a demanding user expects:
- `first`: the centres acceptable in first place (empty: nothing may be offered at all);
- `good`: centres that are fine in the top three (graded 1 against 2 for `first` in NDCG@3);
- `never`: centres that must not appear anywhere in the ranking (a hard rule forbids them);
- `present`: centres that must appear somewhere (there is no hard radius).
`covers` names the rules, components and awkward cases exercised.

Expectations are read off the directory (data/demo_centres.json), never off a ranking, with
the hard rules of issue 4 and this order of preference: a centre that offers what was asked
for; then one that serves the person's region over one that would help remotely from
elsewhere; then one specialised in the person's group; then the nearer; then the one with
room. Someone who only wants remote help is served by centres that work remotely. Where two
answers are equally defensible, both are acceptable first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# What the set must cover: every eligibility rule, every relevance component, awkward cases.
RULES = (
    "inactive", "intake_paused", "already_referred", "out_of_region", "language_not_offered",
    "age_out_of_range", "client_group_restricted",
)  # fmt: skip
RELEVANCE = ("specialty", "specialty_text", "client_group", "distance", "mode", "load", "region")
AWKWARD = (
    "region_border", "english_in_gaspesie", "age_17", "newcomer_remote", "region_all_paused",
    "no_centre_in_region", "empty_criteria", "nothing_eligible", "far_centre_still_shown",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One situation and its expected answer."""

    name: str
    where: dict[str, Any]  # {"postal_code"} | {"municipality"} | {"lat", "lon"}
    first: frozenset[str]
    covers: frozenset[str]
    why: str
    good: frozenset[str] = frozenset()
    never: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()
    criteria: Mapping[str, Any] = field(default_factory=dict)  # Situation fields
    load: Mapping[str, int] = field(default_factory=dict)  # open referrals by ref
    exclude: frozenset[str] = frozenset()  # refs already tried for this request
    paused_regions: frozenset[str] = frozenset()  # directory variant: pause their centres
    inactive: frozenset[str] = frozenset()  # directory variant: deactivate these refs

    def grade(self, ref: str) -> int:
        """Graded relevance for NDCG: 2 for an acceptable first, 1 for a good one, else 0."""
        return 2 if ref in self.first else 1 if ref in self.good else 0


def _refs(text: str) -> frozenset[str]:
    """ "mtl-01 cap-02" -> {"demo-mtl-01", "demo-cap-02"}."""
    return frozenset(f"demo-{ref}" for ref in text.split())


def _where(where: str | tuple[float, float]) -> dict[str, Any]:
    if isinstance(where, tuple):
        return {"lat": where[0], "lon": where[1]}
    # A Canadian postal code has a digit in second place; town names never do.
    return {"postal_code": where} if where[1].isdigit() else {"municipality": where}


_CRITERIA = {"groups": "client_groups", "needs": "needs", "text": "need_text",
             "lang": "language", "modes": "modes", "age": "age"}  # fmt: skip
_SET_CRITERIA = {"groups", "needs", "modes"}  # given as space-separated codes


def case(
    name: str,
    where: str | tuple[float, float],
    first: str,
    *,
    covers: str,
    why: str,
    good: str = "",
    never: str = "",
    present: str = "",
    load: Mapping[str, int] | None = None,
    exclude: str = "",
    paused_regions: str = "",
    inactive: str = "",
    **criteria: Any,
) -> Case:
    """A case in short form: refs without their "demo-" prefix, space-separated."""
    fields: dict[str, Any] = {}
    for short, value in criteria.items():
        fields[_CRITERIA[short]] = frozenset(value.split()) if short in _SET_CRITERIA else value
    return Case(
        name=name,
        where=_where(where),
        first=_refs(first),
        covers=frozenset(covers.split()),
        why=why,
        good=_refs(good),
        never=_refs(never),
        present=_refs(present),
        criteria=fields,
        load={f"demo-{ref}": n for ref, n in (load or {}).items()},
        exclude=_refs(exclude),
        paused_regions=frozenset(paused_regions.split()),
        inactive=_refs(inactive),
    )


# fmt: off
CASES: tuple[Case, ...] = (
    # --- Eligibility: hard rules ----------------------------------------------------------
    case("paused_immigrant_centre_repentigny", "Repentigny", "lan-01 lan-02",
         groups="immigrants", needs="newcomer_integration", modes="in_person",
         never="lan-03 lan-04 lan-05 mtl-01 lav-01", good="lan-01 lan-02",
         covers="intake_paused out_of_region client_group_restricted",
         why="The town's own newcomer centre is paused; in person means region 14 only."),
    case("paused_disabilities_centre_boucherville", "Boucherville", "mon-16",
         groups="disabilities", needs="job_retention", good="mon-15 mon-01", never="mon-12",
         covers="intake_paused client_group region",
         why="The local disabilities centre is paused: the nearest other one that fits."),
    case("paused_50plus_centre_becancour", "Bécancour", "cha-01",
         groups="experienced_workers", needs="career_change", age=58,
         good="cap-02 mon-10", never="cdq-03 cap-05 lan-04",
         covers="intake_paused specialty region",
         why="No open centre of region 17 offers career change; since issue 14, Lévis' centre, "
             "which serves 17 and offers career guidance, before remote ones that offer it."),
    case("inactive_centre_trois_rivieres", "Trois-Rivières", "mau-02", inactive="mau-01",
         never="mau-01 mau-03", good="mau-04 cdq-01 mon-13",
         covers="inactive empty_criteria distance",
         why="A deactivated centre is never offered, even on the person's doorstep."),
    case("already_referred_montreal", "H2X 1Y4", "mtl-12", exclude="mtl-01",
         groups="immigrants", needs="newcomer_integration", never="mtl-01",
         good="mtl-02 mtl-03", covers="already_referred client_group",
         why="After a decline, the next centre that fits, never the same one again."),
    case("border_becancour_no_criteria", "Bécancour", "cdq-02 cdq-01",
         never="mau-01 mau-02 mau-03 mau-04 cdq-03", good="mon-13",
         covers="region_border out_of_region intake_paused empty_criteria",
         why="Trois-Rivières is 10 km across the river but its centres serve region 04 only."),
    case("border_becancour_in_person", "Bécancour", "cdq-02 cdq-01",
         needs="job_search", modes="in_person", never="mau-01 mau-02 mon-13 cap-02",
         covers="region_border out_of_region mode",
         why="In person only: the centres of region 17, however far."),
    case("border_levis_resume", "Lévis", "cha-01", needs="resume_interview", good="cha-02",
         never="cap-01 cap-03 cap-04", covers="region_border region",
         why="A Québec City centre 5 km away does not serve Lévis; Lévis' own does."),
    case("border_quebec_served_from_levis", "G1R 1A1", "cha-02", needs="digital_skills",
         modes="in_person", never="cap-06 cap-08", covers="region_border specialty",
         why="The Lévis centre also serves region 03 and is the only open one with the service."),
    case("border_laval_served_from_montreal", (45.553, -73.70), "mtl-20",
         groups="immigrants", needs="skills_recognition", good="mtl-17",
         never="mtl-02 mtl-03 cap-03", covers="region_border client_group specialty",
         why="A Montréal newcomer centre that also serves Laval fits; one that does not, never."),
    case("nord_du_quebec_youth", "Chibougamau", "sag-02", groups="youth", age=24,
         needs="return_to_school", good="abt-03", never="sag-01 abt-01",
         covers="no_centre_in_region far_centre_still_shown client_group",
         why="No centre serves region 10: the nearest fitting remote centres, 300 km away."),
    case("nord_du_quebec_in_person", "Chibougamau", "", modes="in_person",
         covers="nothing_eligible out_of_region",
         why="No centre serves region 10 in person: nothing to offer, staff routes by hand."),
    case("english_in_gaspesie", "Gaspé", "cdq-01", lang="en", age=40,
         needs="return_to_school", good="mtl-22 lav-01", never="gas-01 gas-02",
         covers="english_in_gaspesie language_not_offered client_group_restricted",
         why="Gaspé's centre is French only; New Richmond's serves youth and Indigenous people."),
    case("english_in_gaspesie_indigenous", "Gaspé", "gas-02", lang="en",
         groups="indigenous", never="gas-01", covers="english_in_gaspesie client_group region",
         why="New Richmond serves Indigenous people in English, in the person's region."),
    case("english_in_gaspesie_in_person", "Gaspé", "", lang="en", modes="in_person",
         covers="english_in_gaspesie nothing_eligible language_not_offered",
         why="Nobody serves an adult in English in person in Gaspésie."),
    case("english_in_gaspesie_young", "Gaspé", "gas-02", lang="en", groups="youth", age=19,
         modes="in_person", never="gas-01 mtl-10", covers="english_in_gaspesie age_17 mode",
         why="A 19-year-old in Gaspé: the regional youth centre, in English."),
    case("spanish_speaker_quebec", "G1V 1A1", "cap-06", lang="es", groups="immigrants",
         never="cap-02 cap-03 cap-04", covers="language_not_offered client_group",
         why="Only one centre offers Spanish."),
    case("arabic_speaker_montreal", "H4A 1A1", "mtl-17", lang="ar", groups="immigrants",
         never="cap-03 mtl-03 mtl-02", covers="language_not_offered out_of_region",
         why="The Arabic-speaking centre of Québec City is in person and serves 03 only."),
    case("english_cv_montreal", "H2X 1Y4", "mtl-04 mtl-15", lang="en",
         text="help with my resume and cover letter", good="mtl-12 mtl-22",
         never="mtl-01 mtl-07 mtl-05", covers="language_not_offered specialty_text",
         why="English-speaking generalists near the Plateau that prepare résumés."),
    case("seventeen_shawinigan", "Shawinigan", "mau-03", age=17, groups="youth",
         needs="return_to_school", never="cdq-03",
         good="est-03 mtl-09 mtl-10 mtl-13 sag-02 abt-03 mon-09",
         covers="age_17 client_group", why="The youth centre of Shawinigan takes 16 to 35."),
    case("seventeen_laval", "Laval", "lav-02", age=17, groups="youth", needs="job_search",
         good="lav-01 lav-03", never="mtl-18", covers="age_17 client_group",
         why="A youth centre 1.5 km away ranks above a generalist at 0 km."),
    case("fifteen_laval", "Laval", "lav-01 mtl-09", age=15, groups="youth",
         good="lav-03 mon-05", never="lav-02 mtl-10 mtl-13 mon-09",
         covers="age_out_of_range region",
         why="Youth centres for 16 to 35 cannot take a 15-year-old; others can."),
    case("fifty_seven_joliette", "Joliette", "lan-04", age=57, groups="experienced_workers",
         needs="career_change", good="lan-01", covers="client_group specialty",
         why="The 50+ centre on the person's doorstep offers career change."),
    case("forty_five_claims_50plus", "Joliette", "lan-01", age=45,
         groups="experienced_workers", needs="career_change", good="cap-02 cha-03 cno-02 out-05",
         never="lan-04 mon-10 cap-05", covers="age_out_of_range specialty",
         why="A 50+ centre cannot take a 45-year-old, whatever the group ticked."),
    case("thirty_six_youth_montreal", "H4A 1A1", "mtl-06 mtl-09", age=36, groups="youth",
         needs="return_to_school", good="mtl-22 mtl-05", never="mtl-13 mtl-18 mtl-10",
         covers="age_out_of_range client_group",
         why="Youth centres with an age limit stop at 35; those without one still fit."),
    case("seventy_retiree_quebec", "G1V 1A1", "cap-05", age=70, groups="retirees",
         needs="job_search", good="cap-02 cap-01", covers="client_group",
         why="The 50+ centre near Sainte-Foy also serves retirees."),
    case("no_criteria_plateau", "H2X 1Y4", "mtl-01", good="mtl-04 mtl-15",
         never="mtl-07 mtl-02 mtl-03", covers="empty_criteria client_group_restricted distance",
         why="Nothing said: the nearest centre that serves everyone."),
    case("justice_involved_montreal", "H1N 1A1", "mtl-07", groups="justice_involved",
         needs="work_placement", good="mtl-14", never="mon-02", covers="client_group",
         why="The justice-involved centre of Montréal has work placements."),
    case("justice_involved_south_shore", "J4P 1A1", "mon-01", groups="justice_involved",
         good="mon-14 mon-16 mtl-01", never="mon-02 mtl-07",
         covers="intake_paused out_of_region region",
         why="The South Shore's justice centre is paused; Montréal's serves 06 only."),
    case("women_montreal_career_change", "H4A 1A1", "mtl-16", groups="women",
         needs="career_change", good="mon-06 mtl-14", covers="client_group specialty",
         why="A women's centre offering career change, 4 km away."),
    case("career_change_without_group", "H4A 1A1", "mtl-14 mtl-19", needs="career_change",
         never="mtl-16 mon-06", good="mtl-14 mtl-19",
         covers="client_group_restricted specialty",
         why="Women's centres are for people who say they are women; generalists remain."),
    case("asylum_seeker_montreal", "H2X 1Y4", "mtl-02", groups="asylum_seekers",
         needs="skills_recognition", never="mtl-03 mtl-20 mtl-17",
         covers="client_group_restricted client_group",
         why="Immigrant-only centres do not take asylum seekers; mtl-02 takes both."),
    # --- Relevance: specialty from codes and from words ------------------------------------
    case("self_employment_trois_rivieres", "Trois-Rivières", "mau-02",
         needs="self_employment", good="mau-04 cdq-01 mon-13", covers="specialty",
         why="The second Trois-Rivières centre offers self-employment, the first does not."),
    case("skills_recognition_south_shore", "J4P 1A1", "mon-03", groups="immigrants",
         needs="skills_recognition", good="cap-06", covers="specialty client_group",
         why="A newcomer centre 3 km away with credential recognition."),
    case("two_needs_east_montreal", "H1N 1A1", "mtl-14", needs="career_change job_retention",
         good="mtl-19 mtl-12 mtl-15", covers="specialty",
         why="Only one centre nearby offers both needs."),
    case("career_guidance_gatineau", "Gatineau", "out-05", needs="career_guidance", age=40,
         good="out-04", never="out-02", covers="specialty distance far_centre_still_shown",
         why="Gatineau's own centres lack guidance: Shawville, 62 km, still in region 07."),
    case("digital_skills_sherbrooke", "Sherbrooke", "est-01", needs="digital_skills",
         good="mon-01 mon-05", never="est-02 est-04", covers="specialty client_group_restricted",
         why="The Sherbrooke generalist teaches digital skills."),
    case("text_cv_sainte_foy", "G1V 1A1", "cap-02", text="J'ai besoin d'aide pour mon CV",
         good="cap-01 cha-02", never="cap-05 cap-03", covers="specialty_text",
         why="'CV' is résumé help; the 50+ centre next door is not for this person."),
    case("text_entrevue_sherbrooke", "Sherbrooke", "est-01", text="préparer une entrevue",
         good="mon-01 mon-14 cdq-01", never="est-02 est-04", covers="specialty_text",
         why="'Entrevue' is interview preparation."),
    case("text_return_to_school_gatineau", "Gatineau", "out-03",
         text="Je pense à un retour aux études", good="out-05 out-04", covers="specialty_text",
         why="Of the Gatineau centres, only the second one does return to school."),
    case("text_reorientation_quebec", "G1V 1A1", "cap-02", text="réorientation",
         good="cha-03 cno-02", never="cha-04 cap-05", covers="specialty_text",
         why="'Réorientation' is career change, offered 4 km away."),
    case("text_immigrant_no_group_ticked", "G8T 2A1", "mau-01 cap-02",
         text="je suis immigrant et je cherche un emploi", good="mtl-01 mau-02",
         never="cap-06 cap-03", covers="specialty_text region client_group_restricted",
         why="'Immigrant' may be context or a need: the local job centre and the remote "
             "newcomer centre are both right; a newcomer-only centre is not, group unticked."),
    case("text_credentials_sainte_foy", "G1V 1A1", "cap-03", groups="immigrants",
         text="faire reconnaître mes diplômes", good="cap-06 cap-04", covers="specialty_text",
         why="Credential recognition, at the newcomer centre 4 km away."),
    case("text_soudure_maps_nothing", "Sherbrooke", "est-01", text="soudure",
         good="mon-01 mon-14 cdq-01", never="est-02",
         covers="specialty_text distance", why="'Soudure' names no service: location decides."),
    case("design_example_trois_rivieres", "G8T 2A1", "mau-01", groups="immigrants",
         needs="job_search", text="je cherche un emploi en soudure", lang="fr",
         modes="in_person remote", age=34, good="mau-02 cap-02 cap-06",
         covers="region specialty_text",
         why="DESIGN §6's example: a centre of the person's region that fits beats a remote one."),
    case("english_text_gatineau", "Gatineau", "out-03", lang="en",
         text="I need help with my resume", never="out-01 out-02",
         covers="specialty_text language_not_offered", why="The English Gatineau centre."),
    case("text_self_employment_south_shore", "J4P 1A1", "mon-01",
         text="je veux lancer mon entreprise", good="mtl-01", never="mon-03",
         covers="specialty_text", why="Self-employment help 4 km away, in the region."),
    # --- Relevance: specialisation, distance, mode, load, region ---------------------------
    case("immigrant_east_montreal", "H1N 1A1", "mtl-12", groups="immigrants",
         needs="job_search", good="mtl-03 mtl-01 mtl-02", never="mtl-09",
         covers="client_group", why="The nearest centre that lists immigrants, 3.7 km."),
    case("newcomer_specialist_sainte_foy", "G1V 1A1", "cap-03", groups="immigrants",
         needs="skills_recognition", good="cap-06 cap-04", covers="client_group specialty",
         why="Credential recognition at a newcomer centre, 4 km away."),
    case("disabilities_sherbrooke", "Sherbrooke", "est-02", groups="disabilities",
         needs="job_retention", good="est-04 mtl-01", covers="client_group specialty",
         why="The disabilities centre 4 km away keeps people in their job."),
    case("mental_health_laval", "Laval", "lav-04", groups="mental_health",
         needs="job_retention", good="mtl-15 abt-02", covers="client_group specialty",
         why="Of Laval's mental-health centres, one offers job retention."),
    case("newcomer_mont_tremblant", "Mont-Tremblant", "lau-02", groups="immigrants",
         needs="newcomer_integration", good="lau-05 lau-04", covers="specialty region distance",
         why="65 km within the region beats the town's centre that lacks the service."),
    case("nearest_generalist_ndg", "H4A 1A1", "mtl-22", needs="job_search",
         good="mtl-05 mtl-01", never="mtl-13 mtl-08", covers="distance",
         why="Everyone offers job search: the nearest that serves everyone."),
    case("nearest_valleyfield", "Salaberry-de-Valleyfield", "mon-11", good="mtl-23",
         never="mon-10 mon-09", covers="distance empty_criteria client_group_restricted",
         why="The town's own centre is for 50+; the next one, 18 km away."),
    case("islands_far_centre", "G4T 1A1", "gas-01", present="gas-01 cno-01",
         never="gas-02", covers="far_centre_still_shown distance region",
         why="The Magdalen Islands are 260 km from Gaspé, which still serves them."),
    case("havre_saint_pierre_region", "Havre-Saint-Pierre", "cno-01", good="gas-01",
         present="cno-02", covers="region far_centre_still_shown",
         why="Sept-Îles serves the person's region; Gaspé is nearer but remote only."),
    case("group_workshops_ndg", "H4A 1A1", "mtl-01", modes="group", needs="job_search",
         good="mtl-04 mtl-21", never="mtl-16 mtl-10", covers="mode",
         why="The person wants group sessions: the nearest open-to-all centre that runs them."),
    case("remote_only_rimouski", "Rimouski", "cno-02", modes="remote",
         needs="career_change", good="gas-01 cap-02", covers="mode specialty",
         why="Remote only and career change: Baie-Comeau offers both."),
    case("remote_only_saguenay_youth", "G7H 1A1", "sag-02", modes="remote", groups="youth",
         age=22, needs="work_placement", good="abt-03 est-03 mtl-09 mtl-10",
         covers="mode region",
         why="The regional youth centre works remotely."),
    case("remote_only_laval", "Laval", "lav-01", modes="remote", needs="job_search",
         good="mtl-01 mtl-22 mtl-23 mon-05", covers="mode region",
         why="Laval's own centre works remotely: no need to go to another region."),
    case("load_trois_rivieres", "Trois-Rivières", "mau-02", load={"mau-01": 14},
         good="mau-01", covers="load", why="The nearest centre is full this week."),
    case("load_plateau_newcomers", "H2X 1Y4", "mtl-12", groups="immigrants",
         needs="newcomer_integration", load={"mtl-01": 27}, good="mtl-01 mtl-02 mtl-03",
         covers="load client_group",
         why="Two equally fitting centres 1.6 km apart: the one with room."),
    case("load_does_not_beat_fit", "Gatineau", "out-03", text="retour aux études",
         load={"out-03": 6, "out-01": 0}, good="out-05 out-04", covers="load specialty_text",
         why="A busy centre that fits still ranks above an idle one that does not."),
    # --- Awkward cases ---------------------------------------------------------------------
    case("immigrant_job_trois_rivieres", "G8T 2A1", "mau-01", groups="immigrants",
         needs="job_search", good="mau-02 cap-02 cap-06", covers="region client_group",
         why="Job search is offered in the region, 9 km away: no need for Québec City's remote."),
    case("immigrant_job_val_dor", "Val-d'Or", "abt-01", groups="immigrants",
         needs="job_search", good="mtl-01 cap-02 cap-06", never="abt-02 abt-03",
         covers="region client_group",
         why="The regional generalist, 92 km away, before newcomer centres 430 km away."),
    case("immigrant_job_trois_rivieres_in_person", "G8T 2A1", "mau-01",
         groups="immigrants", needs="job_search", modes="in_person", good="mau-02",
         never="cap-02 cap-06 mtl-01", covers="out_of_region mode",
         why="In person only: Québec City's centres do not serve Mauricie."),
    case("newcomer_remote_trois_rivieres", "G8T 2A1", "cap-02 cap-06 mtl-01",
         groups="immigrants", needs="job_search", modes="remote", never="cap-03 cap-04",
         covers="newcomer_remote mode client_group",
         why="Remote only: the newcomer centres that work remotely, wherever they are."),
    case("newcomer_remote_credentials_rimouski", "Rimouski", "cap-06", groups="immigrants",
         modes="remote", text="faire reconnaître mes diplômes", good="cap-02 mtl-01",
         never="mtl-02 cap-03 cap-07", covers="newcomer_remote specialty_text",
         why="A newcomer in Rimouski: remote credential recognition from Québec City."),
    case("newcomer_needs_what_region_lacks", "G8T 2A1", "mau-01 mau-02",
         groups="immigrants", needs="newcomer_integration skills_recognition",
         good="cap-06 cap-02", covers="specialty region",
         why="Mauricie has no newcomer service; since issue 14, the local centres' job search "
             "comes before the remote specialists (2026.2 put those first)."),
    case("region_paused_remote_help", "G8T 2A1", "mon-13 cdq-01", paused_regions="04",
         never="mau-01 mau-02 mau-03 mau-04 cdq-03", covers="region_all_paused intake_paused",
         why="Every centre of Mauricie is paused: the nearest remote ones."),
    case("region_paused_in_person", "G8T 2A1", "", paused_regions="04", modes="in_person",
         covers="region_all_paused nothing_eligible",
         why="Every centre of Mauricie is paused and the person will not work remotely."),
    case("region_paused_immigrant", "G8T 2A1", "cap-02 cap-06", paused_regions="04",
         groups="immigrants", needs="job_search", good="mtl-01 mon-13 cdq-01",
         never="mau-01 mau-02", covers="region_all_paused client_group",
         why="With the region paused, remote newcomer centres fit best."),
)
# fmt: on
