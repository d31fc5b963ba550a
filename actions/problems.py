"""What went wrong, in the customer's words: problem kinds in a message and the category of a reason.

Pure. A long message can hold several problems ("the mug is broken, the lid is missing and
I've waited two weeks"); each kind found is handled in turn.
"""

from __future__ import annotations

import re

from crm_store.services import ticket_rules
from crm_store.values.sizes import parse_size

# The same problems in German, French and Spanish (the conversation's language picks the words of the
# reply, actions/phrasebook.py; the ticket's subject stays the English title, for the team).
_IN_OTHER_LANGUAGES = {
    "damaged": r"kaputt\w*|beschädigt\w*|zerbrochen\w*|defekt\w*|funktioniert (?:nicht|nicht mehr)|geht nicht mehr|"
    r"cassée?s?|abîmée?s?|abimée?s?|endommagée?s?|défectueu(?:x|se)|ne (?:marche|fonctionne) (?:pas|plus)|"
    r"rot[oa]s?|dañad[oa]s?|estropead[oa]s?|defectuos[oa]s?|no funciona",
    "missing_item": r"fehlt|fehlen|fehlte|war nicht (?:im|in dem) (?:Paket|Karton)|"
    r"il manque|manquait|manquante?s?|pas dans le colis|"
    r"(?<!hace )falta(?:ba|n)?|no (?:venía|venia|estaba) en (?:el|la) (?:paquete|caja)",
    "wrong_item": r"falsche[nrms]? (?:Artikel|Größe|Farbe|Produkt|Ware|Teil)|nicht (?:das,? )?was ich bestellt|"
    r"mauvaise? (?:article|produit|taille|couleur)|pas ce que j'ai commandé|pas le bon (?:article|produit)|"
    r"(?:artículo|producto|talla|color) equivocad[oa]|no es lo que pedí|me (?:enviaron|mandaron) otro",
    "double_charge": r"(?:zweimal|doppelt) (?:abgebucht|belastet|berechnet|bezahlt|abgezogen)|"
    r"(?:débité|prélevé|facturé|payé)e? deux fois|double (?:prélèvement|débit|paiement)|"
    r"(?:cobrado|cobraron|cobrar|pagado|cargado) dos veces|(?:cobro|cargo) (?:doble|duplicado)|doble cobro",
    "late": r"verspätet|Verspätung|immer noch nicht (?:da|angekommen|geliefert)|noch nicht angekommen|"
    r"en retard|du retard|toujours pas (?:reçu|arrivée?|livrée?)|pas encore (?:reçu|arrivée?)|jamais (?:reçu|arrivée?)|"
    r"retraso|(?:todavía|aún|todavia|aun) no (?:ha llegado|me ha llegado|llega)|sigue sin llegar|nunca llegó",
}


def _pattern(kind: str, english: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{english}|{_IN_OTHER_LANGUAGES[kind]})\b", re.I)


