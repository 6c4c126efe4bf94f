"""`iopbot triage`: one JSON object per message, from arguments or stdin."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from bot.cli.triage_cmd import triage_command

KEYS = ["text", "level", "craving", "used", "reasons", "screen"]


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_arguments_are_messages_in_order() -> None:
    result = CliRunner().invoke(triage_command, ["I want to die", "ok", "used last night"])
    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    assert [list(r) for r in rows] == [KEYS] * 3
    assert [r["level"] for r in rows] == ["crisis", "none", "urgent"]
    assert rows[2]["used"] is True
    assert rows[0]["reasons"] == ["suicidal language"]


def test_stdin_one_message_per_line_keeps_empty_lines() -> None:
    stdin = "7\n\nme quiero morir\nsooo drunk\n"
    result = CliRunner().invoke(triage_command, [], input=stdin)
    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    assert [r["text"] for r in rows] == ["7", "", "me quiero morir", "sooo drunk"]
    assert rows[1] == {
        "text": "",
        "level": "none",
        "craving": None,
        "used": None,
        "reasons": [],
        "screen": False,
    }
    assert rows[0]["craving"] is None
    assert "me quiero morir" in result.output  # ensure_ascii=False keeps it readable


def test_expect_craving_reads_bare_numbers() -> None:
    result = CliRunner().invoke(triage_command, ["--expect", "craving"], input="9\n2\n6pm\n")
    rows = _lines(result.output)
    assert [r["craving"] for r in rows] == [9, 2, None]
    assert [r["level"] for r in rows] == ["urgent", "none", "none"]


def test_bad_bytes_and_crlf_on_stdin_do_not_crash() -> None:
    stdin = b"\xff\xfe used last night\r\nok\r\n\xc3\x28\n"
    result = CliRunner().invoke(triage_command, [], input=stdin)
    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    assert len(rows) == 3
    assert rows[0]["level"] == "urgent"
    assert rows[1]["text"] == "ok"
    assert "\ufffd" in rows[2]["text"]


def test_rules_option_uses_another_yaml(tmp_path: Path) -> None:
    data = yaml.safe_load(
        (Path(__file__).parents[1] / "config" / "triage.yaml").read_text(encoding="utf-8")
    )
    data["thresholds"]["urgent_craving"] = 6
    path = tmp_path / "strict.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(triage_command, ["--rules", str(path), "--expect", "craving", "6"])
    assert _lines(result.output)[0]["level"] == "urgent"


def test_broken_rules_file_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("risk:\n  x:\n    level: sometimes\n", encoding="utf-8")
    result = CliRunner().invoke(triage_command, ["--rules", str(path), "hi"])
    assert result.exit_code != 0
    assert "cannot load triage rules" in result.output


def test_unknown_expect_is_refused() -> None:
    result = CliRunner().invoke(triage_command, ["--expect", "cravings", "7"])
    assert result.exit_code == 2


def test_uncertain_band_is_screened_not_paged() -> None:
    texts = ["my papers are all in order now", "I want to die", "thanks, see you tuesday"]
    result = CliRunner().invoke(triage_command, texts)
    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    assert [(r["level"], r["screen"]) for r in rows] == [
        ("concern", True),
        ("crisis", False),
        ("none", False),
    ]
