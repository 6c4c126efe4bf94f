"""Clinic files: checked at start-up (one line naming file and key), laid over the packaged ones."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_runtime, warm
from bot.clinic import packaged, read_yaml
from bot.clinic.files import SCHEMAS
from bot.clinic.typed import schema
from bot.models import Alert
from bot.program import load_program
from bot.services.escalation import ladder_for
from bot.settings import Settings, SettingsError
from bot.triage import load_rules, triage
from schedules.sweep import run_pass
from tests.factories import make_participant

REPO = Path(__file__).resolve().parents[1]
IOPBOT = Path(sys.executable).parent / "iopbot"
CHECKIN_TIME = datetime(2026, 11, 26, 22, 0, 30, tzinfo=UTC)  # 17:00 in New York


def clinic(folder: Path, program: str = "", **files: str) -> Path:
    """A clinic folder holding only its own overrides; returns the program file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "program.yaml"
    path.write_text('clinic: {name: "Eastside Clinic"}\n' + program, encoding="utf-8")
    for name, text in files.items():
        target = folder / name.replace("__", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return path


def test_packaged_files_load_and_compile():
    program = load_program(packaged("program.yaml"))
    runtime = build_runtime(Settings(database_url="sqlite://"), program=program)
    assert not runtime.triage.compiled  # nothing compiled until a text is read
    warm(runtime)
    assert runtime.triage.compiled
    assert runtime.rules.urgent_craving == 9


@pytest.mark.parametrize(
    ("program", "files", "file", "key"),
    [
        ("quiet_hour: {start: '08:00'}\n", {}, "program.yaml", "'quiet_hour'"),
        ("checkin: {ask_mod: true}\n", {}, "program.yaml", "'checkin.ask_mod'"),
        ("family: {weekly_day: sun}\n", {}, "program.yaml", "'family.weekly_day'"),
        ("family: {milestones: {checkin_week: [4]}}\n", {}, "program.yaml",
         "'family.milestones.checkin_week'"),
        ("groups: [{name: A, room: 2}]\n", {}, "program.yaml", "'groups[0].room'"),
        ("checkin: {ask_mood: 'yes please'}\n", {}, "program.yaml",
         "checkin.ask_mood: expected true or false"),
        ("default_language: fr\n", {}, "program.yaml", "default_language: expected one of"),
        ("triage_rules: t.yaml\n", {"t.yaml": "thresholds: {urgent_cravings: 5}\n"}, "t.yaml",
         "'thresholds.urgent_cravings'"),
        ("triage_rules: t.yaml\n", {"t.yaml": "risk: {suicidal: {english: ['x']}}\n"}, "t.yaml",
         "'risk.suicidal.english'"),
        ("triage_rules: t.yaml\n", {"t.yaml": "idioms: {fr: ['x']}\n"}, "t.yaml",
         "'idioms.fr'"),
        ("triage_rules: t.yaml\n", {"t.yaml": "thresholds: {urgent_craving: high}\n"},
         "t.yaml", "thresholds.urgent_craving: expected a whole number"),
        ("", {"escalation.yaml": "levels: {crisis: {first_deadlin: 5}}\n"}, "escalation.yaml",
         "'levels.crisis.first_deadlin'"),
        ("", {"escalation.yaml": "levels: {crisis: {notify: [police]}}\n"}, "escalation.yaml",
         "levels.crisis.notify[0]: expected one of"),
        ("", {"escalation.yaml": "levels: {crisis: {first_deadline: -5}}\n"}, "escalation.yaml",
         "levels.crisis.first_deadline"),
        ("", {"messages__core.yaml": "en: {help2: 'Call us'}\n"}, "core.yaml", "'help2'"),
        ("", {"messages__core.yaml": "fr: {help: 'Appelez'}\n"}, "core.yaml", "'fr'"),
    ],
)
def test_a_mistake_is_one_line_naming_the_file_and_the_key(tmp_path, program, files, file, key):
    path = clinic(tmp_path / "clinic", program, **files)
    with pytest.raises(SettingsError) as caught:
        load_program(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("IOPBOT_CONFIG: ")
    assert file in message and key in message, message


@pytest.mark.parametrize(
    ("name", "content"),
    [("escalation.yaml", "levels: [broken"), ("triage.yaml", "crisis: {patterns: [")],
)
def test_broken_yaml_is_a_settings_error(tmp_path, name, content):
    path = clinic(tmp_path / "c", "triage_rules: triage.yaml\n", **{name: content})
    if name == "escalation.yaml":
        (tmp_path / "c" / "triage.yaml").write_text("", "utf-8")
    with pytest.raises(SettingsError, match=rf"IOPBOT_CONFIG: .*{name} is not valid YAML"):
        load_program(path)


def test_an_override_file_with_only_a_threshold_works(tmp_path):
    path = clinic(tmp_path / "c", "triage_rules: triage.yaml\n",
                  **{"triage.yaml": "thresholds: {urgent_craving: 5}\n"})
    program = load_program(path)
    rules = build_runtime(Settings(database_url="sqlite://"), program=program).rules
    packaged_rules = load_rules()
    assert rules.urgent_craving == 5
    assert rules.concern_craving == packaged_rules.concern_craving  # the rest stays packaged
    assert [c.name for c in rules.risk] == [c.name for c in packaged_rules.risk]
    assert triage("6", expect="craving", rules=rules).level == "urgent"
    assert triage("6", expect="craving", rules=packaged_rules).level == "none"
    assert triage("i want to kill myself", rules=rules).level == "crisis"


def test_extra_phrases_add_to_the_packaged_ones(tmp_path):
    overrides = (
        "risk:\n"
        "  strong_craving: {en: ['grandmas kitchen']}\n"
        "idioms: {en: ['killing it at work']}\n"
    )
    rules = load_rules(clinic(tmp_path / "c", **{"t.yaml": overrides}).parent / "t.yaml")
    packaged_rules = load_rules()
    assert triage("thinking about grandma's kitchen", rules=rules).level == "concern"
    assert triage("thinking about grandma's kitchen", rules=packaged_rules).level == "none"
    # the packaged phrases of the same category still count
    assert triage("i really want a drink", rules=rules).level == "concern"
    before = len(packaged_rules.category("strong_craving").patterns)
    assert len(rules.category("strong_craving").patterns) == before + 1


def test_a_full_copy_of_the_packaged_rules_changes_nothing(tmp_path):
    copy = tmp_path / "triage.yaml"
    shutil.copyfile(packaged("triage.yaml"), copy)
    full, plain = load_rules(copy), load_rules()
    assert [c.patterns for c in full.risk] == [c.patterns for c in plain.risk]
    assert full.phrases["idioms"].pattern == plain.phrases["idioms"].pattern


def test_ladder_overrides_merge_over_the_packaged_ladder(tmp_path):
    path = clinic(tmp_path / "c", **{"escalation.yaml": "levels: {crisis: {first_deadline: 5}}\n"
                                     "holidays: ['2026-12-25']\n"})
    ladder = ladder_for(load_program(path))
    assert ladder.levels["crisis"].first_deadline == 5
    assert ladder.levels["crisis"].notify == ("assigned", "on_call")  # packaged
    assert ladder.levels["urgent"].first_deadline == 30
    assert len(ladder.holidays) == 1


def test_wording_overrides_merge_over_the_packaged_wording(tmp_path):
    wording = "en: {help: 'Eastside: call us.', coping.tip.walk: 'Walk.'}\n"
    path = clinic(tmp_path / "c", **{"messages__mine.yaml": wording})
    program = load_program(path)
    assert program.text("help", "en") == "Eastside: call us."
    assert program.text("help", "es") != "Eastside: call us."  # Spanish stays packaged
    assert program.text("coping.tip.walk", "en") == "Walk."
    assert "optout.confirm" in program.messages["en"]


def test_cli_refuses_to_start_with_a_typo(tmp_path):
    path = clinic(tmp_path / "c", "quiet_hour: {start: '08:00'}\n")
    env = {"PATH": "/usr/bin:/bin", "IOPBOT_CONFIG": str(path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([str(IOPBOT), "participant", "list"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"iopbot: IOPBOT_CONFIG: {path}: unknown key 'quiet_hour' (did you mean 'quiet_hours'?)"
    )


def test_iopbot_triage_uses_the_clinics_thresholds(tmp_path):
    path = clinic(tmp_path / "c", "triage_rules: triage.yaml\n",
                  **{"triage.yaml": "thresholds: {urgent_craving: 6}\n"})
    env = {"PATH": "/usr/bin:/bin", "IOPBOT_CONFIG": str(path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([str(IOPBOT), "triage", "--expect", "craving", "6"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["level"] == "urgent"
    assert "urgent threshold 6" in done.stdout


@pytest.mark.parametrize(("name", "model"), sorted(SCHEMAS.items()))
def test_the_shipped_json_schema_is_current(name, model):
    shipped = packaged(f"schema/{name}.schema.json")
    assert json.loads(shipped.read_text("utf-8")) == schema(model, title=f"iopbot {name} file"), (
        f"{shipped} is stale: run `python -m bot.clinic.schema_files`"
    )


@pytest.mark.parametrize(("name", "example"), [
    ("program", "program.yaml"), ("triage", "triage.yaml"), ("escalation", "escalation.yaml"),
    ("messages", "messages/core.yaml"),
])
def test_the_schema_accepts_the_packaged_file_and_flags_a_typo(name, example):
    import jsonschema

    shipped = json.loads(packaged(f"schema/{name}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(shipped)
    validator = jsonschema.Draft202012Validator(shipped)
    data = json.loads(json.dumps(read_yaml(packaged(example)), default=str))  # as an editor sees it
    assert list(validator.iter_errors(data)) == []
    assert not validator.is_valid({**data, "quiet_hour": {"start": "08:00"}})


# --- the runtime's rules are what the handlers use -----------------------------------------


@pytest.fixture
def settings(settings, tmp_path):
    """A clinic whose triage file raises urgent at 5 and knows its own slang."""
    path = clinic(tmp_path / "clinic", "triage_rules: triage.yaml\n", **{
        "triage.yaml": "thresholds: {urgent_craving: 5}\n"
                       "risk: {strong_craving: {en: ['grandmas kitchen']}}\n"})
    return settings.with_overrides(config_path=path)


def test_a_checkin_answer_uses_the_clinics_threshold(runtime, clock, db_session, text_in):
    assert runtime.rules.urgent_craving == 5
    alex = make_participant(db_session, checkin_time="17:00")
    clock.set(CHECKIN_TIME)
    run_pass(runtime)
    text_in(alex.phone, "6")  # the answer to "urges 0-10": 6 is at or above 5
    alert = db_session.scalars(select(Alert)).one()
    assert alert.level == "urgent"
    assert "urgent threshold 5" in " ".join(alert.reasons)


def test_free_text_uses_the_clinics_threshold(runtime, db_session, text_in):
    alex = make_participant(db_session)
    text_in(alex.phone, "craving is like a 6")
    assert db_session.scalars(select(Alert)).one().level == "urgent"


def test_a_clinic_phrase_raises_an_alert_through_the_webhook(runtime, db_session, text_in):
    alex = make_participant(db_session)
    text_in(alex.phone, "been thinking about grandma's kitchen all day")
    alert = db_session.scalars(select(Alert)).one()
    assert alert.level == "concern"


def test_no_handler_falls_back_to_the_packaged_rules(runtime, clock, db_session, text_in,
                                                     monkeypatch):
    def packaged_rules(*_args, **_kwargs):
        raise AssertionError("a handler read the packaged rules behind the runtime's back")

    for module in ("bot.triage.levels", "bot.triage.replies"):
        monkeypatch.setattr(f"{module}.load_rules", packaged_rules)
    alex = make_participant(db_session, checkin_time="17:00")
    clock.set(CHECKIN_TIME)
    run_pass(runtime)
    for text in ("6", "no", "4", "can i get a ride to group?", "thinking about grandma's kitchen",
                 "I want to kill myself"):
        assert text_in(alex.phone, text).status_code == 200, text
    levels = sorted(a.level for a in db_session.scalars(select(Alert)))
    assert levels == ["crisis", "urgent"]  # the clinic's "6" is urgent; the concern joins it


def test_a_bad_pattern_stops_text_handling_commands_in_one_line(tmp_path):
    path = clinic(tmp_path / "c", "triage_rules: triage.yaml\n",
                  **{"triage.yaml": "risk: {distress: {en: ['(unclosed']}}\n"})
    env = {"PATH": "/usr/bin:/bin", "IOPBOT_CONFIG": str(path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    chat = subprocess.run([str(IOPBOT), "chat", "--phone", "+14155550123"], env=env,
                          cwd=tmp_path, input="hello\n", capture_output=True, text=True,
                          timeout=60)
    assert chat.returncode == 1
    assert chat.stderr.strip().splitlines() == [
        f"Error: IOPBOT_CONFIG: {path.parent / 'triage.yaml'}: risk.distress: bad pattern "
        "'(unclosed': missing ), unterminated subpattern at position 0"
    ]
    # Commands that read no text compile nothing: the bad pattern does not stop them.
    assert subprocess.run([str(IOPBOT), "db", "upgrade"], env=env, cwd=tmp_path,
                          capture_output=True, timeout=60).returncode == 0
    listing = subprocess.run([str(IOPBOT), "participant", "list"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0 and listing.stderr == ""
    helped = subprocess.run([str(IOPBOT), "--help"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "triage" in helped.stdout


def test_a_copied_program_file_alone_uses_every_packaged_file(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    shutil.copyfile(packaged("program.yaml"), folder / "program.yaml")  # names all three
    program = load_program(folder / "program.yaml")
    assert program.triage_rules_path is None and program.triage == load_program().triage
    assert program.messages == load_program().messages


def test_a_misspelt_overrides_file_name_is_an_error(tmp_path):
    path = clinic(tmp_path / "c", "triage_rules: triag.yaml\n", **{"triage.yaml": ""})
    with pytest.raises(SettingsError, match=r"triag\.yaml: cannot read"):
        load_program(path)


def test_every_documented_program_setting_is_accepted(tmp_path):
    """Settings other parts read from program.yaml pass the typed check (none is a 'typo')."""
    path = clinic(tmp_path / "c", "phone_region: ES\n"
                                  "retention: {message_bodies_days: 2190}\n"
                                  "console: {counselor_totp: true}\n")
    program = load_program(path)
    assert program.phone_region == "ES"
    assert program.keep_message_bodies_days == 2190
    assert program.section("console") == {"counselor_totp": True}
    with pytest.raises(SettingsError, match="counselor_totps"):
        load_program(clinic(tmp_path / "d", "console: {counselor_totps: true}\n"))
