from __future__ import annotations

import pytest

from analytics.jobs import JobSpec, cron_of
from crm_store.errors import SettingsError
from crm_store.settings import load_settings, parse_stage_slas


def test_a_schedule_setting_overrides_the_jobs_default():
    settings = load_settings({"SCHEDULE_FLAG_STALLED": "*/30 * * * *"})
    spec = JobSpec("flag_stalled", lambda ctx: 0, "0 * * * *", "")

    assert cron_of(spec, settings) == "*/30 * * * *"
    assert cron_of(JobSpec("segment_customers", lambda ctx: 0, "15 3 * * *", ""), settings) == "15 3 * * *"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SCHEDULE_FLAG_STALLED": "99 * * * *"}, "SCHEDULE_FLAG_STALLED='99 * * * *' is not a cron expression"),
        ({"SCHEDULE_SEND_FOLLOW_UPS": "hourly"}, "SCHEDULE_SEND_FOLLOW_UPS='hourly' is not a cron expression"),
        ({"SCHEDULER_TIMEZONE": "Mars/Olympus"}, "SCHEDULER_TIMEZONE='Mars/Olympus' is not a time zone name"),
        ({"STAGE_SLAS": "ticket.open=soon"}, "STAGE_SLAS: 'ticket.open=soon' is not process.stage=hours"),
    ],
)
def test_bad_analytics_settings_stop_startup_with_one_line(env, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(env)

    assert str(raised.value).startswith(message)


def test_stage_slas_parse_into_hours_per_stage():
    assert parse_stage_slas("ticket.open=24, return.received=72.5") == {
        ("ticket", "open"): 24.0,
        ("return", "received"): 72.5,
    }


def test_every_registered_job_has_a_schedule_setting_that_overrides_it():
    from analytics.jobs import load_jobs

    for name, spec in load_jobs().items():
        settings = load_settings({f"SCHEDULE_{name.upper()}": "7 7 * * *"})

        assert cron_of(spec, settings) == "7 7 * * *", f"SCHEDULE_{name.upper()} is ignored"
