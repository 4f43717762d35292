"""The German catalogue is complete, compiled and consistent with the code.

German is the default UI language, so a message that is missing from ``de/messages.po``
shows up in English for almost every visitor. These tests extract the messages from the
code exactly as ``pybabel extract -F app/translations/babel.cfg -k _l`` does and compare
them with the catalogue, check that the compiled ``.mo`` is the one the ``.po`` gives, and
that every ``%(name)s`` placeholder survives translation.

Plurals: a message with a count is an ``ngettext`` (``{% trans count=… %}…{% pluralize %}``
in templates), its German entry has both forms (German: one for 1, one for everything
else) and the compiled catalogue picks the right one; a count next to a plural noun in a
plain message ("1 exhibitors", "1 Plätze") is refused unless the number is a fixed limit.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "app" / "translations"
PO_FILE = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
MO_FILE = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo"
# The same keywords as the documented command line: Babel's defaults plus ``_l``.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
# Python %-format placeholders: %(name)s, %(n)d, and bare %s/%d; "%%" is a literal.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


def _msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple | list) else message_id


def extracted_messages() -> dict[str, tuple[str | tuple[str, ...], str]]:
    """Every message in the code now, keyed by its (singular) id, with a place it is used."""
    with (TRANSLATIONS / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, tuple[str | tuple[str, ...], str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(_msgid(message), (message, f"{filename}:{lineno}"))
    return found


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, tuple | list) else (string,)


def german_catalog() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="de")


def placeholders(text: str) -> Counter:
    return Counter(
        f"%({name}){kind}" if name else f"%{kind}"
        for name, kind in PLACEHOLDER.findall(text)
        if kind != "%"
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return german_catalog()


def test_every_message_in_the_code_has_a_german_translation(catalog: Catalog) -> None:
    code = extracted_messages()
    assert len(code) > 100, "extraction found suspiciously few messages"
    problems = []
    for msgid, (message, place) in code.items():
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({place})")
            continue
        if not all(_strings(entry.string)):
            problems.append(f"untranslated: {msgid!r} ({place})")
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({place})")
        if isinstance(message, tuple | list) and not entry.pluralizable:
            problems.append(f"needs plural forms: {msgid!r} ({place})")
        elif isinstance(message, tuple | list) and tuple(message[:2]) != tuple(entry.id):
            problems.append(f"plural msgid differs: {message!r} vs {entry.id!r} ({place})")
        elif not isinstance(message, tuple | list) and entry.pluralizable:
            problems.append(f"the code uses no plural, the catalogue does: {msgid!r} ({place})")
    assert not problems, (
        "Update the German catalogue (pybabel extract / update / compile, see README):\n"
        + "\n".join(problems)
    )


def test_catalogue_has_no_fuzzy_or_empty_entries(catalog: Catalog) -> None:
    """A fuzzy guess by ``pybabel update`` is ignored at runtime, so it must be reviewed."""
    bad = [
        message.id for message in catalog
        if message.id and (message.fuzzy or not all(_strings(message.string)))
    ]
    assert not bad


def test_compiled_catalogue_matches_the_po_file(catalog: Catalog) -> None:
    with MO_FILE.open("rb") as handle:
        compiled = read_mo(handle)
    # Like ``pybabel compile``: fuzzy and untranslated entries are left out.
    # Keyed by context too: "Cancelled" is a booking's "Storniert" and an event's "Abgesagt".
    from_po = {(m.context, _msgid(m.id)): _strings(m.string) for m in catalog
               if m.id and not m.fuzzy and all(_strings(m.string))}
    from_mo = {(m.context, _msgid(m.id)): _strings(m.string) for m in compiled if m.id}
    stale = sorted(key for key in from_po.keys() | from_mo.keys()
                   if from_po.get(key) != from_mo.get(key))
    assert not stale, "Run `pybabel compile -d app/translations`; stale: " + repr(stale[:10])


def test_placeholders_survive_translation(catalog: Catalog) -> None:
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            forms = list(message.string)
            allowed = placeholders(singular) | placeholders(plural)
            for form in forms:
                if not set(placeholders(form)) <= set(allowed):
                    problems.append((message.id, form))
            if placeholders(forms[-1]) != placeholders(plural):
                problems.append((message.id, forms[-1]))
        elif placeholders(message.string) != placeholders(message.id):
            problems.append((message.id, message.string))
    assert not problems


def test_placeholder_pattern() -> None:
    """The checker itself: named, bare and escaped percent signs."""
    assert placeholders("%(n)d of %(name)s, 100%% and %s") == Counter(
        {"%(n)d": 1, "%(name)s": 1, "%s": 1}
    )


def test_the_calendar_speaks_german_by_default_and_english_on_request(client) -> None:
    german = client.get("/")
    assert german.status_code == 200
    page = german.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Kommende Veranstaltungen" in page
    assert "Filter anwenden" in page
    assert "Art der Veranstaltung" in page
    assert "Upcoming events" not in page

    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Upcoming events" in english
    assert "Show events" in english
    assert "Kommende Veranstaltungen" not in english



# --- plurals -----------------------------------------------------------------------------


def test_german_plural_rule_and_both_forms(catalog: Catalog) -> None:
    """German has two forms: ``n == 1`` and everything else (0 included)."""
    assert catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")
    assert catalog.num_plurals == 2
    plurals = [m for m in catalog if m.id and m.pluralizable]
    assert len(plurals) >= 10, "the catalogue should have plural entries"
    problems = [m.id for m in plurals
                if len(_strings(m.string)) != 2 or not all(_strings(m.string))]
    assert not problems, f"plural entries without both German forms: {problems}"


def test_the_compiled_catalogue_picks_the_right_form() -> None:
    with MO_FILE.open("rb") as handle:
        translations = Translations(handle)
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    checked = 0
    for message in catalog:
        if not message.id or not message.pluralizable:
            continue
        singular, plural = message.id
        one, other = _strings(message.string)
        assert translations.ungettext(singular, plural, 1) == one, message.id
        for count in (0, 2, 21):
            assert translations.ungettext(singular, plural, count) == other, message.id
        checked += 1
    assert checked >= 10


# Placeholders that hold a number; a plural noun after one needs ngettext.
NUMERIC = re.compile(
    r"%\((?:n|num|count|total|valid|taken|events|found|seconds|minutes|hours|days|max|"
    r"capacity|places|opened|reopened|gone|hard|soft|accepted)\)[sd]"
    r"|%\(\w+\)d"
)
PLURAL_NOUN_AFTER = re.compile(
    r"^ (?:(?!and\b|or\b)[a-z]+ )?(?!is\b|has\b|was\b)[a-z]+s\b")
# Fixed limits and constants that are never 1: "at most 200 characters" reads right.
FIXED_NUMBERS = (
    "At most %(n)d characters, please.",
    "At most %(n)d companies per file, please.",
    "The password needs at least %(n)d characters.",
    "Please choose at most %(count)s months.",
    "The note is too long (at most %(max)s characters).",
    "At most %(n)d rows.",
    "Only the first %(n)d events are shown.",
    "Only the first %(n)d dates are shown.",
    "(every %(hours)s hours for this feed)",
)


def counted_plural_nouns(msgid: str) -> list[str]:
    """"%(n)d exhibitors"-like spots of a message: a number, then a plural noun."""
    found = []
    for number in NUMERIC.finditer(msgid):
        after = PLURAL_NOUN_AFTER.match(msgid[number.end():])
        if after:
            found.append(number.group(0) + after.group(0))
    return found


def test_the_plural_noun_check_itself() -> None:
    assert counted_plural_nouns("%(count)s exhibitors are confirmed:") == [
        "%(count)s exhibitors"]
    assert counted_plural_nouns("%(n)d free places") == ["%(n)d free places"]
    assert counted_plural_nouns("%(num)d company") == []
    assert counted_plural_nouns("The booking of %(company)s is confirmed.") == []
    assert counted_plural_nouns("position %(position)s and moves up") == []
    assert counted_plural_nouns("%(n)d and others") == []


def test_counts_next_to_plural_nouns_use_ngettext() -> None:
    problems = []
    for msgid, (message, place) in extracted_messages().items():
        if isinstance(message, tuple | list) or any(fixed in msgid for fixed in FIXED_NUMBERS):
            continue
        if spots := counted_plural_nouns(msgid):
            problems.append(f"{spots} in {msgid!r} ({place})")
    assert not problems, "Use ngettext for counted nouns:\n" + "\n".join(problems)
