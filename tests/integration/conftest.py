"""Fixtures the integration tests of the actions share."""

from __future__ import annotations

import pytest

from tests.support.action_calls import linked_chat, point_actions_at


@pytest.fixture
def chat(uow_factory, monkeypatch):  # type: ignore[no-untyped-def]
    """A chat linked to a customer with an email, the actions pointed at the test's CRM: (sender, customer id)."""
    point_actions_at(monkeypatch, uow_factory)
    return linked_chat(uow_factory)
