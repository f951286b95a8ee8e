"""Settings: precedence, validation, and the README documents each one."""
from __future__ import annotations

import pytest

from chancery import settings
from conftest import ROOT


def test_default_environment_flag_precedence():
    assert settings.resolve({}, {})["index_dir"] == "index"
    assert settings.resolve({}, {"CHANCERY_INDEX_DIR": "/env"})["index_dir"] == "/env"
    assert settings.resolve({"index_dir": "/flag"}, {"CHANCERY_INDEX_DIR": "/env"})["index_dir"] == "/flag"


def test_values_are_typed():
    assert settings.resolve({}, {"CHANCERY_LOCK_TIMEOUT": "2.5"})["lock_timeout"] == 2.5


def test_invalid_value_names_its_origin():
    with pytest.raises(settings.SettingError, match="CHANCERY_LOCK_TIMEOUT"):
        settings.resolve({}, {"CHANCERY_LOCK_TIMEOUT": "soon"})


@pytest.mark.parametrize("name", sorted(settings.SETTINGS))
def test_readme_lists_every_setting(name):
    setting = settings.SETTINGS[name]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next((line for line in readme.splitlines() if line.startswith(f"| `{setting.env}`")), None)
    assert row is not None, f"README does not list {setting.env}"
    assert (f"`{setting.flag}`" in row) == setting.flag_allowed
