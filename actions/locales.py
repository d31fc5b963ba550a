"""Words, dates and money in the customer's language (English, German, French, Spanish).

The `language` slot (actions/language_slot.py) picks the response variation in domain.yml;
the values those variations show come from here, formatted with Babel for the language's
locale: "29,90 €" and "3. Dezember 2026" for German, "29,90 €" and "3 décembre 2026" for
French. English keeps the wording the rest of actions/ uses.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_currency

from actions.phrasebook import SENTENCES
from crm_store.services import shop_answers

SERVED_LANGUAGES = ("en", "de", "fr", "es")
OTHER_LANGUAGES = ("de", "fr", "es")
_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}

# Order stages (crm_store/stages.py) as a customer reads them.
_STATUS = {
    "de": {
        "pending": "eingegangen",
        "paid": "bezahlt",
        "packed": "verpackt",
        "shipped": "versandt",
        "delivered": "zugestellt",
        "cancelled": "storniert",
        "returned": "zurückgeschickt",
    },
    "fr": {
        "pending": "enregistrée",
        "paid": "payée",
        "packed": "emballée",
        "shipped": "expédiée",
        "delivered": "livrée",
        "cancelled": "annulée",
        "returned": "retournée",
    },
    "es": {
        "pending": "registrado",
        "paid": "pagado",
        "packed": "empaquetado",
        "shipped": "enviado",
        "delivered": "entregado",
        "cancelled": "cancelado",
        "returned": "devuelto",
    },
}


def language_of(tracker: Any) -> str:
    """The conversation's language (the `language` slot), English when unset or unknown."""
    code = tracker.get_slot("language")
    return code if code in SERVED_LANGUAGES else "en"


def money(amount: Decimal | float, language: str, currency: str = "EUR") -> str:
    if language == "en":
        return f"{Decimal(amount):.2f} {currency}"
    return format_currency(Decimal(amount), currency, locale=_LOCALES[language])


def day(value: date, language: str) -> str:
    if language == "en":
        return f"{value.day} {value:%b %Y}"
    plain = value.date() if isinstance(value, datetime) else value
    return format_date(plain, format="long", locale=_LOCALES[language])


def day_and_month(value: date, language: str, with_year: bool) -> str:
    """ "12 March" ("12. März", "12 mars", "12 de marzo"), with the year when asked."""
    if language == "en":
        return f"{value.day} {value:%B}" + (f" {value.year}" if with_year else "")
    if with_year:
        return day(value, language)
    pattern = {"de": "d. MMMM", "fr": "d MMMM", "es": "d 'de' MMMM"}[language]
    return format_date(value, format=pattern, locale=_LOCALES[language])


def full_day(value: date, language: str) -> str:
    """The day with its weekday: "Montag, 7. Dezember 2026", "lundi 7 décembre 2026"."""
    if language == "en":
        return f"{value:%A}, {day(value, language)}"
    plain = value.date() if isinstance(value, datetime) else value
    return format_date(plain, format="full", locale=_LOCALES[language])


def opening_hours(calendar: Any, language: str) -> str:
    """The team's hours as the customer reads them: "Mo.-Fr. 09:00-18:00; Sa. 10:00-14:00
    (Europe/Berlin)" in German; English keeps the setting as written."""
    if language == "en":
        return str(calendar.describe())
    names = get_day_names("abbreviated", locale=_LOCALES[language])
    parts: list[str] = []
    day = 0
    while day < 7:
        windows = calendar.windows.get(day)
        last = day
        while last + 1 < 7 and calendar.windows.get(last + 1) == windows:
            last += 1
        if windows:
            days = names[day] if last == day else f"{names[day]}-{names[last]}"
            times = ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows)
            parts.append(f"{days} {times}")
        day = last + 1
    return f"{'; '.join(parts)} ({calendar.zone})"


def opening_time(at: datetime | None, language: str) -> str:
    """When the team is back: "Monday 09:00", "Montag 09:00", "lundi 09:00"."""
    if at is None:
        return phrase("after_holidays", language)
    if language == "en":
        return f"{at:%A %H:%M}"
    return format_datetime(at, "EEEE HH:mm", locale=_LOCALES[language])


def status_word(status: str, language: str) -> str:
    return _STATUS.get(language, {}).get(status, status)


