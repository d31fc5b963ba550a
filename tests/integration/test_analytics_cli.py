"""The analytics commands as a person runs them on a seeded CRM."""

from __future__ import annotations

from tests.integration.test_cli import crmbot


def test_jobs_run_print_what_they_did_and_the_reports_show_it(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}", "LOG_LEVEL": "WARNING"}
    assert crmbot("seed", "--size", "80", **env).returncode == 0

    listed = crmbot("job", "list", **env)
    flagged = crmbot("job", "run", "flag_stalled", **env)
    segmented = crmbot("job", "run", "segment_customers", **env)
    stalled = crmbot("report", "stalled", "--chart-dir", str(tmp_path / "charts"), **env)
    segments = crmbot("report", "segments", **env)
    history = crmbot("job", "history", **env)
    unknown = crmbot("job", "run", "nope", **env)

    assert [line.split()[0] for line in listed.stdout.splitlines()[1:4]] == [
        "segment_customers",
        "flag_stalled",
        "send_follow_ups",
    ]
    assert "flag_stalled: ok," in flagged.stdout and "raised:" in flagged.stdout, flagged.stderr
    assert "segment_customers: ok," in segmented.stdout and "silhouette_by_k:" in segmented.stdout, segmented.stderr
    assert "stalled (open flags), oldest first" in stalled.stdout and "most stalled:" in stalled.stdout
    assert (tmp_path / "charts" / "funnel-order.png").stat().st_size > 1000
    assert "customers  profile" in segments.stdout and len(segments.stdout.splitlines()) >= 3
    assert [line.split()[1] for line in history.stdout.splitlines()[1:]] == ["segment_customers", "flag_stalled"]
    assert unknown.returncode == 2 and "no job called 'nope'" in unknown.stderr


def test_job_run_counts_from_the_as_of_date_and_refuses_a_bad_one(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}", "LOG_LEVEL": "WARNING"}
    assert crmbot("seed", "--size", "40", **env).returncode == 0

    dated = crmbot("job", "run", "flag_stalled", "--as-of", "2030-01-06T07:00", **env)
    bad = crmbot("job", "run", "flag_stalled", "--as-of", "next monday", **env)

    assert "as_of: 2030-01-06T07:00:00" in dated.stdout, dated.stderr
    assert bad.returncode != 0 and "is not a date" in bad.stderr
