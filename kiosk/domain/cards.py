"""Card brands as the customer knows them: providers name them in their own codes (visa, master, debvisa…)."""
from __future__ import annotations

CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "master": "Mastercard", "amex": "American Express",
               "debvisa": "Visa Debit", "debmaster": "Mastercard Debit", "elo": "Elo", "hipercard": "Hipercard",
               "cabal": "Cabal", "naranja": "Naranja", "discover": "Discover", "jcb": "JCB", "interac": "Interac"}


def brand_name(code: str | None) -> str:
    """"Visa" for "visa"; an unknown code title-cased ("union_pay" → "Union Pay"); "" when there is none."""
    return CARD_BRANDS.get(code or "") or (code or "").replace("_", " ").title()
