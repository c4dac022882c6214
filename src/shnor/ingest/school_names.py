"""School and municipality names reduced to matching keys (docs/data-contract.md): one spelling for
the drift real files show between years — case, ё/е, quotes, spaces, Latin look-alike letters,
«№ 5»/«N5», legal forms (МБОУ, МОУ, ГБОУ… or spelled out) and «средняя общеобразовательная
школа» = «СОШ». Keys are for matching only; names shown to analysts stay as written.
"""

from __future__ import annotations

import hashlib
import re

from shnor.ingest.headers import normalized_cyrillic

# Phrases spelled out in some files and abbreviated in others, longest first; applied to the
# normalised text (lower case, no punctuation).
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"средн\w* общеобразовательн\w* школ\w*", "сош"),
    (r"основн\w* общеобразовательн\w* школ\w*", "оош"),
    (r"начальн\w* общеобразовательн\w* школ\w*", "нош"),
    (r"средн\w* школ\w*", "сош"),
    (r"основн\w* школ\w*", "оош"),
    (r"начальн\w* школ\w*", "нош"),
    (r"с углубленн\w* изучени\w* (отдельн\w* )?предмет\w*", "уиоп"),
    (r"центр\w* образовани\w*", "цо"),
    (r"имени", "им"),
    (r"город\w*", "г"),
    (r"сел[оа]", "с"),
    (r"поселк\w*|поселок", "п"),
    (r"деревн\w*", "д"),
)
# Legal-form words: «муниципальное бюджетное общеобразовательное учреждение» and its
# abbreviations (МБОУ, МАОУ, МКОУ, МОУ, ГБОУ, ГАОУ, ГКОУ, ЧОУ, НОУ, АНОО…). A school changing
# its legal form between years is the same school.
_LEGAL_FORM_WORDS = re.compile(
    r"\b(муниципальн\w*|государственн\w*|бюджетн\w*|автономн\w*|казенн\w*|частн\w*|"
    r"негосударственн\w*|некоммерческ\w*|общеобразовательн\w*|образовательн\w*|"
    r"учреждени\w*|организаци\w*|[мгч]?[бак]?н?оу|ано+|моо)\b"
)
_NUMBER_SIGN = re.compile(r"\b[nн]\s*(?=\d)")  # «N 5», «N5» (№ is punctuation, gone already)
_SPACES = re.compile(r"\s+")
_SCHOOL_SHORT = (("сш", "сош"),)

# Words that say what kind of territory a municipality is, not which one.
_MUNICIPALITY_WORDS = re.compile(
    r"\b(муниципальн\w*|район\w*|р|н|округ\w*|городск\w*|город\w*|г|го|мо|мр|ао|"
    r"образовани\w*|поселени\w*|сельск\w*|рн)\b"
)


def school_name_key(name: object) -> str:
    """The matching key of a school name: «МБОУ "СОШ № 5" г. Иваново» and «Средняя
    общеобразовательная школа N5 города Иваново» both → «сош 5 г иваново»."""
    text = normalized_cyrillic(name)
    for pattern, short in _PHRASES:
        text = re.sub(rf"\b{pattern}\b", short, text)
    text = _LEGAL_FORM_WORDS.sub(" ", text)
    text = _NUMBER_SIGN.sub("", text)
    words = [dict(_SCHOOL_SHORT).get(word, word) for word in text.split()]
    return _SPACES.sub(" ", " ".join(words)).strip()


def municipality_key(name: object) -> str:
    """The matching key of a municipality: «Ивановский муниципальный район», «Ивановский р-н»
    → «ивановский»; «г. Иваново», «городской округ Иваново» → «иваново»."""
    text = _MUNICIPALITY_WORDS.sub(" ", normalized_cyrillic(name))
    return _SPACES.sub(" ", text).strip()


def name_school_id(municipality: object, name: object) -> str:
    """A school id made from the name where no code is known: the same keys give the same id in
    every year and run («name:» and 12 hex digits)."""
    key = f"{municipality_key(municipality)}|{school_name_key(name)}"
    return "name:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