# (kind, title for the ticket subject, pattern)
PROBLEMS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "damaged",
        "Item arrived damaged",
        _pattern(
            "damaged",
            r"damaged|broken|broke|smashed|cracked|crushed|shattered|dented|torn|ripped|scratched|defective|faulty|doesn'?t work|does not work|not working|stopped working",
        ),
    ),
    (
        "missing_item",
        "Item missing from the parcel",
        _pattern(
            "missing_item",
            r"missing|wasn'?t in|was not in|not in the (?:box|parcel|package)|only got \w+ of|didn'?t include|did not include|forgot to (?:send|include)",
        ),
    ),
    (
        "wrong_item",
        "Wrong item delivered",
        _pattern(
            "wrong_item",
            r"wrong (?:item|size|colou?r|product|one|thing)|not what i ordered|sent me the wrong|different (?:item|product) than",
        ),
    ),
    (
        "double_charge",
        "Charged twice",
        _pattern(
            "double_charge",
            r"charged (?:me )?(?:twice|two times|double)|double[- ]?(?:charged?|payments?|billed|debited)|"
            r"(?:two|2) (?:charges|payments|debits)|(?:paid|billed|debited) twice|"
            r"(?:took|taken|take|takes) (?:the |my )?(?:money|payment) twice|(?:took|taken) twice|"
            r"duplicate (?:charge|payment)",
        ),
    ),
    (
        "late",
        "Late delivery",
        _pattern(
            "late",
            r"late|still (?:not|hasn'?t|haven'?t|no)|(?:weeks?|days?) (?:and|now|already)|where is|never (?:came|arrived)|not (?:arrived|here yet)|hasn'?t (?:arrived|come)",
        ),
    ),
)
# Cues that a person should take over even when the message also asks for something else.
_WANTS_PERSON = re.compile(
    r"\b(?:(?:real|actual) (?:person|human)|(?:a |an? )?(?:human|manager|supervisor)\b(?! resources)|speak to (?:someone|somebody|a person)|"
    r"customer service (?:rep|agent)|talk to (?:someone|somebody|a person)|"
    # "put me through to customer service", "connect me with an agent", "transfer me to support"
    r"(?:put|get) me (?:through|thru) to|(?:connect|transfer) me (?:to|with)|"
    r"(?:speak|talk|chat) (?:to|with) (?:customer (?:service|support|care)|support|your team|an? (?:agent|employee|rep)))",
    re.I,
)
_REPEATED = re.compile(
    r"\b(?:(?:wrote|written|writing|contacted|contacting|emailed|called|told) (?:to )?(?:you|u)?\s*(?:about (?:this|it) )?(?:before|already|again|twice)|"
    r"(?:second|third|fourth|3rd|2nd|4th) time (?:contacting|writing|asking|i)|already (?:wrote|told|contacted|emailed|asked))",
    re.I,
)

# Reasons in German, French and Spanish, after the English ones of each category.
_REASONS_IN_OTHER_LANGUAGES = {
    "wrong size": r"zu (?:klein|groß|gross|eng|weit|kurz|lang)|passt (?:mir )?nicht|falsche Größe|"
    r"trop (?:petite?s?|grande?s?|serrée?s?|large|courte?s?|longue?s?)|ne me va pas|mauvaise taille|pas la bonne taille|"
    r"demasiado (?:pequeñ[oa]|grande|estrech[oa]|cort[oa]|larg[oa])s?|no me (?:queda|vale|entra)|talla equivocada",
    "damaged": r"kaputt\w*|beschädigt\w*|zerbrochen\w*|cassée?s?|abîmée?s?|abimée?s?|endommagée?s?|"
    r"rot[oa]s?|dañad[oa]s?|roto al llegar",
    "defective": r"defekt\w*|funktioniert (?:nicht|nicht mehr)|geht nicht (?:mehr )?an|lädt nicht|"
    r"ne (?:marche|fonctionne|s'allume|charge) (?:pas|plus)|défectueu(?:x|se)|"
    r"no (?:funciona|enciende|carga)|defectuos[oa]s?",
    "missing part": r"fehlt|unvollständig|il manque|incomplète?s?|falta(?:ba|n)?|incomplet[oa]s?",
    "wrong item": r"falsche[nrms]? (?:Artikel|Farbe|Produkt)|mauvaise? (?:article|couleur|produit)|"
    r"(?:artículo|color|producto) equivocad[oa]",
    "not as described": r"sieht anders aus|nicht wie beschrieben|pas conforme|ne ressemble pas|"
    r"no es como (?:en la foto|se describe)|diferente a la foto",
    "changed my mind": r"gefällt (?:mir )?nicht|brauche (?:es|ihn|sie) nicht mehr|anders überlegt|"
    r"plus besoin|ne me pla[iî]t pas|changé d'avis|ya no (?:lo |la )?(?:quiero|necesito)|no me gusta|"
    r"he cambiado de opinión",
}


def _reason(name: str, english: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{english}|{_REASONS_IN_OTHER_LANGUAGES[name]})\b", re.I)


