"""A broken clinic rule file stops start-up with one line; at run time it never blocks a crisis."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import check_clinic_files
from bot.program import load_program
from bot.settings import SettingsError

REPO = Path(__file__).resolve().parents[1]
IOPBOT = Path(sys.executable).parent / "iopbot"


@pytest.fixture
def clinic_config(tmp_path) -> Path:
    """A copy of the packaged config folder the test may break."""
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def test_packaged_files_pass(clinic_config):
    check_clinic_files(load_program(clinic_config / "program.yaml"))


@pytest.mark.parametrize(
    ("name", "content"),
    [("escalation.yaml", "levels: [broken"), ("triage.yaml", "crisis: {patterns: [")],
)
def test_broken_file_is_a_settings_error(clinic_config, name, content):
    (clinic_config / name).write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match="IOPBOT_CONFIG"):
        check_clinic_files(load_program(clinic_config / "program.yaml"))


def test_cli_refuses_to_start_with_a_broken_ladder(clinic_config, tmp_path):
    (clinic_config / "escalation.yaml").write_text("levels: [broken", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "IOPBOT_CONFIG": str(clinic_config / "program.yaml"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([str(IOPBOT), "participant", "list"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("iopbot: IOPBOT_CONFIG:")
    assert "Traceback" not in done.stderr


def test_iopbot_triage_uses_the_clinics_thresholds(clinic_config, tmp_path):
    rules = clinic_config / "triage.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "urgent_craving: 9" in text
    rules.write_text(text.replace("urgent_craving: 9", "urgent_craving: 6"), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "IOPBOT_CONFIG": str(clinic_config / "program.yaml"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([str(IOPBOT), "triage", "--expect", "craving", "6"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"level": "urgent"' in done.stdout
    assert "urgent threshold 6" in done.stdout
