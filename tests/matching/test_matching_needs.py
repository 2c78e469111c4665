"""Needs read from people's own words (policy 2026.3): French and English, stemmed, with
abbreviations and typos, and the words that said each need."""

import pytest

from app.matching import POLICY, POLICY_2026_2, MatchIndex, detect_needs, interpret_need_text
from app.matching.needs import MAX_WORDS


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # The phrasings of issue 14, which 2026.2 read as nothing.
        ("I want to change careers", "career_change"),
        ("je veux retourner à l'école, finir mon secondaire", "return_to_school"),
        ("going back to college as an adult", "return_to_school"),
        ("mon c.v.", "resume_interview"),
        # Inflections, both languages, no accents, any case.
        ("je veux changer de carrière", "career_change"),
        ("changement de carrieres", "career_change"),
        ("I'm changing careers", "career_change"),
        ("RETOUR AUX ETUDES", "return_to_school"),
        ("je suis immigrée", "newcomer_integration"),
        ("I'm new to Canada", "newcomer_integration"),
        ("je ne sais pas quel métier choisir", "career_guidance"),
        ("what career is right for me", "career_guidance"),
        ("garder mon emploi", "job_retention"),
        ("I want to keep my job", "job_retention"),
        ("faire un stage en entreprise", "work_placement"),
        ("looking for an internship", "work_placement"),
        ("démarrer ma propre entreprise", "self_employment"),
        ("start my own business", "self_employment"),
        ("apprendre à me servir d'un ordinateur", "digital_skills"),
        ("improve my computer skills", "digital_skills"),
        ("un club de recherche d'emploi", "group_workshops"),
        ("faire reconnaître mes acquis", "skills_recognition"),
        ("get my foreign degree recognized", "skills_recognition"),
        ("j'ai perdu mon emploi", "job_search"),
        ("I lost my job", "job_search"),
        # Abbreviations.
        ("help with my CV", "resume_interview"),
        ("refaire mon curriculum vitae", "resume_interview"),
        ("finir mon DES", "return_to_school"),
        ("un D.E.P. en soudure", "return_to_school"),
        ("une AEC en comptabilité", "return_to_school"),
        ("aller au cégep", "return_to_school"),
        ("faire une RAC", "skills_recognition"),
    ],
)
def test_needs_as_people_write_them(text, code):
    assert code in interpret_need_text(text), detect_needs(text)


@pytest.mark.parametrize(
    "text",
    ["soudure", "", None, "bonjour", "information", "je serais reconnaissant de votre aide"],
)
def test_words_outside_the_lexicon_give_nothing(text):
    assert detect_needs(text) == ()


def test_abbreviations_that_are_french_words_count_only_in_capitals():
    # "des" is an article and "dep" a corner store: only DES and DEP are diplomas.
    assert detect_needs("des emplois au dep du coin") == detect_needs("emplois")
    assert "return_to_school" in interpret_need_text("finir mon DES ou mon d.e.s.")


def test_typos_count_by_their_similarity():
    found = interpret_need_text("chager de carriere")
    assert found.keys() == {"career_change"} and 0.85 <= found["career_change"] < 1.0
    assert 0.85 <= interpret_need_text("going back to scool")["return_to_school"] < 1.0


def test_words_that_said_each_need_are_kept_as_written():
    found = detect_needs("Je veux retourner à l'école et refaire mon C.V.")
    assert [(n.code, n.words) for n in found] == [
        ("return_to_school", ("retourner à l'école",)),
        ("resume_interview", ("C.V.",)),
    ]
    assert all(n.strength == 1.0 for n in found)
    assert found[0].to_dict() == {
        "code": "return_to_school",
        "fr": "Retour aux études",
        "en": "Return to school",
        "strength": 1.0,
        "words": ["retourner à l'école"],
    }


def test_longer_phrases_claim_their_words():
    assert interpret_need_text("maintien en emploi") == {"job_retention": 1.0}
    assert interpret_need_text("a job club") == {"group_workshops": 1.0}
    assert interpret_need_text("entrevue d'embauche") == {"resume_interview": 1.0}


def test_a_pasted_essay_reads_only_its_first_words():
    text = " ".join(["bonjour"] * MAX_WORDS + ["cv"])
    assert detect_needs(text) == ()
    assert interpret_need_text("cv " + text) == {"resume_interview": 1.0}


@pytest.mark.parametrize("text", ["\x00cv\u202e", "é" * 400, "CV " * 150, "𝕔𝕧 🙂", "1234 5678"])
def test_odd_text_never_fails(text):
    assert isinstance(detect_needs(text), tuple)


def test_the_answer_shows_what_was_read_and_the_previous_policy_read_less(
    make_centre, make_situation
):
    centres = [make_centre("school", specialties={"return_to_school", "job_search"})]
    s = make_situation(need_text="going back to college as an adult")
    outcome = MatchIndex(centres).rank(s)
    assert outcome.policy_version == POLICY.version
    assert [(n.code, n.words) for n in outcome.needs_detected] == [
        ("return_to_school", ("back to college",))
    ]
    assert "specialty_match" in {r.code for r in outcome.results[0].reasons}
    previous = MatchIndex(centres, POLICY_2026_2).rank(s)
    assert previous.policy_version == "2026.2"
    assert [n.code for n in previous.needs_detected] != ["return_to_school"]