def order_summary(items: tuple[str, ...], total: Decimal, language: str) -> str:
    """'1 x yoga mat, 29,90 €': the items and the amount, the amount in the language's format."""
    amount = money(total, language)
    return f"{', '.join(items)}, {amount}" if items else amount


def order_fields(order: Any) -> dict[str, str]:
    """contents_de, status_de, status_date_de, placed_date_de (and _fr, _es) of an order view.

    Given to every order-status reply, so the variation for the conversation's language
    finds its values without the callers knowing the language.
    """
    fields: dict[str, str] = {}
    for code in OTHER_LANGUAGES:
        fields[f"contents_{code}"] = order_summary(tuple(order.items), order.total, code)
        fields[f"status_{code}"] = status_word(order.status, code)
        fields[f"status_date_{code}"] = day(order.status_since, code)
        fields[f"placed_date_{code}"] = day(order.placed_at, code)
    return fields


# Sentences some actions compose around the CRM's values, per language ({name} filled by phrase()).
_PHRASES: dict[str, dict[str, str]] = {
    "in_stock": {
        "en": "in stock ({n} available)",
        "de": "auf Lager ({n} verfügbar)",
        "fr": "en stock ({n} disponibles)",
        "es": "en stock ({n} disponibles)",
    },
    "out_of_stock": {
        "en": "currently out of stock",
        "de": "gerade nicht auf Lager",
        "fr": "en rupture de stock pour le moment",
        "es": "agotado por ahora",
    },
    "bought_with": {
        "en": "Customers often buy it with: {items}.",
        "de": "Kunden kaufen es oft zusammen mit: {items}.",
        "fr": "Les clients l'achètent souvent avec : {items}.",
        "es": "Los clientes suelen comprarlo con: {items}.",
    },
    "no_refund_due": {
        "en": "No refund is due on it: it is {status}, and nothing was refunded or returned.",
        "de": "Darauf ist keine Erstattung fällig: Sie ist {status}, und es wurde nichts erstattet oder zurückgeschickt.",
        "fr": "Aucun remboursement n'est dû : elle est {status}, et rien n'a été remboursé ni retourné.",
        "es": "No corresponde ningún reembolso: está {status}, y no se ha reembolsado ni devuelto nada.",
    },
    "refund_on_its_way": {
        "en": "Its refund is being prepared; you'll get an email when it is paid.",
        "de": "Die Erstattung wird vorbereitet; Sie bekommen eine E-Mail, sobald sie ausgezahlt ist.",
        "fr": "Le remboursement est en préparation ; vous recevrez un e-mail dès qu'il sera versé.",
        "es": "El reembolso se está preparando; recibirá un correo cuando se haya pagado.",
    },
    "refund_back": {
        "en": "The refund of {amount} goes back to your payment method within 5 working days.",
        "de": "Die Erstattung von {amount} geht innerhalb von 5 Werktagen an Ihre Zahlungsart zurück.",
        "fr": "Le remboursement de {amount} revient sur votre moyen de paiement sous 5 jours ouvrés.",
        "es": "El reembolso de {amount} vuelve a su método de pago en 5 días hábiles.",
    },
    "ticket_line": {
        "en": '- {number} "{subject}": {status} since {since}',
        "de": "- {number} „{subject}“: {status} seit {since}",
        "fr": "- {number} « {subject} » : {status} depuis le {since}",
        "es": "- {number} «{subject}»: {status} desde el {since}",
    },
    # The lists actions/resolving.py builds from the customer's orders.
    "order_choice": {
        "en": "{what}, placed {date}",
        "de": "{what}, bestellt am {date}",
        "fr": "{what}, commandée le {date}",
        "es": "{what}, realizado el {date}",
    },
    "which_order": {
        "en": "Which order is it about? Pick one below, or write its number (like A-10423).",
        "de": "Um welche Bestellung geht es? Wählen Sie unten eine aus oder schreiben Sie ihre Nummer (etwa A-10423).",
        "fr": "De quelle commande s'agit-il ? Choisissez-la ci-dessous ou écrivez son numéro (par exemple A-10423).",
        "es": "¿De qué pedido se trata? Elija uno abajo o escriba su número (por ejemplo A-10423).",
    },
    "orders_list": {
        "en": "Here are your orders:\n{lines}\nWhich one would you like to know more about?",
        "de": "Hier sind Ihre Bestellungen:\n{lines}\nZu welcher möchten Sie mehr wissen?",
        "fr": "Voici vos commandes :\n{lines}\nSur laquelle voulez-vous en savoir plus ?",
        "es": "Estos son sus pedidos:\n{lines}\n¿De cuál quiere saber más?",
    },
    "orders_list_line": {
        "en": "- {number} ({summary}): {status}",
        "de": "- {number} ({summary}): {status}",
        "fr": "- {number} ({summary}) : {status}",
        "es": "- {number} ({summary}): {status}",
    },
    "taken_only": {
        "en": "I've taken order {number} ({what}), the only one of yours that fits.",
        "de": "Ich nehme Bestellung {number} ({what}), die einzige von Ihnen, die passt.",
        "fr": "Je prends la commande {number} ({what}), la seule des vôtres qui correspond.",
        "es": "Tomo el pedido {number} ({what}), el único suyo que encaja.",
    },
    "taken_implied": {
        "en": "I've taken order {number} ({what}), the only one of yours that fits. If you meant another one, just "
        "tell me its order number.",
        "de": "Ich nehme Bestellung {number} ({what}), die einzige von Ihnen, die passt. Falls Sie eine andere "
        "meinen, nennen Sie mir einfach deren Bestellnummer.",
        "fr": "Je prends la commande {number} ({what}), la seule des vôtres qui correspond. Si vous pensiez à une "
        "autre, donnez-moi simplement son numéro de commande.",
        "es": "Tomo el pedido {number} ({what}), el único suyo que encaja. Si se refería a otro, dígame su número "
        "de pedido.",
    },
    "taken_same": {
        "en": "That's order {number} ({what}), the same one we were talking about.",
        "de": "Das ist Bestellung {number} ({what}), dieselbe, über die wir gerade gesprochen haben.",
        "fr": "C'est la commande {number} ({what}), celle dont nous parlions.",
        "es": "Es el pedido {number} ({what}), el mismo del que hablábamos.",
    },
    "taken": {
        "en": "I take it you mean order {number} ({what}).",
        "de": "Sie meinen wohl Bestellung {number} ({what}).",
        "fr": "Vous parlez sans doute de la commande {number} ({what}).",
        "es": "Entiendo que se refiere al pedido {number} ({what}).",
    },
    # The list of returns and refunds (actions/refunds.py); the English lines actions/refunds.py
    # writes itself say more (the bank days).
    "return_line": {
        "en": "- {number} ({item}, order {order}): {state}",
        "de": "- {number} ({item}, Bestellung {order}): {state}",
        "fr": "- {number} ({item}, commande {order}) : {state}",
        "es": "- {number} ({item}, pedido {order}): {state}",
    },
    "since": {"en": " (since {date})", "de": " (seit {date})", "fr": " (depuis le {date})", "es": " (desde el {date})"},
    "return_received": {
        "en": "item received on {date}; the refund follows within 5 working days",
        "de": "Artikel am {date} bei uns eingegangen; die Erstattung folgt innerhalb von 5 Werktagen",
        "fr": "article reçu le {date} ; le remboursement suit sous 5 jours ouvrés",
        "es": "artículo recibido el {date}; el reembolso llega en 5 días hábiles",
    },
    "refund_line": {
        "en": "- refund {number} of {amount} for order {order} ({reason}): {state}",
        "de": "- Erstattung {number} über {amount} für Bestellung {order} ({reason}): {state}",
        "fr": "- remboursement {number} de {amount} pour la commande {order} ({reason}) : {state}",
        "es": "- reembolso {number} de {amount} del pedido {order} ({reason}): {state}",
    },
    "order_refund_line": {
        "en": "- order {order}: {text}",
        "de": "- Bestellung {order}: {text}",
        "fr": "- commande {order} : {text}",
        "es": "- pedido {order}: {text}",
    },
    # A complaint that asks for nothing: a ticket offered with two buttons (actions/tickets.py).
    "offer_ticket": {
        "en": "I'm sorry about that. Shall I open a ticket so our team looks into it?",
        "de": "Das tut mir leid. Soll ich ein Ticket anlegen, damit sich unser Team darum kümmert?",
        "fr": "Je suis désolé. Voulez-vous que j'ouvre un ticket pour que notre équipe s'en occupe ?",
        "es": "Lo siento. ¿Abro un ticket para que nuestro equipo lo revise?",
    },
    "offer_ticket_yes": {
        "en": "Yes, open a ticket",
        "de": "Ja, Ticket anlegen",
        "fr": "Oui, ouvrir un ticket",
        "es": "Sí, abrir un ticket",
    },
    "no_thanks": {"en": "No, thanks", "de": "Nein, danke", "fr": "Non, merci", "es": "No, gracias"},
    # A parcel recorded as delivered that is not there: the places to look first, and the claim offered
    # (actions/delivery.py); the question alone tells that the claim was offered.
    "parcel_check_first": {
        "en": "I'm sorry your parcel isn't there. {proof}. Please check with your neighbours and any safe place "
        "(a porch, a parcel box, the mailbox) first: parcels often turn up there. If it's still missing, I'll "
        "open a missing-parcel claim with {carrier} for order {order}, and our team gets back to you within one "
        "working day. {question}",
        "de": "Es tut mir leid, dass Ihr Paket nicht da ist. {proof}. Bitte fragen Sie zuerst bei Ihren Nachbarn "
        "nach und schauen Sie an möglichen Ablageorten (Terrasse, Paketbox, Briefkasten): Pakete tauchen oft "
        "dort auf. Fehlt es dann immer noch, starte ich bei {carrier} einen Nachforschungsauftrag für Bestellung "
        "{order}, und unser Team meldet sich innerhalb eines Werktags. {question}",
        "fr": "Je suis désolé que votre colis ne soit pas là. {proof}. Vérifiez d'abord auprès de vos voisins et "
        "à un éventuel lieu de dépôt (porche, boîte à colis, boîte aux lettres) : les colis s'y trouvent souvent. "
        "S'il manque toujours, j'ouvre une enquête auprès de {carrier} pour la commande {order}, et notre équipe "
        "vous répond sous un jour ouvré. {question}",
        "es": "Siento que su paquete no esté. {proof}. Pregunte primero a sus vecinos y mire en algún lugar seguro "
        "(el porche, un buzón de paquetes, el buzón): los paquetes suelen aparecer ahí. Si sigue sin aparecer, "
        "abro una reclamación con {carrier} para el pedido {order} y nuestro equipo le responde en un día hábil. "
        "{question}",
    },
    "parcel_claim_question": {
        "en": "Shall I open the missing-parcel claim now?",
        "de": "Soll ich den Nachforschungsauftrag jetzt starten?",
        "fr": "Voulez-vous que j'ouvre l'enquête maintenant ?",
        "es": "¿Abro la reclamación ahora?",
    },
    "parcel_claim_yes": {
        "en": "Yes, open the claim",
        "de": "Ja, bitte starten",
        "fr": "Oui, ouvrir l'enquête",
        "es": "Sí, abrir la reclamación",
    },
    "parcel_claim_opened": {
        "en": "I'm sorry your parcel is missing. {proof}. I've opened ticket {ticket} for order {order}, and our "
        "team starts a missing-parcel claim with {carrier}: you'll hear from us within one working day, with a "
        "replacement or a refund if the parcel isn't found.",
        "de": "Es tut mir leid, dass Ihr Paket fehlt. {proof}. Ich habe Ticket {ticket} für Bestellung {order} "
        "eröffnet, und unser Team startet bei {carrier} einen Nachforschungsauftrag: Sie hören innerhalb eines "
        "Werktags von uns, mit Ersatz oder Erstattung, falls das Paket nicht gefunden wird.",
        "fr": "Je suis désolé que votre colis manque. {proof}. J'ai ouvert le ticket {ticket} pour la commande "
        "{order}, et notre équipe lance une enquête auprès de {carrier} : vous aurez de nos nouvelles sous un jour "
        "ouvré, avec un remplacement ou un remboursement si le colis n'est pas retrouvé.",
        "es": "Siento que falte su paquete. {proof}. He abierto el ticket {ticket} para el pedido {order} y nuestro "
        "equipo abre una reclamación con {carrier}: tendrá noticias nuestras en un día hábil, con una reposición "
        "o un reembolso si el paquete no aparece.",
    },
    # The reset email did not come: what to check first, and the team's new link offered (actions/login.py).
    "reset_check_first": {
        "en": "Sorry the reset email hasn't arrived. Please check your spam or junk folder, and that you asked for "
        "it with the email address of your account; the link is valid for 24 hours. If it still isn't there, our "
        "team can send you a new reset link by hand. Shall I open a ticket for that?",
        "de": "Schade, dass die E-Mail zum Zurücksetzen nicht angekommen ist. Schauen Sie bitte im Spam-Ordner "
        "nach und ob Sie sie mit der E-Mail-Adresse Ihres Kontos angefordert haben; der Link gilt 24 Stunden. "
        "Ist sie dann immer noch nicht da, schickt Ihnen unser Team von Hand einen neuen Link. Soll ich dafür ein "
        "Ticket anlegen?",
        "fr": "Désolé, l'e-mail de réinitialisation n'est pas arrivé. Vérifiez vos courriers indésirables (spam) et "
        "que vous l'avez demandé avec l'adresse e-mail de votre compte ; le lien est valable 24 heures. S'il "
        "n'arrive toujours pas, notre équipe peut vous envoyer un nouveau lien à la main. Voulez-vous que j'ouvre "
        "un ticket pour cela ?",
        "es": "Siento que no haya llegado el correo para restablecer la contraseña. Revise la carpeta de spam y "
        "que lo pidió con el correo de su cuenta; el enlace vale 24 horas. Si sigue sin llegar, nuestro equipo "
        "puede enviarle un enlace nuevo a mano. ¿Abro un ticket para ello?",
    },
    "reset_ticket_open": {
        "en": "Ticket {ticket} for a new reset link is already open: our team sends it to the email address of "
        "your account, usually within an hour. Please check your spam folder for it too.",
        "de": "Ticket {ticket} für einen neuen Link ist bereits offen: Unser Team schickt ihn an die E-Mail-Adresse "
        "Ihres Kontos, meist innerhalb einer Stunde. Schauen Sie bitte auch im Spam-Ordner nach.",
        "fr": "Le ticket {ticket} pour un nouveau lien est déjà ouvert : notre équipe l'envoie à l'adresse e-mail "
        "de votre compte, en général sous une heure. Pensez aussi à vérifier vos spams.",
        "es": "El ticket {ticket} para un enlace nuevo ya está abierto: nuestro equipo lo envía al correo de su "
        "cuenta, normalmente en una hora. Revise también la carpeta de spam.",
    },
    # A business enquiry the customer typed in full: passed on at once, what was stored said back (actions/leads.py).
    "lead_taken": {
        "en": "Thank you, {name}! I've passed your enquiry to our business team as {deal}: {who}, email {email}, "
        "phone {phone}, volume {volume}. They'll contact you within one working day.",
        "de": "Vielen Dank, {name}! Ich habe Ihre Anfrage als {deal} an unser Geschäftskundenteam weitergegeben: "
        "{who}, E-Mail {email}, Telefon {phone}, Menge {volume}. Es meldet sich innerhalb eines Werktags.",
        "fr": "Merci, {name} ! J'ai transmis votre demande à notre équipe professionnels sous la référence {deal} : "
        "{who}, e-mail {email}, téléphone {phone}, volume {volume}. Elle vous contacte sous un jour ouvré.",
        "es": "¡Gracias, {name}! He pasado su consulta a nuestro equipo de empresas con la referencia {deal}: "
        "{who}, correo {email}, teléfono {phone}, volumen {volume}. Le contactarán en un día hábil.",
    },
    "lead_not_passed": {
        "en": "OK, I haven't passed anything on. Let's correct it, one detail at a time.",
        "de": "In Ordnung, ich habe nichts weitergegeben. Korrigieren wir es, eine Angabe nach der anderen.",
        "fr": "D'accord, je n'ai rien transmis. Corrigeons cela, une information après l'autre.",
        "es": "De acuerdo, no he enviado nada. Corrijámoslo, dato por dato.",
    },
    # A faulty or incomplete item with no order to take (actions/faults.py).
    "fault_which_order": {
        "en": "I'm sorry about that! Which order was it in? Please send me the order number (it looks like "
        "A-10423) or, if you're not signed in here, the email address you ordered with.",
        "de": "Das tut mir leid! In welcher Bestellung war der Artikel? Schicken Sie mir bitte die Bestellnummer "
        "(sie sieht so aus: A-10423) oder, wenn Sie hier nicht angemeldet sind, die E-Mail-Adresse Ihrer Bestellung.",
        "fr": "Je suis désolé ! Dans quelle commande était-il ? Envoyez-moi le numéro de commande (il ressemble à "
        "A-10423) ou, si vous n'êtes pas connecté ici, l'adresse e-mail de votre commande.",
        "es": "¡Lo siento! ¿En qué pedido venía? Envíeme el número de pedido (se parece a A-10423) o, si no ha "
        "iniciado sesión aquí, el correo con el que hizo el pedido.",
    },
    "no_ticket_update": {
        "en": "There's no update from our team yet; you'll hear from us as soon as there is.",
        "de": "Von unserem Team gibt es noch kein Update; Sie hören von uns, sobald es eines gibt.",
        "fr": "Pas encore de nouvelles de notre équipe ; vous aurez de nos nouvelles dès qu'il y en aura.",
        "es": "Todavía no hay novedades de nuestro equipo; le avisaremos en cuanto las haya.",
    },
}
# Ticket statuses as a customer reads them.
_TICKET_STATUS = {
    "de": {"open": "offen", "in_progress": "in Bearbeitung", "waiting": "wartet auf Sie", "resolved": "gelöst"},
    "fr": {"open": "ouvert", "in_progress": "en cours", "waiting": "en attente de votre réponse", "resolved": "résolu"},
    "es": {"open": "abierto", "in_progress": "en curso", "waiting": "esperando su respuesta", "resolved": "resuelto"},
}


