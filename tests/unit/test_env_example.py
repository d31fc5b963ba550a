from __future__ import annotations

import re

from crm_store.settings import _ENV, PROJECT_ROOT


def test_env_example_lists_every_setting_and_nothing_else():
    text = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", text, flags=re.M))

    assert listed == set(_ENV.values())
