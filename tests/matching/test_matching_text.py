"""Free-text needs: the listed words map, accents and case do not matter, noise maps nothing."""

import pytest

from app.matching import fold, interpret_need_text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CV", "resume_interview"),
        ("cv", "resume_interview"),
        ("entrevue", "resume_interview"),
        ("Préparer une ENTREVUE", "resume_interview"),
        ("retour aux études", "return_to_school"),
        ("retour aux etudes", "return_to_school"),
        ("réorientation", "career_change"),
        ("reorientation", "career_change"),
        ("immigrant", "newcomer_integration"),
        ("Je suis immigrée depuis un an", "newcomer_integration"),
        ("help with my résumé", "resume_interview"),
        ("je cherche un emploi", "job_search"),
        ("démarrer une entreprise", "self_employment"),
    ],
)
def test_listed_words_map_to_their_specialty(text, code):
    found = interpret_need_text(text)
    assert code in found and 0.85 <= found[code] <= 1.0


@pytest.mark.parametrize("text", ["soudure", "", None, "bonjour", "information"])
def test_words_outside_the_vocabulary_map_nothing(text):
    assert interpret_need_text(text) == {}


def test_typos_map_with_a_lower_strength():
    found = interpret_need_text("reorientaton")
    assert found.keys() == {"career_change"} and 0.85 <= found["career_change"] < 1.0


def test_longer_phrase_claims_its_words():
    # "maintien en emploi" is job retention; "emploi" inside it must not add job search.
    assert interpret_need_text("maintien en emploi") == {"job_retention": 1.0}


def test_several_needs_in_one_sentence():
    found = interpret_need_text("J'ai besoin d'aide avec mon CV et je veux un retour aux études")
    assert {"resume_interview", "return_to_school"} <= found.keys()


def test_returned_dict_is_a_fresh_copy():
    interpret_need_text("CV").clear()
    assert interpret_need_text("CV") == {"resume_interview": 1.0}


def test_fold_strips_accents_case_and_punctuation():
    assert fold("  Retour aux Études, SVP!") == "retour aux etudes svp"
    assert fold("Réorientation d'une carrière") == "reorientation d une carriere"