REASON_CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "wrong size",
        _reason(
            "wrong size",
            r"size|too (?:small|big|large|tight|loose|short|long)|doesn'?t fit|does not fit|didn'?t fit",
        ),
    ),
    ("damaged", _reason("damaged", r"damaged|broken|smashed|cracked|crushed|shattered|dented|torn|scratched")),
    (
        "defective",
        _reason(
            "defective",
            r"defective|faulty|doesn'?t (?:work|charge|turn on)|does not (?:work|charge)|not (?:working|charging)|"
            r"stopped (?:working|charging|turning on)|won'?t (?:turn on|switch on|charge|work)|went (?:black|dead)|"
            r"(?:is|was|'s|went|now) (?:completely )?dead(?! (?:slow|easy|simple|serious|right|on\b))|died|broke down|"
            r"(?:screen|display) (?:is )?(?:black|dead)|dead pixels?",
        ),
    ),
    ("missing part", _reason("missing part", r"missing|incomplete|no (?:lid|cable|charger|manual|strap)")),
    ("wrong item", _reason("wrong item", r"wrong (?:item|colou?r|product|one)|not what i ordered")),
    (
        "not as described",
        _reason(
            "not as described",
            r"not as (?:described|pictured|advertised)|looks different|different from the (?:photo|picture)",
        ),
    ),
    (
        "changed my mind",
        _reason(
            "changed my mind",
            r"changed my mind|don'?t (?:want|need|like) (?:it|them|how)|no longer (?:want|need)|ordered by mistake",
        ),
    ),
)


def problems_in(text: str) -> list[tuple[str, str]]:
    """(kind, title) of every problem kind the message names, in a fixed order."""
    return [(kind, title) for kind, title, pattern in PROBLEMS if pattern.search(text or "")]


def is_frustrated(text: str) -> bool:
    """Annoyed or angry, by the one tone lexicon (crm_store/services/ticket_rules.py)."""
    return ticket_rules.tone(text) != ticket_rules.CALM


def asks_for_person(text: str) -> bool:
    """ "Put me through to customer service", "I want to talk to a real person": a person, in so many words."""
    return bool(_WANTS_PERSON.search(text or ""))


def escalation_cue(text: str) -> str | None:
    """Why a person should take over this message besides answering it: asked for one, or writes again."""
    if _WANTS_PERSON.search(text or ""):
        return "asked for a person"
    if _REPEATED.search(text or ""):
        return "has contacted us about this before"
    return None


def reason_category(text: str) -> str:
    """'wrong size', 'damaged', … or 'other' for the customer's reason."""
    return next((name for name, pattern in REASON_CATEGORIES if pattern.search(text or "")), "other")


# "for the blue one": another colour named is an exchange, not the same item again.
_COLOUR_WANTED = re.compile(
    r"\b(?:in|for|the|a|an)\s+(?:black|white|blue|red|green|grey|gray|pink|brown|beige|navy|yellow|orange|purple|silver|gold)"
    r"(?:\s+(?:one|ones|version|colou?r))?\b",
    re.I,
)


def exchange_kind(text: str) -> str:
    """An exchange (another size or colour) or a replacement (the same item again, intact)."""
    return (
        "exchange"
        if re.search(r"\b(size|colou?r|bigger|smaller|larger|different one|instead|swap)\b", text or "", re.I)
        or _COLOUR_WANTED.search(text or "")
        or parse_size(text or "")
        else "replacement"
    )


_ITEM_PROBLEMS = ("wrong size", "damaged", "defective", "missing part", "wrong item", "not as described")


def item_problem(text: str) -> str | None:
    """The category of a problem with a delivered item ("arrived cracked", "no cable in the box"), if any."""
    category = reason_category(text)
    return category if category in _ITEM_PROBLEMS else None


_FAULTS = ("damaged", "defective", "missing part")


def fault_without_request(text: str) -> bool:
    """A faulty, damaged or incomplete item told calmly with nothing asked for ("my speaker doesn't charge",
    "no cable in the box"): answered with the remedies, not a ticket (actions/faults.py)."""
    return (
        item_problem(text) in _FAULTS
        and len(problems_in(text)) <= 1
        and not ticket_rules.asks_for_a_ticket(text)
        and ticket_rules.tone(text) != ticket_rules.ANGRY
        and escalation_cue(text) is None
    )
