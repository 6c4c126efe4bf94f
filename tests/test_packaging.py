"""Packaging: licence, lock file, `--help`/`--version`, and the built wheel working on its own."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import build_group, package_version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s#]+)")


def locked() -> dict[str, str]:
    """{canonical name: version} pinned in requirements.txt."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"requirements.txt line is not an exact pin: {line!r}"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_licence_file_matches_the_metadata():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PYPROJECT["license"] == "Apache-2.0"  # the SPDX form, not the deprecated table
    assert PYPROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / ".python-version").read_text().strip() == "3.11"


def test_lock_file_pins_every_runtime_dependency_within_its_range():
    pins = locked()
    for spec in PYPROJECT["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.txt pins {name}=={pins[name]}, outside {requirement.specifier}: "
            "run `bash tools/lock.sh`"
        )
    assert not {"pytest", "ruff", "hypothesis", "pip-tools"} & set(pins), "dev tools in the lock"
    assert "bash tools/lock.sh" in (ROOT / "requirements.txt").read_text()


def test_help_lists_only_options_that_work():
    result = CliRunner().invoke(build_group(), ["--help"], prog_name="iopbot")
    assert result.exit_code == 0
    options = re.findall(r"^\s+(-{1,2}[\w-]+)", result.output.split("Commands:")[0], re.M)
    assert options == ["--version", "--help"]
    for flask_only in ("--env-file", "--app", "--debug"):
        assert flask_only not in result.output
    for verb in ("db", "doctor", "export", "import", "retention", "web", "scheduler", "chat"):
        assert re.search(rf"^\s+{verb}\s", result.output, re.M), verb


def test_version_prints_the_installed_version():
    result = CliRunner().invoke(build_group(), ["--version"], prog_name="iopbot")
    assert result.exit_code == 0
    assert result.output.strip() == f"iopbot, version {PYPROJECT['version']}"
    assert package_version() == PYPROJECT["version"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_wheel_installs_from_the_lock_file_and_runs_on_its_own(tmp_path):
    """Build the wheel, install it with the locked dependencies in a fresh venv, and use it."""
    dist, venv, work = tmp_path / "dist", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("iopbot-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements.txt")], check=True, capture_output=True)
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    iopbot = str(venv / "bin" / "iopbot")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{work / 'bot.db'}", "IOPBOT_TRANSPORT": "console"}

    def run(*args: str) -> str:
        done = subprocess.run([iopbot, *args], cwd=work, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "doctor" in run("--help")
    assert "database at head" in run("db", "upgrade")
    # The installed copy, not this source tree, is what runs (package data included).
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where
    run("counselor", "add", "--name", "Sam Ortiz", "--phone", "+14155550199")
    run("participant", "add", "--name", "Alex Rivera", "--phone", "+14155550123",
        "--counselor", "+14155550199", "--timezone", "America/Chicago")

    port = _free_port()
    web = subprocess.Popen([iopbot, "web", "--port", str(port), "--workers", "1"], cwd=work,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        form = urllib.parse.urlencode({"From": "+14155550123", "To": "+15005550006",
                                       "Body": "HELP", "MessageSid": "SM" + "1" * 32}).encode()
        deadline, answer = time.monotonic() + 60, None
        while answer is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/twilio/messages",
                                            data=form, timeout=10) as response:
                    answer = (response.status, response.read().decode())
            except OSError:
                assert web.poll() is None, web.stderr.read().decode()
                assert time.monotonic() < deadline, "the installed web process never answered"
                time.sleep(0.5)
    finally:
        web.terminate()
        web.wait(timeout=30)
    status, body = answer
    assert status == 200
    assert "<Message>" in body and "Riverside Health" in body  # HELP names the clinic
