from __future__ import annotations

import pytest

from crm_store.errors import SettingsError
from crm_store.settings import load_settings


def test_defaults_run_the_embedded_profile():
    settings = load_settings({})

    assert settings.database_url.startswith("sqlite:///")
    assert settings.resolved_tracker_url.endswith("tracker.db")
    assert settings.lock_store_url is None and settings.event_broker_url is None
    assert settings.telegram_token is None


def test_values_come_from_the_environment():
    settings = load_settings({"DATABASE_URL": "postgresql://u@db/crm", "RASA_PORT": "6005", "TELEGRAM_MODE": "Polling"})

    assert settings.database_url == "postgresql://u@db/crm"
    assert settings.resolved_tracker_url == "postgresql://u@db/crm"
    assert settings.rasa_port == 6005 and settings.telegram_mode == "polling"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SMTP_PORT": "abc"}, "SMTP_PORT='abc' is not a whole number"),
        ({"RASA_PORT": "70000"}, "RASA_PORT='70000' is not a port number (1-65535)"),
        ({"TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE='carrier-pigeon' is not one of webhook, polling"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL='mysql://x' must start with"),
        ({"SMTP_STARTTLS": "perhaps"}, "SMTP_STARTTLS='perhaps' is not true or false"),
    ],
)
def test_a_bad_value_names_the_variable_in_one_line(env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(env)

    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_token_is_not_shown_in_repr():
    settings = load_settings({"TELEGRAM_TOKEN": "123456:secret-token-value"})

    assert "secret-token-value" not in repr(settings)


def test_nlu_processes_may_be_zero_but_not_negative():
    assert load_settings({}).nlu_processes is None  # one per core the Rasa server may use
    assert load_settings({"NLU_PROCESSES": "0"}).nlu_processes == 0  # parse in the Rasa server
    assert load_settings({"NLU_PROCESSES": "3"}).nlu_processes == 3
    with pytest.raises(SettingsError, match="NLU_PROCESSES='-1' must be positive"):
        load_settings({"NLU_PROCESSES": "-1"})
    with pytest.raises(SettingsError, match="ACTION_THREADS='0' must be positive"):
        load_settings({"ACTION_THREADS": "0"})
