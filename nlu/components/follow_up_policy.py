"""A dialogue policy for short questions about what the assistant just did (nlu/follow_ups.py).

"Do I have to pay for sending them back?" right after a return was opened is classified as a new
return, "how long does it take?" after a data erasure as the delivery-time FAQ: the intent is
wrong, and every rule or story keyed on it answers the wrong thing. This policy reads the message
and the assistant's latest replies instead, and when they make a follow-up it predicts
`action_follow_up` with full confidence and a priority above the RulePolicy's, so it wins over the
rule the misread intent would fire. Then it predicts listening. Inside a form, or for a message
that is no follow-up, it abstains (all zeros) and the other policies decide as before.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_TWO_STAGE_FALLBACK_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.follow_ups import NOT_A_GOODBYE, WHEN_BACK, History, follow_up

ACTION_NAME = "action_follow_up"
# Forms that answer "when will someone get back to me?" themselves.
_ANSWERS_WHEN_BACK = frozenset({"lead_form"})
# Intents that are never a follow-up, whatever their words: the customer wants something else.
_NEVER = frozenset({"escalate", "unsupported_language", "goodbye", "stop"})


def history_of(tracker: DialogueStateTracker) -> History:
    """The session's messages before the latest one, as nlu/follow_ups.py reads them."""
    history: list[tuple[str, str]] = []
    for event in tracker.events:
        if isinstance(event, SessionStarted):
            history = []
        elif isinstance(event, UserUttered):
            history.append(("user", event.text or ""))
        elif isinstance(event, BotUttered):
            history.append(("bot", event.text or ""))
    if history and history[-1][0] == "user":
        history.pop()  # the message now answered
    return history


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class FollowUpPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Above the RulePolicy (6): at equal confidence the higher priority wins.
        return {"priority": 7}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the follow-ups are read from the words

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if ACTION_NAME not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        last = next((e for e in reversed(tracker.events) if isinstance(e, ActionExecuted)), None)
        if last is not None and last.action_name == ACTION_NAME:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            return self._prediction(probabilities)
        message = tracker.latest_message
        # Inside the two-stage fallback ("did you mean one of these?") a follow-up is still a follow-up
        # ("can't you just make one?" after the discount answer); inside a form the form decides.
        if tracker.active_loop_name and tracker.active_loop_name != ACTION_TWO_STAGE_FALLBACK_NAME:
            # "When will someone call me?" at a business enquiry's read-back reads as a request for a person;
            # the form answers it and asks again (actions/leads.py) instead of being left for a handoff.
            if (
                tracker.active_loop_name in _ANSWERS_WHEN_BACK
                and message is not None
                and WHEN_BACK.search(message.text or "")
            ):
                probabilities[domain.index_for_action(tracker.active_loop_name)] = 1.0
            return self._prediction(probabilities)
        if message is None:
            return self._prediction(probabilities)
        key = follow_up(message.text or "", history_of(tracker))
        intent = (message.intent or {}).get("name")
        # "So what now?" after a late parcel reads like "ok, bye" to the classifier; it still asks what happens.
        if key and (intent not in _NEVER or (intent == "goodbye" and key in NOT_A_GOODBYE)):
            probabilities[domain.index_for_action(ACTION_NAME)] = 1.0
        return self._prediction(probabilities)
