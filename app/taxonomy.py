"""Canonical codes of the public contract (DESIGN §4), with bilingual labels and synonyms.

Codes are stable; labels and synonyms can be improved freely. Synonyms feed free-text matching
and are compared after accent folding, so they are written here without worrying about accents.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Term:
    code: str
    fr: str
    en: str
    synonyms: tuple[str, ...] = field(default=())


REGIONS: tuple[Term, ...] = (
    Term("01", "Bas-Saint-Laurent", "Bas-Saint-Laurent"),
    Term("02", "Saguenay–Lac-Saint-Jean", "Saguenay–Lac-Saint-Jean"),
    Term("03", "Capitale-Nationale", "Capitale-Nationale"),
    Term("04", "Mauricie", "Mauricie"),
    Term("05", "Estrie", "Eastern Townships"),
    Term("06", "Montréal", "Montréal"),
    Term("07", "Outaouais", "Outaouais"),
    Term("08", "Abitibi-Témiscamingue", "Abitibi-Témiscamingue"),
    Term("09", "Côte-Nord", "Côte-Nord"),
    Term("10", "Nord-du-Québec", "Nord-du-Québec"),
    Term("11", "Gaspésie–Îles-de-la-Madeleine", "Gaspésie–Îles-de-la-Madeleine"),
    Term("12", "Chaudière-Appalaches", "Chaudière-Appalaches"),
    Term("13", "Laval", "Laval"),
    Term("14", "Lanaudière", "Lanaudière"),
    Term("15", "Laurentides", "Laurentians"),
    Term("16", "Montérégie", "Montérégie"),
    Term("17", "Centre-du-Québec", "Centre-du-Québec"),
)

SPECIALTIES: tuple[Term, ...] = (
    Term(
        "job_search",
        "Recherche d'emploi",
        "Job search",
        (
            "emploi",
            "job",
            "travail",
            "work",
            "trouver un emploi",
            "chercher un emploi",
            "find a job",
            "looking for work",
            "employment",
            "chomage",
            "unemployed",
        ),
    ),
    Term(
        "career_guidance",
        "Orientation professionnelle",
        "Career guidance",
        (
            "orientation",
            "choix de carriere",
            "career",
            "counselling",
            "conseiller d'orientation",
            "quoi faire",
            "bilan de competences",
            "career counselling",
        ),
    ),
    Term(
        "career_change",
        "Réorientation de carrière",
        "Career change",
        (
            "reorientation",
            "changer de carriere",
            "changement de carriere",
            "new career",
            "changer de metier",
            "reconversion",
            "switch careers",
        ),
    ),
    Term(
        "return_to_school",
        "Retour aux études",
        "Return to school",
        (
            "retour aux etudes",
            "retourner aux etudes",
            "etudes",
            "formation",
            "diplome",
            "dep",
            "cegep",
            "back to school",
            "training",
            "studies",
            "school",
            "raccrocheur",
        ),
    ),
    Term(
        "resume_interview",
        "CV, lettre et entrevue",
        "Résumé and interview preparation",
        (
            "cv",
            "curriculum vitae",
            "resume",
            "lettre de presentation",
            "entrevue",
            "entretien",
            "interview",
            "cover letter",
            "lettre de motivation",
        ),
    ),
    Term(
        "skills_recognition",
        "Reconnaissance des compétences et des diplômes",
        "Skills and credential recognition",
        (
            "reconnaissance des acquis",
            "equivalence",
            "diplome etranger",
            "ordre professionnel",
            "credential",
            "credentials",
            "foreign diploma",
            "rac",
        ),
    ),
    Term(
        "job_retention",
        "Maintien en emploi",
        "Job retention",
        ("maintien", "garder mon emploi", "keep my job", "retention", "conflit au travail"),
    ),
    Term(
        "work_placement",
        "Stages et intégration en entreprise",
        "Work placements",
        (
            "stage",
            "stages",
            "integration en emploi",
            "internship",
            "placement",
            "experience de travail",
        ),
    ),
    Term(
        "self_employment",
        "Démarrage d'entreprise",
        "Self-employment",
        (
            "entreprise",
            "demarrer une entreprise",
            "entrepreneur",
            "travailleur autonome",
            "start a business",
            "business",
            "self employed",
            "startup",
        ),
    ),
    Term(
        "newcomer_integration",
        "Intégration des personnes immigrantes",
        "Newcomer integration",
        (
            "immigrant",
            "immigration",
            "nouvel arrivant",
            "nouveaux arrivants",
            "newcomer",
            "refugie",
            "refugee",
            "francisation",
            "residence permanente",
        ),
    ),
    Term(
        "digital_skills",
        "Compétences numériques",
        "Digital skills",
        ("informatique", "ordinateur", "numerique", "computer", "internet", "digital", "excel"),
    ),
    Term(
        "group_workshops",
        "Ateliers de groupe, club de recherche d'emploi",
        "Group workshops, job club",
        ("atelier", "ateliers", "club de recherche", "groupe", "workshop", "job club"),
    ),
)

CLIENT_GROUPS: tuple[Term, ...] = (
    Term("general", "Tout public", "Everyone", ("tout le monde", "everyone", "all")),
    Term(
        "youth",
        "Jeunes (16–35 ans)",
        "Youth (16–35)",
        ("jeune", "jeunes", "young", "youth", "etudiant", "student"),
    ),
    Term(
        "experienced_workers",
        "Travailleurs expérimentés (50 ans et plus)",
        "Experienced workers (50+)",
        ("50 ans", "50+", "aine", "senior", "older worker"),
    ),
    Term(
        "immigrants",
        "Personnes immigrantes",
        "Immigrants",
        ("immigrant", "immigrante", "nouvel arrivant", "newcomer"),
    ),
    Term(
        "asylum_seekers",
        "Demandeurs d'asile",
        "Asylum seekers",
        ("asile", "demandeur d'asile", "refugie", "asylum", "refugee"),
    ),
    Term(
        "disabilities",
        "Personnes handicapées",
        "People with disabilities",
        ("handicap", "handicape", "limitation fonctionnelle", "disability", "disabled"),
    ),
    Term("women", "Femmes", "Women", ("femme", "femmes", "woman", "women")),
    Term(
        "justice_involved",
        "Personnes judiciarisées",
        "Justice-involved people",
        ("judiciarise", "casier judiciaire", "criminal record", "ex-detenu"),
    ),
    Term(
        "indigenous",
        "Personnes autochtones",
        "Indigenous people",
        ("autochtone", "premieres nations", "inuit", "first nations", "indigenous"),
    ),
    Term(
        "social_assistance",
        "Prestataires de l'aide sociale",
        "Social assistance recipients",
        ("aide sociale", "bs", "solidarite sociale", "welfare", "social assistance"),
    ),
    Term(
        "mental_health",
        "Personnes vivant avec un trouble de santé mentale",
        "People living with mental health issues",
        ("sante mentale", "anxiete", "depression", "mental health"),
    ),
    Term("retirees", "Personnes retraitées", "Retirees", ("retraite", "retraitee", "retired")),
)

# Client groups that DESIGN §4 defines by age: (youngest, oldest), None for no bound.
AGE_DEFINED_GROUPS: dict[str, tuple[int | None, int | None]] = {
    "youth": (16, 35),
    "experienced_workers": (50, None),
}

LANGUAGES: tuple[Term, ...] = tuple(
    Term(code, fr, en)
    for code, fr, en in (
        ("fr", "Français", "French"),
        ("en", "Anglais", "English"),
        ("es", "Espagnol", "Spanish"),
        ("ar", "Arabe", "Arabic"),
        ("zh", "Chinois", "Chinese"),
        ("pt", "Portugais", "Portuguese"),
        ("it", "Italien", "Italian"),
        ("de", "Allemand", "German"),
        ("ru", "Russe", "Russian"),
        ("uk", "Ukrainien", "Ukrainian"),
        ("fa", "Persan", "Persian"),
        ("vi", "Vietnamien", "Vietnamese"),
        ("ht", "Créole haïtien", "Haitian Creole"),
        ("ro", "Roumain", "Romanian"),
        ("pl", "Polonais", "Polish"),
        ("ta", "Tamoul", "Tamil"),
        ("pa", "Pendjabi", "Punjabi"),
        ("tl", "Tagalog", "Tagalog"),
        ("ko", "Coréen", "Korean"),
        ("ja", "Japonais", "Japanese"),
        ("hi", "Hindi", "Hindi"),
        ("bn", "Bengali", "Bengali"),
        ("ur", "Ourdou", "Urdu"),
        ("tr", "Turc", "Turkish"),
        ("el", "Grec", "Greek"),
        ("he", "Hébreu", "Hebrew"),
        ("sw", "Swahili", "Swahili"),
        ("ln", "Lingala", "Lingala"),
        ("wo", "Wolof", "Wolof"),
        ("so", "Somali", "Somali"),
        ("am", "Amharique", "Amharic"),
        ("ti", "Tigrigna", "Tigrinya"),
        ("ne", "Népalais", "Nepali"),
        ("km", "Khmer", "Khmer"),
        ("iu", "Inuktitut", "Inuktitut"),
        ("cr", "Cri", "Cree"),
        ("oj", "Ojibwé", "Ojibwe"),
        ("hy", "Arménien", "Armenian"),
        ("sq", "Albanais", "Albanian"),
        ("bg", "Bulgare", "Bulgarian"),
        ("sr", "Serbe", "Serbian"),
        ("hr", "Croate", "Croatian"),
        ("nl", "Néerlandais", "Dutch"),
        ("ff", "Peul", "Fula"),
        ("rw", "Kinyarwanda", "Kinyarwanda"),
        ("mg", "Malgache", "Malagasy"),
    )
)

MODES: tuple[Term, ...] = (
    Term("in_person", "En personne", "In person"),
    Term("remote", "À distance", "Remote"),
    Term("group", "En groupe", "In a group"),
)

INTAKE_STATUSES = ("open", "paused")
DECLINE_REASONS = (
    "no_capacity",
    "out_of_area",
    "not_eligible",
    "unreachable",
    "duplicate",
    "other",
)

REGION_CODES = frozenset(t.code for t in REGIONS)
SPECIALTY_CODES = frozenset(t.code for t in SPECIALTIES)
CLIENT_GROUP_CODES = frozenset(t.code for t in CLIENT_GROUPS)
LANGUAGE_CODES = frozenset(t.code for t in LANGUAGES)
MODE_CODES = frozenset(t.code for t in MODES)

ALLOWED: dict[str, frozenset[str]] = {
    "region": REGION_CODES,
    "specialty": SPECIALTY_CODES,
    "client_group": CLIENT_GROUP_CODES,
    "language": LANGUAGE_CODES,
    "mode": MODE_CODES,
    "intake_status": frozenset(INTAKE_STATUSES),
    "decline_reason": frozenset(DECLINE_REASONS),
}

REGION_BY_CODE = {t.code: t for t in REGIONS}
