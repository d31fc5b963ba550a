"""More sentences actions compose around the CRM's values, in English, German, French and Spanish.

Read through `actions.locales.phrase()`, like the sentences of actions/locales.py: one entry per
sentence, each written for its language (not translated word for word); `{name}` is filled by
phrase(). Every entry has all four languages (tests/unit/test_reply_languages.py checks it).
"""

from __future__ import annotations

SENTENCES: dict[str, dict[str, str]] = {
    # A message naming several problems: one ticket each (actions/tickets.py, actions/problems.py).
    "problem_damaged": {
        "en": "item arrived damaged",
        "de": "Artikel beschädigt angekommen",
        "fr": "article arrivé abîmé",
        "es": "artículo llegado dañado",
    },
    "problem_missing_item": {
        "en": "item missing from the parcel",
        "de": "Artikel fehlt im Paket",
        "fr": "article manquant dans le colis",
        "es": "falta un artículo en el paquete",
    },
    "problem_wrong_item": {
        "en": "wrong item delivered",
        "de": "falscher Artikel geliefert",
        "fr": "mauvais article livré",
        "es": "artículo equivocado",
    },
    "problem_double_charge": {
        "en": "charged twice",
        "de": "doppelt abgebucht",
        "fr": "débité deux fois",
        "es": "cobro duplicado",
    },
    "problem_late": {
        "en": "late delivery",
        "de": "Lieferung verspätet",
        "fr": "livraison en retard",
        "es": "entrega con retraso",
    },
    "problem_line": {
        "en": "- {title}: ticket {number}",
        "de": "- {title}: Ticket {number}",
        "fr": "- {title} : ticket {number}",
        "es": "- {title}: ticket {number}",
    },
    "sorry_a_lot": {
        "en": "I'm really sorry, that's a lot going wrong at once. ",
        "de": "Das tut mir wirklich leid, da ist ja einiges auf einmal schiefgelaufen. ",
        "fr": "Je suis vraiment désolé, ça fait beaucoup de problèmes d'un coup. ",
        "es": "Lo siento muchísimo, son demasiadas cosas a la vez. ",
    },
    "sorry": {
        "en": "I'm sorry about this. ",
        "de": "Das tut mir leid. ",
        "fr": "Je suis désolé. ",
        "es": "Lo siento. ",
    },
    # Invoices (actions/everyday.py). "self_service_marker" is how the self-service answer is
    # recognised in the transcript, so it must stay a part of "invoice_self_service".
    "invoice_link": {
        "en": "Here's the invoice for order {number} as a PDF (it shows the VAT): {link}",
        "de": "Hier ist die Rechnung zu Bestellung {number} als PDF (mit ausgewiesener MwSt.): {link}",
        "fr": "Voici la facture de la commande {number} en PDF (la TVA y figure) : {link}",
        "es": "Aquí tiene la factura del pedido {number} en PDF (con el IVA desglosado): {link}",
    },
    "invoice_self_service": {
        "en": "The invoice for order {number} (with the VAT shown) was emailed with your order confirmation, "
        "and you can download it any time under Account > Orders. If you can't find it there, tell me and "
        "I'll ask our team to email you a copy.",
        "de": "Die Rechnung zu Bestellung {number} (mit ausgewiesener MwSt.) kam mit Ihrer Bestellbestätigung "
        "per E-Mail, und Sie können sie jederzeit unter Konto > Bestellungen herunterladen. Falls Sie sie dort "
        "nicht finden, sagen Sie Bescheid, dann schickt Ihnen unser Team eine Kopie.",
        "fr": "La facture de la commande {number} (TVA comprise et indiquée) vous a été envoyée avec la "
        "confirmation de commande, et vous pouvez la télécharger à tout moment dans Compte > Commandes. Si vous "
        "ne la trouvez pas, dites-le-moi et je demanderai à notre équipe de vous en envoyer une copie.",
        "es": "La factura del pedido {number} (con el IVA desglosado) le llegó por correo con la confirmación "
        "del pedido, y puede descargarla cuando quiera en Cuenta > Pedidos. Si no la encuentra, dígamelo y "
        "pediré a nuestro equipo que le envíe una copia.",
    },
    "self_service_marker": {
        "en": "under Account > Orders",
        "de": "unter Konto > Bestellungen",
        "fr": "dans Compte > Commandes",
        "es": "en Cuenta > Pedidos",
    },
    "invoice_copy_requested": {
        "en": "I've asked our team to email you a copy of the invoice for order {number} (request {ticket}); "
        "it usually arrives within one working day.",
        "de": "Ich habe unser Team gebeten, Ihnen eine Kopie der Rechnung zu Bestellung {number} zu mailen "
        "(Anfrage {ticket}); sie kommt normalerweise innerhalb eines Werktags.",
        "fr": "J'ai demandé à notre équipe de vous envoyer par e-mail une copie de la facture de la commande "
        "{number} (demande {ticket}) ; elle arrive en général sous un jour ouvré.",
        "es": "He pedido a nuestro equipo que le envíe por correo una copia de la factura del pedido {number} "
        "(solicitud {ticket}); suele llegar en un día hábil.",
    },
    "invoice_fix": {
        "en": "Sorry about that. Correcting an invoice needs someone from our team. Shall I put you through to a person?",
        "de": "Das tut mir leid. Eine Rechnung korrigieren kann nur jemand aus unserem Team. Soll ich Sie mit "
        "einer Person verbinden?",
        "fr": "Désolé pour ce souci. Seule une personne de notre équipe peut corriger une facture. Voulez-vous "
        "que je vous mette en relation avec elle ?",
        "es": "Disculpe las molestias. Para corregir una factura hace falta alguien de nuestro equipo. ¿Le paso "
        "con una persona?",
    },
    "yes_a_person": {
        "en": "Yes, a person please",
        "de": "Ja, bitte eine Person",
        "fr": "Oui, une personne svp",
        "es": "Sí, con una persona",
    },
    # The business lead (actions/leads.py).
    "lead_who": {
        "en": "{name} from {company}",
        "de": "{name} von {company}",
        "fr": "{name} de {company}",
        "es": "{name} de {company}",
    },
    "lead_readback": {
        "en": "Let me read that back: {who}, email {email}, phone {phone}, volume {volume}. "
        "Shall I pass this to our business team?",
        "de": "Ich fasse kurz zusammen: {who}, E-Mail {email}, Telefon {phone}, Menge {volume}. "
        "Soll ich das an unser Geschäftskunden-Team weitergeben?",
        "fr": "Je récapitule : {who}, e-mail {email}, téléphone {phone}, volume {volume}. "
        "Je transmets à notre équipe entreprises ?",
        "es": "Repaso los datos: {who}, correo {email}, teléfono {phone}, volumen {volume}. "
        "¿Se lo paso a nuestro equipo de empresas?",
    },
    "yes_send_it": {"en": "Yes, send it", "de": "Ja, weitergeben", "fr": "Oui, transmettre", "es": "Sí, enviar"},
    "no": {"en": "No", "de": "Nein", "fr": "Non", "es": "No"},
    "lead_when_back": {
        "en": "Once I pass it on, our business team contacts you within one working day, by email or phone.",
        "de": "Sobald ich es weitergegeben habe, meldet sich unser Geschäftskunden-Team innerhalb eines "
        "Werktags per E-Mail oder Telefon bei Ihnen.",
        "fr": "Dès que je l'ai transmis, notre équipe entreprises vous contacte sous un jour ouvré, par e-mail "
        "ou par téléphone.",
        "es": "En cuanto se lo pase, nuestro equipo de empresas le contactará en un día hábil, por correo o "
        "por teléfono.",
    },
    # The warranty route after the return window (crm_store/services/shop_answers.py decides which).
    "warranty_covered": {
        "en": "It was delivered on {delivered}, so the {window}-day return window has passed, but a fault is "
        "covered by our {months}-month warranty: send a photo of the fault here (or describe it) and I'll open "
        "a warranty claim; we repair or replace the item, or refund you.",
        "de": "Die Lieferung war am {delivered}, die Rückgabefrist von {window} Tagen ist also vorbei. Ein "
        "Defekt fällt aber unter unsere Garantie von {months} Monaten: Schicken Sie mir hier ein Foto des "
        "Fehlers (oder beschreiben Sie ihn), dann lege ich einen Garantiefall an; wir reparieren oder ersetzen "
        "den Artikel oder erstatten Ihnen den Betrag.",
        "fr": "Il a été livré le {delivered}, le délai de retour de {window} jours est donc dépassé, mais un "
        "défaut est couvert par notre garantie de {months} mois : envoyez-moi ici une photo du défaut (ou "
        "décrivez-le) et j'ouvre une demande de garantie ; nous réparons ou remplaçons l'article, ou nous vous "
        "remboursons.",
        "es": "Se entregó el {delivered}, así que el plazo de devolución de {window} días ha pasado, pero un "
        "defecto está cubierto por nuestra garantía de {months} meses: envíeme aquí una foto del defecto (o "
        "descríbalo) y abro una reclamación de garantía; reparamos o sustituimos el artículo, o le devolvemos "
        "el dinero.",
    },
    "warranty_expired": {
        "en": "It was delivered on {delivered}, more than {months} months ago, so it is outside both the return "
        "window and the warranty. A person from our team can still look at it if you like.",
        "de": "Die Lieferung war am {delivered}, vor mehr als {months} Monaten; damit sind Rückgabefrist und "
        "Garantie leider abgelaufen. Wenn Sie möchten, schaut sich trotzdem jemand aus unserem Team das an.",
        "fr": "Il a été livré le {delivered}, il y a plus de {months} mois : le délai de retour et la garantie "
        "sont donc dépassés. Si vous le souhaitez, une personne de notre équipe peut quand même regarder.",
        "es": "Se entregó el {delivered}, hace más de {months} meses, así que está fuera del plazo de "
        "devolución y de la garantía. Si quiere, una persona de nuestro equipo puede revisarlo igualmente.",
    },
    "warranty_offer": {
        "en": "Sorry to hear that. {warranty} Shall I open the warranty claim?",
        "de": "Das tut mir leid. {warranty} Soll ich den Garantiefall anlegen?",
        "fr": "Désolé d'apprendre ça. {warranty} Voulez-vous que j'ouvre la demande de garantie ?",
        "es": "Siento oír eso. {warranty} ¿Abro la reclamación de garantía?",
    },
    "warranty_sorry_item": {
        "en": "I'm sorry the {item} from order {number} {problem}. {warranty}",
        "de": "Es tut mir leid, dass mit {item} aus Bestellung {number} etwas nicht stimmt. {warranty}",
        "fr": "Je suis désolé que {item} de la commande {number} pose problème. {warranty}",
        "es": "Siento que haya un problema con {item} del pedido {number}. {warranty}",
    },
    "warranty_what_needed": {
        "en": "For a warranty claim we need the order number (order {number}, I have it) and a photo of the "
        "fault; a few words on what happened help too. Shall I open the claim? You can send the photo here "
        "afterwards.",
        "de": "Für einen Garantiefall brauchen wir die Bestellnummer ({number} habe ich schon) und ein Foto "
        "des Fehlers; ein paar Worte dazu, was passiert ist, helfen auch. Soll ich den Garantiefall anlegen? "
        "Das Foto können Sie danach hier schicken.",
        "fr": "Pour une demande de garantie, il nous faut le numéro de commande (j'ai déjà le {number}) et une "
        "photo du défaut ; quelques mots sur ce qui s'est passé aident aussi. J'ouvre la demande ? Vous "
        "pourrez envoyer la photo ici ensuite.",
        "es": "Para una reclamación de garantía necesitamos el número de pedido (el {number} ya lo tengo) y "
        "una foto del defecto; unas palabras sobre lo ocurrido también ayudan. ¿Abro la reclamación? La foto "
        "puede enviarla aquí después.",
    },
    "warranty_opened": {
        "en": "I've opened warranty claim {ticket} for order {number}. Please send a photo of the fault here "
        "(or reply to our email with it); our support team gets back to you within one working day and "
        "repairs or replaces the item, or refunds you.",
        "de": "Ich habe den Garantiefall {ticket} zu Bestellung {number} angelegt. Bitte schicken Sie hier "
        "ein Foto des Fehlers (oder als Antwort auf unsere E-Mail); unser Support meldet sich innerhalb eines "
        "Werktags und repariert oder ersetzt den Artikel oder erstattet Ihnen den Betrag.",
        "fr": "J'ai ouvert la demande de garantie {ticket} pour la commande {number}. Envoyez-nous une photo "
        "du défaut ici (ou en réponse à notre e-mail) ; notre support revient vers vous sous un jour ouvré et "
        "répare ou remplace l'article, ou vous rembourse.",
        "es": "He abierto la reclamación de garantía {ticket} del pedido {number}. Envíenos una foto del "
        "defecto aquí (o respondiendo a nuestro correo); nuestro equipo de soporte le contestará en un día "
        "hábil y reparará o sustituirá el artículo, o le devolverá el dinero.",
    },
    # When a refund reaches the customer's account (shop_answers.refund_arrival decides which).
    "refund_paid_out": {
        "en": "it was paid out on {paid}, and banks take up to {bank_days} working days, so it should be on "
        "your account by {by}",
        "de": "die Erstattung wurde am {paid} ausgezahlt, und Banken brauchen bis zu {bank_days} Werktage, "
        "also sollte sie bis zum {by} auf Ihrem Konto sein",
        "fr": "le remboursement a été versé le {paid}, et les banques mettent jusqu'à {bank_days} jours "
        "ouvrés : il devrait être sur votre compte d'ici le {by}",
        "es": "el reembolso se pagó el {paid}, y los bancos tardan hasta {bank_days} días hábiles, así que "
        "debería estar en su cuenta como tarde el {by}",
    },
    "refund_pays_out": {
        "en": "we pay it out by {payout}, and with up to {bank_days} working days at the bank it should be on "
        "your account by {by}",
        "de": "die Erstattung zahlen wir bis zum {payout} aus, und mit bis zu {bank_days} Werktagen bei der "
        "Bank sollte sie bis zum {by} auf Ihrem Konto sein",
        "fr": "nous versons le remboursement d'ici le {payout}, et avec jusqu'à {bank_days} jours ouvrés côté "
        "banque, il devrait être sur votre compte d'ici le {by}",
        "es": "pagamos el reembolso como tarde el {payout}, y con hasta {bank_days} días hábiles del banco "
        "debería estar en su cuenta como tarde el {by}",
    },
    "item_received_on": {
        "en": "item received on {date}; {arrival}",
        "de": "Artikel am {date} bei uns eingegangen; {arrival}",
        "fr": "article reçu le {date} ; {arrival}",
        "es": "artículo recibido el {date}; {arrival}",
    },
    "refund_issued": {
        "en": "The refund of {amount} has been issued to your {method}, the original payment method; banks "
        "take up to {bank_days} working days to show it on your statement.",
        "de": "Die Erstattung von {amount} ist an Ihre Zahlungsart ({method}) angewiesen; Banken brauchen bis "
        "zu {bank_days} Werktage, bis sie auf dem Kontoauszug erscheint.",
        "fr": "Le remboursement de {amount} a été émis sur votre moyen de paiement d'origine ({method}) ; les "
        "banques mettent jusqu'à {bank_days} jours ouvrés pour l'afficher sur votre relevé.",
        "es": "El reembolso de {amount} se ha emitido a su método de pago original ({method}); los bancos "
        "tardan hasta {bank_days} días hábiles en mostrarlo en su extracto.",
    },
    "refund_due_by": {
        "en": "The refund of {amount} goes back to your {method}, the original payment method, within "
        "{days} working days (by {date}).",
        "de": "Die Erstattung von {amount} geht innerhalb von {days} Werktagen (bis zum {date}) an Ihre "
        "Zahlungsart ({method}) zurück.",
        "fr": "Le remboursement de {amount} revient sur votre moyen de paiement d'origine ({method}) sous "
        "{days} jours ouvrés (d'ici le {date}).",
        "es": "El reembolso de {amount} vuelve a su método de pago original ({method}) en {days} días "
        "hábiles (como tarde el {date}).",
    },
    "method_card": {"en": "card", "de": "Karte", "fr": "carte", "es": "tarjeta"},
    "method_paypal": {"en": "PayPal account", "de": "PayPal-Konto", "fr": "compte PayPal", "es": "cuenta de PayPal"},
    # Short replies of the dialogue (actions/answers.py, actions/forms.py, actions/handoff.py).
    "nothing_changes": {
        "en": "OK, nothing changes: it stays as it is. Anything else I can help with?",
        "de": "In Ordnung, dann bleibt alles, wie es ist. Kann ich sonst noch etwas für Sie tun?",
        "fr": "D'accord, rien ne change, tout reste tel quel. Puis-je faire autre chose pour vous ?",
        "es": "De acuerdo, no cambia nada: todo se queda como está. ¿Puedo ayudarle en algo más?",
    },
    "understood": {
        "en": "Alright, understood. Anything else I can help with?",
        "de": "Alles klar, verstanden. Kann ich sonst noch etwas für Sie tun?",
        "fr": "Très bien, c'est noté. Puis-je faire autre chose pour vous ?",
        "es": "De acuerdo, entendido. ¿Puedo ayudarle en algo más?",
    },
    "waiting_then": {
        "en": "Alright, sure. If it hasn't sorted itself out by then, just let me know and I'll have our team "
        "look into it straight away.",
        "de": "Alles klar. Falls sich das bis dahin nicht erledigt hat, sagen Sie einfach Bescheid, dann "
        "kümmert sich unser Team sofort darum.",
        "fr": "Très bien. Si ça ne s'est pas réglé d'ici là, dites-le-moi et notre équipe s'en occupe tout de suite.",
        "es": "De acuerdo. Si para entonces no se ha solucionado, dígamelo y nuestro equipo lo revisará enseguida.",
    },
    "patience_thanks": {
        "en": "All right, thanks for your patience. If it still hasn't come by then, write to me and I'll get "
        "our team on it.",
        "de": "In Ordnung, danke für Ihre Geduld. Falls es bis dahin immer noch nicht da ist, schreiben Sie "
        "mir, dann setze ich unser Team darauf an.",
        "fr": "D'accord, merci de votre patience. Si ce n'est toujours pas arrivé d'ici là, écrivez-moi et je "
        "mets notre équipe dessus.",
        "es": "De acuerdo, gracias por su paciencia. Si para entonces todavía no ha llegado, escríbame y "
        "pondré a nuestro equipo a ello.",
    },
    "offer_person": {
        "en": "I'm sorry about that. Would you like me to get a person from our team?",
        "de": "Das tut mir leid. Soll ich jemanden aus unserem Team dazuholen?",
        "fr": "Je suis désolé. Voulez-vous que je fasse venir une personne de notre équipe ?",
        "es": "Lo siento. ¿Quiere que le pase con una persona de nuestro equipo?",
    },
    "when_back_deal": {
        "en": "Our business team contacts you within one working day about {record}, by email or phone.",
        "de": "Unser Geschäftskunden-Team meldet sich innerhalb eines Werktags zu {record} bei Ihnen, per "
        "E-Mail oder Telefon.",
        "fr": "Notre équipe entreprises vous contacte sous un jour ouvré au sujet de {record}, par e-mail ou "
        "par téléphone.",
        "es": "Nuestro equipo de empresas le contactará en un día hábil sobre {record}, por correo o por teléfono.",
    },
    "when_back_ticket": {
        "en": "Our support team answers {record} within one working day (the same day if it's urgent), by "
        "email and here in the chat.",
        "de": "Unser Support beantwortet {record} innerhalb eines Werktags (bei Dringendem am selben Tag), "
        "per E-Mail und hier im Chat.",
        "fr": "Notre support répond à {record} sous un jour ouvré (le jour même si c'est urgent), par e-mail "
        "et ici dans le chat.",
        "es": "Nuestro equipo de soporte responde a {record} en un día hábil (el mismo día si es urgente), "
        "por correo y aquí en el chat.",
    },
    "when_back_return": {
        "en": "We email you the prepaid return label for {record} within one working day.",
        "de": "Das frankierte Rücksendeetikett für {record} schicken wir Ihnen innerhalb eines Werktags per E-Mail.",
        "fr": "Nous vous envoyons l'étiquette de retour prépayée pour {record} par e-mail sous un jour ouvré.",
        "es": "Le enviamos por correo la etiqueta de devolución prepagada de {record} en un día hábil.",
    },
    "code_ticket_opened": {
        "en": "I've opened ticket {ticket} so our team checks the code; they get back to you within one working day.",
        "de": "Ich habe das Ticket {ticket} angelegt, damit unser Team den Code prüft; es meldet sich "
        "innerhalb eines Werktags bei Ihnen.",
        "fr": "J'ai ouvert le ticket {ticket} pour que notre équipe vérifie le code ; elle revient vers vous "
        "sous un jour ouvré.",
        "es": "He abierto el ticket {ticket} para que nuestro equipo revise el código; le contestarán en un día hábil.",
    },
    "erasure_needs_email": {
        "en": "I can do that. First I need to confirm it's your account: please send me the email address you "
        "use with us, and I'll send a one-time code there.",
        "de": "Das kann ich erledigen. Zuerst muss ich bestätigen, dass es Ihr Konto ist: Schicken Sie mir "
        "bitte die E-Mail-Adresse, die Sie bei uns nutzen, dann sende ich dorthin einen Einmalcode.",
        "fr": "Je peux m'en occuper. Je dois d'abord vérifier qu'il s'agit bien de votre compte : envoyez-moi "
        "l'adresse e-mail que vous utilisez chez nous, et je vous y enverrai un code à usage unique.",
        "es": "Puedo hacerlo. Primero tengo que confirmar que la cuenta es suya: envíeme la dirección de "
        "correo que usa con nosotros y le mandaré allí un código de un solo uso.",
    },
    "latest_update": {
        "en": "Latest update on {ticket} ({date}): {text}.",
        "de": "Letzte Neuigkeit zu {ticket} ({date}): {text}.",
        "fr": "Dernière nouvelle sur {ticket} ({date}) : {text}.",
        "es": "Última novedad sobre {ticket} ({date}): {text}.",
    },
    "high_priority": {
        "en": " (high priority)",
        "de": " (hohe Priorität)",
        "fr": " (priorité haute)",
        "es": " (prioridad alta)",
    },
    "update_moved": {
        "en": 'the ticket moved to "{stage}"',
        "de": "das Ticket ist jetzt „{stage}“",
        "fr": "le ticket est passé à « {stage} »",
        "es": "el ticket ha pasado a «{stage}»",
    },
    "update_wrote": {
        "en": 'our team wrote: "{said}"',
        "de": "unser Team schrieb: „{said}“",
        "fr": "notre équipe a écrit : « {said} »",
        "es": "nuestro equipo escribió: «{said}»",
    },
    # A one-time code sent to an email the visitor typed (actions/account.py); "email_code_marker" is how
    # actions/pending_code.py recognises it in the transcript, so it stays a part of "email_code_sent".
    "email_code_sent": {
        "en": "If {email} belongs to an account with us, I've just sent a 6-digit code to it. Please type the "
        "code here; it's valid for 10 minutes.",
        "de": "Falls {email} zu einem Konto bei uns gehört, habe ich gerade einen 6-stelligen Code dorthin "
        "geschickt. Bitte tippen Sie den Code hier ein; er gilt 10 Minuten.",
        "fr": "Si {email} correspond à un compte chez nous, je viens d'y envoyer un code à 6 chiffres. Tapez "
        "le code ici ; il est valable 10 minutes.",
        "es": "Si {email} corresponde a una cuenta con nosotros, acabo de enviarle un código de 6 cifras. "
        "Escriba el código aquí; es válido durante 10 minutos.",
    },
    "email_code_marker": {
        "en": "I've just sent a 6-digit code to it",
        "de": "habe ich gerade einen 6-stelligen Code dorthin geschickt",
        "fr": "je viens d'y envoyer un code à 6 chiffres",
        "es": "acabo de enviarle un código de 6 cifras",
    },
    "now_the_form": {
        "en": "Now, the {topic} for order {number}:",
        "de": "Jetzt zu Bestellung {number}: {topic}.",
        "fr": "Passons maintenant à la commande {number} : {topic}.",
        "es": "Ahora, el pedido {number}: {topic}.",
    },
    "topic_cancel_order": {"en": "cancellation", "de": "Stornierung", "fr": "annulation", "es": "cancelación"},
    "topic_return_item": {"en": "return", "de": "Rücksendung", "fr": "retour", "es": "devolución"},
    "topic_exchange_item": {"en": "exchange", "de": "Umtausch", "fr": "échange", "es": "cambio"},
    "topic_change_address": {
        "en": "address change",
        "de": "Adressänderung",
        "fr": "changement d'adresse",
        "es": "cambio de dirección",
    },
    # Everyday requests (actions/everyday.py) when the shop configured no policy text of its own.
    "answer_price_match": {
        "en": "We don't match other shops' prices, sorry. The price on our site is the price you pay; if it "
        "drops within a few days of your order, ask for a person and our team will look at it.",
        "de": "Preise anderer Shops gleichen wir leider nicht an. Es gilt der Preis auf unserer Website; sinkt "
        "er wenige Tage nach Ihrer Bestellung, fragen Sie nach einer Person, dann schaut sich unser Team das an.",
        "fr": "Désolé, nous ne nous alignons pas sur les prix d'autres boutiques. Le prix affiché sur notre site "
        "est celui que vous payez ; s'il baisse quelques jours après votre commande, demandez une personne et "
        "notre équipe regardera.",
        "es": "Lo siento, no igualamos los precios de otras tiendas. El precio de nuestra web es el que paga; si "
        "baja pocos días después de su pedido, pida hablar con una persona y nuestro equipo lo revisará.",
    },
    "answer_promo": {
        "en": "Sorry, I can't create or hand out a discount code here. A code is entered at checkout, one code "
        "per order, and can't be added to an order that was already placed. Current offers are on our website, "
        "and newsletter subscribers hear about them first.",
        "de": "Rabattcodes kann ich hier leider nicht erstellen oder vergeben. Ein Code wird an der Kasse "
        "eingegeben, ein Code pro Bestellung, und lässt sich nachträglich nicht mehr hinzufügen. Aktuelle "
        "Angebote finden Sie auf unserer Website; Newsletter-Abonnenten erfahren sie zuerst.",
        "fr": "Désolé, je ne peux ni créer ni donner de code promo ici. Un code se saisit au moment du "
        "paiement, un seul par commande, et ne peut pas être ajouté à une commande déjà passée. Les offres du "
        "moment sont sur notre site, et les abonnés à la newsletter les découvrent en premier.",
        "es": "Lo siento, aquí no puedo crear ni dar códigos de descuento. El código se introduce al pagar, uno "
        "por pedido, y no se puede añadir a un pedido ya realizado. Las ofertas actuales están en nuestra web, "
        "y quienes reciben la newsletter se enteran primero.",
    },
    "answer_promo_failed": {
        "en": "Sorry the code didn't work. A code is entered at checkout, one code per order, and can't be added "
        "to an order afterwards. If you think it should have worked, our team can check the code: just say so "
        "and I'll open a ticket for them.",
        "de": "Schade, dass der Code nicht funktioniert hat. Ein Code wird an der Kasse eingegeben, einer pro "
        "Bestellung, und lässt sich nachträglich nicht hinzufügen. Wenn er Ihrer Meinung nach hätte gehen "
        "müssen, prüft unser Team ihn gern: Sagen Sie Bescheid, dann lege ich ein Ticket an.",
        "fr": "Désolé que le code n'ait pas fonctionné. Un code se saisit au paiement, un seul par commande, et "
        "ne peut pas être ajouté après coup. Si vous pensez qu'il aurait dû marcher, notre équipe peut le "
        "vérifier : dites-le-moi et j'ouvre un ticket.",
        "es": "Siento que el código no funcionara. El código se introduce al pagar, uno por pedido, y no se "
        "puede añadir después. Si cree que debería haber funcionado, nuestro equipo puede revisarlo: dígamelo "
        "y abro un ticket.",
    },
    "answer_vat": {
        "en": "Yes: every invoice shows the VAT, and all our prices include it. The invoice is emailed with the "
        "order confirmation and is under Account > Orders.",
        "de": "Ja: Auf jeder Rechnung ist die MwSt. ausgewiesen, und alle unsere Preise enthalten sie. Die "
        "Rechnung kommt mit der Bestellbestätigung per E-Mail und liegt unter Konto > Bestellungen.",
        "fr": "Oui : chaque facture indique la TVA, et tous nos prix la comprennent. La facture est envoyée "
        "avec la confirmation de commande et se trouve dans Compte > Commandes.",
        "es": "Sí: todas las facturas muestran el IVA, y todos nuestros precios lo incluyen. La factura se "
        "envía con la confirmación del pedido y está en Cuenta > Pedidos.",
    },
    "answer_reserve": {
        "en": "Sorry, we don't take reservations or pre-orders: stock changes all the time.{now} If an item "
        "sells out, it's usually back in stock within two weeks.",
        "de": "Reservierungen oder Vorbestellungen nehmen wir leider nicht an, der Bestand ändert sich "
        "ständig.{now} Ist ein Artikel ausverkauft, ist er meist innerhalb von zwei Wochen wieder da.",
        "fr": "Désolé, nous ne prenons ni réservations ni précommandes : le stock bouge tout le temps.{now} "
        "Quand un article est épuisé, il revient en général sous deux semaines.",
        "es": "Lo siento, no hacemos reservas ni preventas: el stock cambia constantemente.{now} Si un "
        "artículo se agota, suele volver a estar disponible en dos semanas.",
    },
    "reserve_in_stock": {
        "en": "The {product} is in stock right now ({n} available).",
        "de": "{product} ist gerade auf Lager ({n} verfügbar).",
        "fr": "{product} est en stock en ce moment ({n} disponibles).",
        "es": "{product} está en stock ahora mismo ({n} disponibles).",
    },
    "reserve_out_of_stock": {
        "en": "The {product} is out of stock right now.",
        "de": "{product} ist gerade nicht auf Lager.",
        "fr": "{product} est en rupture de stock en ce moment.",
        "es": "{product} está agotado ahora mismo.",
    },
    # An order's status and its parcel (actions/orders.py). Each sentence after the first starts with
    # the subject: the order (German "Bestellung" and French "commande" are feminine).
    "status_pending": {
        "en": "We're waiting for the payment to clear.",
        "de": "Wir warten noch auf den Zahlungseingang.",
        "fr": "Nous attendons encore la validation du paiement.",
        "es": "Estamos esperando a que se confirme el pago.",
    },
    "status_paid": {
        "en": "It's paid and will be packed soon.",
        "de": "Sie ist bezahlt und wird bald verpackt.",
        "fr": "Elle est payée et sera bientôt emballée.",
        "es": "Está pagado y pronto lo empaquetaremos.",
    },
    "status_packed": {
        "en": "It's packed and will leave our warehouse shortly.",
        "de": "Sie ist verpackt und verlässt in Kürze unser Lager.",
        "fr": "Elle est emballée et quittera bientôt notre entrepôt.",
        "es": "Está empaquetado y saldrá en breve de nuestro almacén.",
    },
    "status_shipped": {
        "en": "It's on its way.",
        "de": "Sie ist unterwegs.",
        "fr": "Elle est en route.",
        "es": "Está en camino.",
    },
    "status_delivered": {
        "en": "It has been delivered.",
        "de": "Sie wurde zugestellt.",
        "fr": "Elle a été livrée.",
        "es": "Ya se ha entregado.",
    },
    "status_cancelled": {
        "en": "It was cancelled.",
        "de": "Sie wurde storniert.",
        "fr": "Elle a été annulée.",
        "es": "Se canceló.",
    },
    "status_returned": {
        "en": "It was returned.",
        "de": "Sie wurde zurückgeschickt.",
        "fr": "Elle a été retournée.",
        "es": "Se devolvió.",
    },
    "not_left_yet": {
        "en": "It hasn't left our warehouse yet; orders usually ship within 1-2 working days.",
        "de": "Sie hat unser Lager noch nicht verlassen; Bestellungen gehen meist innerhalb von 1-2 Werktagen raus.",
        "fr": "Elle n'a pas encore quitté notre entrepôt ; les commandes partent en général sous 1 à 2 jours ouvrés.",
        "es": "Todavía no ha salido de nuestro almacén; los pedidos suelen enviarse en 1-2 días hábiles.",
    },
    "tracking_code": {
        "en": "Tracking code: {code}.",
        "de": "Sendungsnummer: {code}.",
        "fr": "Numéro de suivi : {code}.",
        "es": "Código de seguimiento: {code}.",
    },
    "left_us_on": {
        "en": "It left us on {date} with {carrier}",
        "de": "Sie ging am {date} mit {carrier} raus",
        "fr": "Elle est partie de chez nous le {date} avec {carrier}",
        "es": "Salió de nuestro almacén el {date} con {carrier}",
    },
    "with_carrier": {
        "en": "It's with {carrier}",
        "de": "Sie ist bei {carrier}",
        "fr": "Elle est chez {carrier}",
        "es": "Lo tiene {carrier}",
    },
    "was_due_on": {
        "en": "and was due on {date}.",
        "de": "und sollte am {date} ankommen.",
        "fr": "et était attendue le {date}.",
        "es": "y debía llegar el {date}.",
    },
    "late_sorry": {
        "en": "and should have arrived by {date}. I'm sorry it's late; {carrier} still shows it in transit. If it "
        "hasn't come within 2 working days, tell me and I'll open a ticket so our team chases the carrier.",
        "de": "und hätte bis zum {date} ankommen sollen. Entschuldigen Sie die Verspätung; bei {carrier} ist sie "
        "noch unterwegs. Falls sie in 2 Werktagen nicht da ist, sagen Sie mir Bescheid, dann lege ich ein Ticket "
        "an und unser Team hakt beim Versanddienst nach.",
        "fr": "et aurait dû arriver le {date}. Désolé pour ce retard ; chez {carrier}, elle est toujours en "
        "transit. Si elle n'est pas là d'ici 2 jours ouvrés, dites-le-moi et j'ouvre un ticket pour que notre "
        "équipe relance le transporteur.",
        "es": "y debería haber llegado el {date}. Siento el retraso; {carrier} todavía lo muestra en tránsito. "
        "Si no llega en 2 días hábiles, dígamelo y abriré un ticket para que nuestro equipo reclame al "
        "transportista.",
    },
    "arrives_by": {
        "en": "and should arrive by {date}.",
        "de": "und sollte bis {date} ankommen.",
        "fr": "et devrait arriver d'ici le {date}.",
        "es": "y debería llegar como tarde el {date}.",
    },
    "failed_attempts": {
        "en": "{carrier} tried to deliver it: {attempts} failed delivery attempt{s} so far. It tries again, "
        "usually on the next working day; after the last attempt the parcel waits at a pickup point (a post "
        "office or parcel locker). On {carrier}'s tracking page you can reschedule the delivery or choose a "
        "pickup point instead.",
        "de": "{carrier} hat versucht zuzustellen; erfolglose Zustellversuche bisher: {attempts}. Meist folgt "
        "am nächsten Werktag ein neuer Versuch; nach dem letzten wartet das Paket in einer Filiale oder "
        "Packstation. Auf der Sendungsverfolgung von {carrier} können Sie einen neuen Termin wählen oder die "
        "Abholung an einer Filiale.",
        "fr": "{carrier} a essayé de la livrer : tentatives de livraison manquées jusqu'ici : {attempts}. Une "
        "nouvelle tentative a lieu en général le jour ouvré suivant ; après la dernière, le colis attend dans "
        "un point relais (bureau de poste ou consigne). Sur la page de suivi de {carrier}, vous pouvez "
        "reprogrammer la livraison ou choisir un point relais.",
        "es": "{carrier} intentó entregarlo: intentos de entrega fallidos hasta ahora: {attempts}. Suele "
        "intentarlo de nuevo el siguiente día hábil; tras el último intento, el paquete espera en un punto de "
        "recogida (oficina de correos o taquilla). En la página de seguimiento de {carrier} puede cambiar la "
        "fecha de entrega o elegir un punto de recogida.",
    },
    "carrier_delivered_on": {
        "en": "{carrier} delivered it on {date}",
        "de": "{carrier} hat sie am {date} zugestellt",
        "fr": "{carrier} l'a livrée le {date}",
        "es": "{carrier} lo entregó el {date}",
    },
    "track_here": {
        "en": "Track it here: {url}",
        "de": "Hier können Sie sie verfolgen: {url}",
        "fr": "Suivez-la ici : {url}",
        "es": "Puede seguirlo aquí: {url}",
    },
    "ships_after_payment": {
        "en": "It ships once the payment has cleared; orders usually ship within 1-2 working days after that.",
        "de": "Sie geht raus, sobald die Zahlung eingegangen ist; danach versenden wir meist innerhalb von "
        "1-2 Werktagen.",
        "fr": "Elle part dès que le paiement est validé ; ensuite, l'expédition se fait en général sous 1 à "
        "2 jours ouvrés.",
        "es": "Se enviará en cuanto se confirme el pago; después solemos enviarlo en 1-2 días hábiles.",
    },
    "delivered_on": {
        "en": "It was delivered on {date}.",
        "de": "Sie wurde am {date} zugestellt.",
        "fr": "Elle a été livrée le {date}.",
        "es": "Se entregó el {date}.",
    },
    "no_delivery_on_the_way": {
        "en": "It is {status}, so there is no delivery on the way.",
        "de": "Sie ist {status}, es ist also keine Lieferung unterwegs.",
        "fr": "Elle est {status}, aucune livraison n'est donc en cours.",
        "es": "Está {status}, así que no hay ninguna entrega en camino.",
    },
    # A write the CRM refused at the last step (the order changed meanwhile): its reason is English.
    "crm_refused": {
        "en": "{reason}",
        "de": "Das konnte ich leider nicht ausführen: Der Stand der Bestellung lässt es nicht (mehr) zu. Wenn "
        "Sie möchten, hilft Ihnen eine Person aus unserem Team weiter.",
        "fr": "Je n'ai pas pu le faire : l'état de la commande ne le permet pas (ou plus). Si vous le "
        "souhaitez, une personne de notre équipe peut vous aider.",
        "es": "No he podido hacerlo: el estado del pedido no lo permite (o ya no). Si quiere, una persona de "
        "nuestro equipo puede ayudarle.",
    },
    # A duplicate charge (actions/payments.py).
    "no_charge": {"en": "no charge", "de": "keine Abbuchung", "fr": "aucun débit", "es": "ningún cargo"},
    "expected_within": {
        "en": "{date}, within 5 working days",
        "de": "{date} (innerhalb von 5 Werktagen)",
        "fr": "{date} (sous 5 jours ouvrés)",
        "es": "{date} (en 5 días hábiles)",
    },
    "within_5_days": {
        "en": "within 5 working days",
        "de": "spätestens in 5 Werktagen",
        "fr": "5 jours ouvrés au plus tard",
        "es": "5 días hábiles como máximo",
    },
    # A receipt's read-back (actions/receipts.py).
    "receipt_order": {
        "en": "order {number}",
        "de": "Bestellung {number}",
        "fr": "commande {number}",
        "es": "pedido {number}",
    },
    "a_receipt": {"en": "a receipt", "de": "ein Beleg", "fr": "un ticket de caisse", "es": "un ticket"},
    "receipt_from": {"en": "from {date}", "de": "vom {date}", "fr": "du {date}", "es": "del {date}"},
    "receipt_total": {
        "en": ", total {money}",
        "de": ", Summe {money}",
        "fr": ", total {money}",
        "es": ", total {money}",
    },
    # A bare "ok" to a ticket offer: asked again, the offer stays open (actions/answers.py).
    "ticket_offer_again": {
        "en": "Just to be sure: shall I open the ticket, or is there anything else I can help with?",
        "de": "Nur zur Sicherheit: Soll ich das Ticket eröffnen, oder kann ich sonst noch etwas für Sie tun?",
        "fr": "Pour être sûr : j'ouvre le ticket, ou puis-je vous aider pour autre chose ?",
        "es": "Para estar seguros: ¿abro el ticket o puedo ayudarle en algo más?",
    },
    # Out of hours with no opening in the next two weeks (actions/handover.py).
    "after_holidays": {
        "en": "after the holidays",
        "de": "nach den Feiertagen",
        "fr": "après les jours fériés",
        "es": "después de los festivos",
    },
    # Short questions about the answer just given (actions/follow_ups.py).
    "follow_up_late_what_now": {
        "en": "I'm sorry for the wait. Late parcels usually turn up within a couple of working days: if yours hasn't "
        "come within 2 working days, tell me and I'll open a ticket so our team chases the carrier. If you'd rather "
        'not wait, say "open a ticket" and I\'ll do it now.',
        "de": "Entschuldigen Sie die Wartezeit. Verspätete Pakete kommen meist innerhalb weniger Werktage an: Ist "
        "Ihres in 2 Werktagen nicht da, sagen Sie mir Bescheid, dann lege ich ein Ticket an und unser Team hakt beim "
        'Versanddienst nach. Wenn Sie nicht warten möchten, schreiben Sie "Ticket eröffnen", dann mache ich das '
        "sofort.",
        "fr": "Désolé pour l'attente. Un colis en retard arrive en général en quelques jours ouvrés : si le vôtre "
        "n'est pas là d'ici 2 jours ouvrés, dites-le-moi et j'ouvre un ticket pour que notre équipe relance le "
        "transporteur. Si vous préférez ne pas attendre, écrivez « ouvrir un ticket » et je le fais tout de suite.",
        "es": "Siento la espera. Un paquete con retraso suele llegar en un par de días hábiles: si el suyo no llega "
        "en 2 días hábiles, dígamelo y abriré un ticket para que nuestro equipo reclame al transportista. Si prefiere "
        "no esperar, escriba «abrir un ticket» y lo hago ahora mismo.",
    },
    "follow_up_ticket_need": {
        "en": "Nothing more for now: our team has your ticket and answers by email within one working day. If they "
        "asked you for something (details or a photo), you can send it right here or reply to their email.",
        "de": "Im Moment nichts weiter: Unser Team hat Ihr Ticket und antwortet innerhalb eines Werktags per E-Mail. "
        "Falls es Sie um etwas gebeten hat (Angaben oder ein Foto), können Sie es gleich hier schicken oder auf die "
        "E-Mail antworten.",
        "fr": "Rien de plus pour l'instant : notre équipe a votre ticket et répond par e-mail sous un jour ouvré. Si "
        "elle vous a demandé quelque chose (des précisions ou une photo), vous pouvez l'envoyer ici ou répondre à "
        "son e-mail.",
        "es": "Nada más por ahora: nuestro equipo tiene su ticket y responde por email en un día hábil. Si le ha "
        "pedido algo (detalles o una foto), puede enviarlo aquí mismo o responder a su email.",
    },
    "follow_up_address_locked": {
        "en": "I'm sorry, I really can't: once an order has shipped, we can't change its delivery address any more. "
        "While it's on its way, the carrier's tracking page may let you redirect the parcel.",
        "de": "Das tut mir leid, das geht wirklich nicht: Sobald eine Bestellung verschickt ist, können wir die "
        "Lieferadresse nicht mehr ändern. Solange sie unterwegs ist, können Sie das Paket eventuell über die "
        "Sendungsverfolgung des Versanddienstes umleiten.",
        "fr": "Désolé, ce n'est vraiment pas possible : une fois la commande expédiée, nous ne pouvons plus changer "
        "son adresse de livraison. Tant qu'elle est en route, la page de suivi du transporteur permet parfois de "
        "rediriger le colis.",
        "es": "Lo siento, de verdad no es posible: una vez enviado el pedido, ya no podemos cambiar su dirección de "
        "entrega. Mientras esté en camino, la página de seguimiento del transportista puede permitirle redirigir "
        "el paquete.",
    },
    "follow_up_cancel_locked": {
        "en": "I'm sorry, I really can't: once an order has shipped, it can no longer be cancelled. When it has "
        'arrived, you can return it for free instead: just say "I want to return an item".',
        "de": "Das tut mir leid, das geht wirklich nicht: Eine verschickte Bestellung lässt sich nicht mehr "
        "stornieren. Sobald sie angekommen ist, können Sie sie kostenlos zurückschicken: Schreiben Sie einfach "
        '"Ich möchte einen Artikel zurückschicken".',
        "fr": "Désolé, ce n'est vraiment pas possible : une commande expédiée ne peut plus être annulée. Une fois "
        "arrivée, vous pouvez la retourner gratuitement : dites simplement « je veux retourner un article ».",
        "es": "Lo siento, de verdad no es posible: un pedido enviado ya no se puede cancelar. Cuando llegue, puede "
        "devolverlo gratis: solo escriba «quiero devolver un artículo».",
    },
}
