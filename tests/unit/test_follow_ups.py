"""Short questions about what the assistant just did (nlu/follow_ups.py) and their answers (actions/follow_ups.py)."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_ups import ActionFollowUp
from nlu.follow_ups import follow_up

RETURN_OPENED = "I've opened return R-00031 for the yoga mat from order A-12345. We'll email you a free return label."
INVOICE_SHOWN = "The invoice for order A-12345 is in your account under Account > Orders."
ERASURE = (
    "Confirmed. Your request to delete your personal data is ticket T-00044. Our team completes it within 30 days."
)
ATTEMPT = (
    "Order A-12345 (1 x backpack; 54.90 EUR) is shipped (since 4 Dec 2026). It's on its way. DPD made 1 delivery "
    "attempt and tries again, usually on the next working day."
)

LATE = (
    "Order A-12345 (1 x throw blanket; 42.00 EUR) is shipped (since 27 Nov 2026). It's on its way. It left us on "
    "27 Nov 2026 with DHL and should have arrived by 4 Dec 2026. I'm sorry it's late; DHL still shows it in transit."
)
TICKETS = 'Your open tickets:\n- T-00015 "Bluetooth speaker does not charge": waiting since 5 Dec 2026'
ADDRESS_LOCKED = "Order A-12345 is already shipped, so its delivery address can't be changed any more."
LOGIN_HELP = 'For login problems, use "Forgot password" on the sign-in page; the reset link is valid for 24 hours.'
CANCEL_LOCKED = "Order A-12345 is already shipped, so it can no longer be cancelled."


def after(*bot: str) -> list[tuple[str, str]]:
    said: list[tuple[str, str]] = []
    for text in bot:
        said += [("user", "something"), ("bot", text)]
    return said


@pytest.mark.parametrize(
    "text, bot, expected",
    [
        ("is sending it back free?", RETURN_OPENED, "return:cost"),
        ("where can i drop it off", RETURN_OPENED, "return:drop_off"),
        ("and how long does that take", ERASURE, "erasure:how_long"),
        ("do you keep my old orders?", ERASURE, "erasure:orders_kept"),
        ("what if they miss me again", ATTEMPT, "delivery_attempt:again"),
        ("could they come on saturday instead", ATTEMPT, "delivery_attempt:reschedule"),
        ("they tried?? i was home all afternoon", ATTEMPT, "delivery_attempt:was_home"),
        (
            "4 - fast, but the box was dented",
            "Before you go: how would you rate this conversation, from 1 to 5?",
            "rating:rating",
        ),
        (
            "still nothing at the neighbours",
            "I've opened ticket T-00012, our team starts a missing-parcel claim",
            "parcel_missing:claim",
        ),
        ("can't you make me one?", "Sorry, I can't create or hand out a discount code here.", "promo:make_one"),
        (
            "yes, have someone check it",
            "Sorry the code didn't work. A code is entered at checkout",
            "promo_failed:check",
        ),
        (
            "does the invoice show the VAT?",
            "The invoice for order A-12345 (with the VAT shown) was emailed",
            "invoice:vat",
        ),
        ("ok ill try paypal then", "Sorry about the payment trouble. Most problems are solved", "payment:will_try"),
        ("4 - quick, but a bit pricey", "You're welcome! Anything else I can help with?", "anything_else:rating"),
        (
            "ok I got it, it's 249 439 thanks",
            "If that email address belongs to order A-12345, I've just sent a 6-digit code to it.",
            "code:code",
        ),
        ("and when does it get here?", ATTEMPT.replace(" DPD made 1 delivery attempt", ""), "status:status"),
        (
            "had a look in the junk folder too, not there",
            "If it still isn't there, our team can send you a new reset link by hand. Shall I open a ticket for that?",
            "reset_offer:by_hand",
        ),
        (
            "is there a discount at that volume?",
            "Thank you, Ines! I've passed your enquiry to our business team as D-00031: Ines Vogt, Vogt GmbH.",
            "lead:prices",
        ),
        (
            "the people next door say nobody has it",
            "Please check with your neighbours first. Shall I open the missing-parcel claim now?",
            "parcel_missing:claim",
        ),
        ("so what now", LATE, "late:what_now"),
        ("tried that twice, nothing came, checked spam too", LOGIN_HELP, "login_help:not_received"),
        ("ok so what do you need from me", TICKETS, "ticket:need_from_me"),
        ("when will they get back to me?", TICKETS, "record:when_back"),
        ("yes please do it anyway", ADDRESS_LOCKED, "address_locked:insist"),
        ("can't you just cancel it anyway?", CANCEL_LOCKED, "cancel_locked:insist"),
    ],
)
def test_a_short_question_about_the_last_answer_is_a_follow_up_on_its_topic(text, bot, expected):
    assert follow_up(text, after(bot)) == expected


@pytest.mark.parametrize(
    "text, bot",
    [
        ("where is my other order?", RETURN_OPENED),  # a new request, not about the return
        ("is A-12346 free to return too?", RETURN_OPENED),  # names another order
        ("when will my order arrive", ERASURE),  # nothing about the erasure
        ("is sending it back free?", "Hi! I'm the shop assistant."),  # nothing was returned
        ("it's 249439", "Thanks, the code is right. This chat is now linked to your account."),  # no code expected
        # Could not find it where the assistant said: a request for a copy, not "where do I find it?".
        ("I can't find it there, please send me the invoice", INVOICE_SHOWN),
        ("i cant find it in my account", INVOICE_SHOWN),
        ("ok i'll wait 2 more days, thanks", LATE),  # an answer, not a question about what happens
        ("ok whatever. when does it arrive then", ADDRESS_LOCKED),  # a question of its own
        ("please tell me when it ships", CANCEL_LOCKED),
    ],
)
def test_other_requests_are_no_follow_ups(text, bot):
    assert follow_up(text, after(bot)) is None


def test_the_topic_is_forgotten_after_a_few_turns():
    history = after(RETURN_OPENED, "You're welcome!", "Our support team is available Monday", "Sure.")

    assert follow_up("is sending it back free?", history) is None
    assert follow_up("is sending it back free?", history[:4]) == "return:cost"


def tracker(text: str, *bot: str) -> Tracker:
    events = [{"event": "session_started"}]
    for said in bot:
        events += [{"event": "user", "text": "something"}, {"event": "bot", "text": said}]
    events.append({"event": "user", "text": text})
    return Tracker("s", {}, {"text": text, "intent": {"name": "return_item"}}, events, False, None, {}, "action_listen")


def test_the_action_answers_after_a_data_erasure_with_the_erasure_time_not_the_delivery_time():
    dispatcher = CollectingDispatcher()

    ActionFollowUp().run(dispatcher, tracker("ok how long does it take", ERASURE), {})

    assert "30 days" in dispatcher.messages[0]["text"]


def test_the_action_says_returns_are_free_instead_of_opening_another_return():
    dispatcher = CollectingDispatcher()

    events = ActionFollowUp().run(dispatcher, tracker("do i have to pay for sending them back", RETURN_OPENED), {})

    assert "free" in dispatcher.messages[0]["text"]
    assert not any(e.get("event") == "active_loop" for e in events)


def test_the_action_points_a_missed_customer_to_the_pickup_point_and_the_tracking_page():
    dispatcher = CollectingDispatcher()

    ActionFollowUp().run(dispatcher, tracker("and if they miss me again?", ATTEMPT), {})

    assert "pickup point" in dispatcher.messages[0]["text"] and "tracking page" in dispatcher.messages[0]["text"]


def _policy_prediction(events, latest_text: str, intent: str, active_loop: str | None = None) -> str | None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from nlu.components.follow_up_policy import FollowUpPolicy

    domain = Domain.from_dict(
        {
            "intents": ["return_item", "request_human", "affirm"],
            "actions": ["action_follow_up", "action_check_order"],
            "forms": {"lead_form": {"required_slots": []}},
        }
    )
    history = []
    for side, text in events:
        history += (
            [UserUttered(text, {"name": "affirm"}), ActionExecuted("action_listen")]
            if side == "user"
            else [BotUttered(text)]
        )
    if active_loop:
        history.append(ActiveLoop(active_loop))
    history += [ActionExecuted("action_listen"), UserUttered(latest_text, {"name": intent, "confidence": 0.9})]
    tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen"), *history])
    policy = FollowUpPolicy.create(
        FollowUpPolicy.get_default_config(),
        LocalModelStorage.create("/tmp"),  # never written: the policy learns nothing
        Resource("follow_up"),
        ExecutionContext(GraphSchema({})),
    )
    prediction = policy.predict_action_probabilities(tracker, domain)
    if max(prediction.probabilities) == 0:
        return None
    return domain.action_names_or_texts[prediction.probabilities.index(max(prediction.probabilities))]


def test_the_policy_sends_a_follow_up_to_action_follow_up_whatever_intent_it_was_read_as():
    said = [("user", "return the mat"), ("bot", RETURN_OPENED)]

    assert _policy_prediction(said, "do i have to pay for sending them back", "return_item") == "action_follow_up"
    assert _policy_prediction(said, "I want to return the bottle too", "return_item") is None


def test_the_policy_answers_a_follow_up_inside_the_two_stage_fallback_but_not_inside_a_form():
    said = [("user", "any discount codes?"), ("bot", "Sorry, I can't create or hand out a discount code here.")]

    assert (
        _policy_prediction(said, "can't you just make me one", "out_of_scope", "action_two_stage_fallback")
        == "action_follow_up"
    )
    assert _policy_prediction(said, "can't you just make me one", "out_of_scope", "lead_form") is None


def test_the_policy_lets_the_lead_form_answer_when_back_at_its_read_back():
    said = [
        ("user", "bulk order"),
        ("bot", "Let me read that back: Jo from X. Shall I pass this to our business team?"),
    ]

    assert _policy_prediction(said, "when will someone call me?", "request_human", "lead_form") == "lead_form"
    assert _policy_prediction(said, "I want a person", "request_human", "lead_form") is None


def test_the_lead_form_answers_when_back_at_the_read_back_and_asks_again():
    import asyncio

    from actions.leads import ValidateLeadForm

    text = "when will someone get back to me?"
    lead = Tracker(
        "s",
        {"requested_slot": "confirmed", "company": "Lumen", "email": "a@b.de", "phone": "+4930123", "volume": "200"},
        {"text": text, "intent": {"name": "request_human"}},
        [{"event": "user", "text": text}],
        False,
        None,
        {"name": "lead_form"},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()

    events = asyncio.run(ValidateLeadForm().run(dispatcher, lead, {}))

    assert "within one working day" in dispatcher.messages[0]["text"]
    assert {"event": "slot", "timestamp": None, "name": "confirmed", "value": None} in events


def test_the_follow_up_policy_code_is_no_training_input_but_the_classifier_code_is(tmp_path):
    from nlu.training import fingerprint

    for name in ("config.yml", "domain.yml", "nlu/follow_ups.py", "nlu/components/follow_up_policy.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("a")
    (tmp_path / "nlu/components/classifier.py").write_text("a")
    before = fingerprint(tmp_path)

    (tmp_path / "nlu/follow_ups.py").write_text("b")
    (tmp_path / "nlu/components/follow_up_policy.py").write_text("b")
    unchanged = fingerprint(tmp_path)
    (tmp_path / "nlu/components/classifier.py").write_text("b")

    assert unchanged == before != fingerprint(tmp_path)


def test_a_grudging_ok_after_an_answer_is_taken_as_said_not_as_a_fresh_start():
    text = "meh ok then"
    answered = Tracker(
        "s",
        {},
        {"text": text, "intent": {"name": "affirm", "confidence": 0.9}, "entities": []},
        [
            {"event": "user", "text": "can you match a cheaper price"},
            {"event": "bot", "text": "We don't match other shops' prices, sorry."},
            {"event": "user", "text": text},
        ],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()

    from actions.answers import ActionAnswer

    ActionAnswer().run(dispatcher, answered, {})

    assert "Anything else I can help with?" in dispatcher.messages[0]["text"]


def test_the_policy_answers_so_what_now_after_a_late_parcel_even_when_it_reads_as_a_goodbye():
    said = [("user", "my order A-12345 should have been here days ago"), ("bot", LATE)]

    assert _policy_prediction(said, "so what now", "goodbye") == "action_follow_up"
    assert _policy_prediction(said, "ok thanks, bye", "goodbye") is None


def test_the_action_says_no_again_to_an_address_change_after_shipping_and_writes_nothing():
    dispatcher = CollectingDispatcher()

    events = ActionFollowUp().run(dispatcher, tracker("yes please do it anyway", ADDRESS_LOCKED), {})

    assert "can't change its delivery address" in dispatcher.messages[0]["text"]
    assert "redirect" in dispatcher.messages[0]["text"]
    assert all(e.get("event") == "slot" and e.get("name") == "requested_info" for e in events)
