"""Overlay: a mapping shared between versions behaves as the dict it stands for."""

import random

import pytest

from app.matching.overlay import Overlay


@pytest.mark.parametrize("seed", range(4))
def test_an_overlay_is_the_dict_it_stands_for(seed: int) -> None:
    rng = random.Random(seed)
    plain = {f"k{n}": n for n in range(3000)}
    versions = [(Overlay(dict(plain)), dict(plain))]
    for step in range(300):
        put = {f"k{rng.randrange(4000)}": step * 10 + n for n in range(rng.randint(0, 5))}
        gone = [f"k{rng.randrange(4000)}" for _ in range(rng.randint(0, 5))]
        overlay = versions[-1][0].changed(put, gone)
        plain = dict(plain) | put
        for key in gone:
            if key not in put:
                plain.pop(key, None)
        versions.append((overlay, plain))
    for overlay, expected in versions[::37] + versions[-1:]:  # older versions unchanged
        assert len(overlay) == len(expected)
        assert dict(overlay) == expected
        for key in ("k1", "k2999", "k3500", "missing", *list(expected)[:50]):
            assert (key in overlay) == (key in expected)
            assert overlay.get(key) == expected.get(key)
            if key not in expected:
                with pytest.raises(KeyError):
                    overlay[key]


def test_changes_fold_into_a_new_base_once_they_are_many() -> None:
    overlay: Overlay[str, int] = Overlay({})
    for n in range(2000):
        overlay = overlay.changed({f"k{n}": n})
    assert len(overlay._changes) <= 1024
    assert dict(overlay) == {f"k{n}": n for n in range(2000)}
