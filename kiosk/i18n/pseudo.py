"""The pseudo locale: every translated string comes back accented and bracketed ("⟦Çàñçéļ⟧"), so a test can find
visible text that never went through the catalogue. Generated on the fly from the source text, never committed."""
from __future__ import annotations

import gettext
import re

PSEUDO = "en_XA"  # the pseudo-locale code Android and Chromium use
OPEN, CLOSE = "⟦", "⟧"  # not brackets any real text uses, so is_pseudo() can't be fooled by "[DEMO]"

_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
# Placeholders must survive untouched: %(name)s, %s, %d, %%, {name}.
_PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{[^{}]*\}")


def pseudo(text: str) -> str:
    """"Cancel %(n)s" → "⟦Çàñçéļ %(n)s⟧" (placeholders kept, so interpolation still works)."""
    if not text:
        return text
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(text):
        out += [text[pos:m.start()].translate(_ACCENTS), m.group()]
        pos = m.end()
    out.append(text[pos:].translate(_ACCENTS))
    return OPEN + "".join(out) + CLOSE


def is_pseudo(text: str) -> bool:
    """True if `text` (stripped) came out of the pseudo catalogue, values interpolated into it included."""
    text = text.strip()
    return text.startswith(OPEN) and text.endswith(CLOSE)


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)
