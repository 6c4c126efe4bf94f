"""Two clock processes running the same pass at once send every scheduled text exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.factories import make_counselor, make_group, make_participant

ROOT = Path(__file__).resolve().parents[1]
IOPBOT = Path(sys.executable).parent / "iopbot"


def dispatch_twice(at: str, env: dict[str, str]) -> list[str]:
    """Start two `iopbot dispatch --at` processes together; return their outputs."""
    procs = [
        subprocess.Popen([str(IOPBOT), "dispatch", "--at", at], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    return outputs


@pytest.mark.postgres_only
def test_two_clocks_send_nothing_twice(runtime, db_session, twilio, database_url):
    counselor = make_counselor(db_session)
    group = make_group(db_session, name="Evening", weekly="thu 18:00-21:00")
    people = [make_participant(db_session, group_id=group.id, counselor=counselor,
                               checkin_time="17:00") for _ in range(25)]
    env = {
        **os.environ, "DATABASE_URL": database_url, "IOPBOT_TRANSPORT": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": twilio.base_url,
        # Slow enough that both processes are sending at the same time.
        "IOPBOT_SEND_RATE": "10", "IOPBOT_LOG_LEVEL": "WARNING",
    }
    env.pop("IOPBOT_CONFIG", None)
    # Thu 26 Nov 2026 22:00 UTC = 17:00 in New York: every check-in is due, and the 2 h reminder
    # of tonight's 18:00 meeting is overdue. Two hours later the follow-ups are due.
    first = dispatch_twice("2026-11-26T22:00:00Z", env)
    sent_by = [int(line.split(": ")[1]) for out in first for line in out.splitlines()
               if line.startswith("sent: ")]
    assert sum(sent_by) == 50 and min(sent_by) > 0, first  # both clocks really drained
    dispatch_twice("2026-11-27T00:05:00Z", env)
    sent = Counter((m["to"], m["body"]) for m in twilio.messages)
    assert sent and max(sent.values()) == 1, [k for k, n in sent.items() if n > 1]
    per_person = Counter(to for to, _ in sent)
    assert {p.phone: per_person[p.phone] for p in people} == {p.phone: 3 for p in people}
    kinds = Counter(body.split(":")[0].split(" ")[0] for _, body in sent)
    assert kinds == {"Reminder": 25, "Daily": 25, "Just": 25}
