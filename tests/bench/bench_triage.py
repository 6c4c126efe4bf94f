"""Measure triage throughput on one core: `python tests/bench/bench_triage.py [--repeat N]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout

from bot.triage import load_rules, triage  # noqa: E402

CASES_DIR = ROOT / "tests" / "triage_cases"


def labelled_messages() -> list[tuple[str, str | None]]:
    """Return (text, expect) for every case in the labelled data files."""
    messages = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for entry in group["cases"]:
                case = entry if isinstance(entry, dict) else {"text": entry}
                messages.append((str(case["text"]), case.get("expect", group.get("expect"))))
    return messages


def measure(repeat: int) -> tuple[float, float]:
    """Triage the labelled set `repeat` times; return messages per wall second and per CPU
    second (the CPU figure is what one core delivers when the machine is shared)."""
    rules = load_rules()
    messages = labelled_messages()
    for text, expect in messages:  # warm up caches before timing
        triage(text, expect=expect, rules=rules)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        for text, expect in messages:
            triage(text, expect=expect, rules=rules)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    done = len(messages) * repeat
    return done / elapsed, done / cpu


def main() -> None:
    """Print the measured throughput."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    count = len(labelled_messages())
    wall, cpu = measure(args.repeat)
    print(
        f"{count} labelled messages x {args.repeat}: {wall:,.0f} messages/s wall, "
        f"{cpu:,.0f} messages per CPU second on one core"
    )


if __name__ == "__main__":
    main()