# Returns and refunds (crm_store: returns.status, refunds.status) as a customer reads them.
_RETURN_STATE = {
    "de": {
        "requested": "wird geprüft",
        "approved": "genehmigt, wir warten auf das Paket",
        "refunded": "erstattet",
        "rejected": "nicht genehmigt (wir haben Ihnen per E-Mail geschrieben, warum)",
    },
    "fr": {
        "requested": "en cours d'examen",
        "approved": "accepté, nous attendons le colis",
        "refunded": "remboursé",
        "rejected": "refusé (nous vous avons expliqué pourquoi par e-mail)",
    },
    "es": {
        "requested": "en revisión",
        "approved": "aprobada, esperamos el paquete",
        "refunded": "reembolsada",
        "rejected": "no aprobada (le hemos escrito por correo el motivo)",
    },
}
_REFUND_STATE = {
    "de": {"requested": "unterwegs", "processing": "wird ausgezahlt", "paid": "ausgezahlt"},
    "fr": {"requested": "en route", "processing": "en cours de versement", "paid": "versé"},
    "es": {"requested": "en camino", "processing": "en proceso de pago", "paid": "pagado"},
}


def return_state_word(status: str, language: str) -> str:
    return _RETURN_STATE.get(language, {}).get(status, status)


def refund_state_word(status: str, language: str) -> str:
    return _REFUND_STATE.get(language, {}).get(status, status)


