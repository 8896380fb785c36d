"""How a free-text country name is folded before it is looked up in ``country_names``.

Case, accents, punctuation, white space and the word "the" do not count, "&" reads "and" and "St"
reads "Saint": "U.S.", "u.s" and "US" fold alike, as do "Côte d'Ivoire" and "COTE D IVOIRE".
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
_WORDS = {"the": "", "and": "and", "st": "saint"}


def fold_name(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and ").replace("ß", "ss"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(_WORDS.get(word, word) for word in _WORD.findall(bare))
