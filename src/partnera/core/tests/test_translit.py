"""The official Bulgarian transliteration and the search key both scripts meet in."""

import pytest

from partnera.core.translit import search_key, strip_accents, to_cyrillic, to_latin


@pytest.mark.parametrize(("cyrillic", "latin"), [
    ("Петров", "Petrov"),
    ("Щастливеца", "Shtastlivetsa"),
    ("Жельо Цветков", "Zhelyo Tsvetkov"),
    ("Юлия", "Yulia"),            # "ия" at a word's end → "ia"
    ("Ия", "Iya"),                # ...but not when it is the whole word
    ("София", "Sofia"),
    ("Чавдар Шишков", "Chavdar Shishkov"),
    ("Ъглов", "Aglov"),
    ("ЙОРДАН", "YORDAN"),
    ("Alfa Ltd", "Alfa Ltd"),     # Latin untouched
])
def test_to_latin_follows_the_official_system(cyrillic, latin):
    assert to_latin(cyrillic) == latin


@pytest.mark.parametrize(("latin", "cyrillic"), [
    ("Petrov", "петров"),
    ("Shtastlivetsa", "щастливеца"),
    ("Yulia Tsvetkova", "юлия цветкова"),
    ("Zhivko", "живко"),
])
def test_to_cyrillic_reverses_the_unambiguous_letters(latin, cyrillic):
    assert to_cyrillic(latin).lower() == cyrillic


def test_accents_go_but_the_letters_й_and_ё_stay():
    assert strip_accents("Müller Crème") == "Muller Creme"
    assert strip_accents("Йордан Ёлка") == "Йордан Ёлка"


@pytest.mark.parametrize(("a", "b"), [
    ("«Петров» ООД", "«PETROV» OOD"),
    ("Йорданов", "yordanov"),
    ("  Алфа   Бета ", "alfa beta"),
    ("Müller", "MULLER"),
])
def test_both_scripts_meet_in_the_search_key(a, b):
    assert search_key(a) == search_key(b)


def test_different_names_keep_different_keys():
    assert search_key("Петров") != search_key("Петрова")
    assert search_key("") == ""