_PHRASES.update(SENTENCES)


def phrase(key: str, language: str, **values: Any) -> str:
    """One of the sentences above (or of actions/phrasebook.py) in the language, filled."""
    table = _PHRASES[key]
    return table.get(language, table["en"]).format(**values)


def ticket_status_word(status: str, language: str) -> str:
    return _TICKET_STATUS.get(language, {}).get(status, status.replace("_", " "))


def payment_method(method: str, language: str) -> str:
    """'card' or 'paypal' (payments.method) as the customer reads it."""
    key = f"method_{method}"
    return phrase(key, language) if key in _PHRASES else method


def refund_arrival(
    received_on: date | None,
    paid_on: date | None,
    expected_by: date | None,
    processing_days: int,
    bank_days: int,
    language: str,
) -> str | None:
    """When the refund is on the customer's account (shop_answers.refund_arrival_dates), in the language."""
    if language == "en":
        return shop_answers.refund_arrival(received_on, paid_on, expected_by, processing_days, bank_days)
    dates = shop_answers.refund_arrival_dates(received_on, paid_on, expected_by, processing_days, bank_days)
    if dates is None:
        return None
    kind, first, by = dates
    if kind == "paid":
        return phrase("refund_paid_out", language, paid=day(first, language), bank_days=bank_days, by=day(by, language))
    return phrase("refund_pays_out", language, payout=day(first, language), bank_days=bank_days, by=day(by, language))


def warranty_route(
    delivered_at: datetime | None, now: datetime, window_days: int, warranty_months: int, language: str
) -> str | None:
    """The warranty route after the return window (shop_answers.warranty_case), in the language."""
    if language == "en":
        return shop_answers.warranty_route(delivered_at, now, window_days, warranty_months)
    case = shop_answers.warranty_case(delivered_at, now, window_days, warranty_months)
    if case is None or delivered_at is None:
        return None
    return phrase(
        f"warranty_{case}", language, delivered=day(delivered_at, language), window=window_days, months=warranty_months
    )
