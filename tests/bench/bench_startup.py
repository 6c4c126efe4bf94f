"""Start-up time of the CLI and the web worker, and the web processes' memory (PSS).

    python tests/bench/bench_startup.py [--runs 5] [--pss]

Each command runs `--runs` times as a fresh process (median wall time and CPU time are shown;
targets on a quiet machine: non-triage commands < 0.5 s, `iopbot triage` < 1.5 s, a web worker
answering /healthz < 2 s; the load average is printed, as a busy machine stretches wall time).
`--pss` starts gunicorn with two workers the old way (no preload: each worker compiles the
triage rules) and the Procfile's way (`--preload`: compiled once in the master, shared after
fork) and sums the proportional set size of master and workers.
Everything listens on 127.0.0.1 only, and every process is stopped when measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = [  # (label, argv, target seconds on a quiet machine)
    ("iopbot --help", ["--help"], 0.5),
    ("iopbot --version", ["--version"], 0.5),
    ("iopbot participant list --help", ["participant", "list", "--help"], 0.5),
    ("iopbot participant list", ["participant", "list"], 0.5),
    ("iopbot alert list", ["alert", "list"], 0.5),
    ("iopbot oncall show", ["oncall", "show"], 0.5),
    ("iopbot staff list", ["staff", "list"], 0.5),
    ("iopbot counselor list", ["counselor", "list"], 0.5),
    ("iopbot group list", ["group", "list"], 0.5),
    ("iopbot db upgrade (at head)", ["db", "upgrade"], 0.5),
    ("iopbot triage hello", ["triage", "hello"], 1.5),
    # Not commands: what a command reading the database pays before doing anything (SQLAlchemy
    # and the models; it builds no Flask app), what the listing commands pay instead (Core and
    # bot.tables), and what a command paid when it built the app.
    ("(python: import sa.orm, models)", ["-c", "import sqlalchemy.orm, bot.models"], 0.5),
    ("(python: import sa, bot.tables)", ["-c", "import bot.queries.listing"], 0.5),
    ("(python: import flask, sa.orm)", ["-c", "import flask, sqlalchemy.orm"], 0.5),
]
APP = "bot.app:create_app()"


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IOPBOT_", "TWILIO_"))}
    env.update(DATABASE_URL=f"sqlite:///{folder / 'bench.db'}", IOPBOT_TRANSPORT="console",
               IOPBOT_LOG_LEVEL="WARNING")
    # Measure with bytecode cached, as an installed wheel runs: a PYTHONDONTWRITEBYTECODE shell
    # would compile every module from source on every start. The cache goes to a temporary
    # folder (not the checkout); each command runs once untimed to fill it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run `iopbot args` (or, for args ["-c", code], the Python line) once; (wall s, CPU s)."""
    program = [str(BIN / "python")] if args[:1] == ["-c"] else [str(BIN / "iopbot")]
    cpu, started = _cpu(), time.perf_counter()
    subprocess.run([*program, *args], env=env, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return time.perf_counter() - started, _cpu() - cpu


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(env: dict[str, str], cwd: Path, *, preload: bool, workers: int):
    """Start gunicorn on a loopback port; return (process, port, seconds until /healthz answers)."""
    port = _free_port()
    options = ["--preload", "--config", "python:bot.gunicorn_app"] if preload else []
    command = [str(BIN / "gunicorn"), *options, "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", APP]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = started + 60
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process, port, time.perf_counter() - started
        except urllib.error.HTTPError:  # 503 "no clock pass yet": the worker answers all the same
            return process, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    stop(process)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn (its master shuts its workers down) and wait for it."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def pss_kib(pid: int) -> int:
    """Proportional set size of one process, from /proc/PID/smaps_rollup."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def measure_pss(env: dict[str, str], cwd: Path, *, preload: bool, workers: int) -> dict:
    """Start gunicorn, wait for every worker to be up, and sum master + workers PSS."""
    process, port, _ready = start_web(env, cwd, preload=preload, workers=workers)
    try:
        deadline = time.perf_counter() + 60
        while len(_children(process.pid)) < workers and time.perf_counter() < deadline:
            time.sleep(0.1)
        for _ in range(workers * 4):  # wake every worker (each warms its own app without preload)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
            except urllib.error.HTTPError:  # 503 until a clock pass: answered all the same
                pass
        time.sleep(1.0)
        pids = [process.pid, *_children(process.pid)]
        return {"total": sum(pss_kib(p) for p in pids), "workers": [pss_kib(p) for p in pids[1:]],
                "master": pss_kib(process.pid)}
    finally:
        stop(process)


def main() -> None:
    """Print the median start-up times (and PSS with --pss)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pss", action="store_true", help="also measure gunicorn's memory")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = _env(folder)
        subprocess.run([str(BIN / "iopbot"), "db", "upgrade"], env=env, cwd=folder, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        print(f"{'command':32} {'wall median':>12} {'cpu median':>11} {'target':>7}"
              f"  (runs={args.runs}, load average {os.getloadavg()[0]:.1f})")
        for name, argv, target in COMMANDS:
            time_command(argv, env, folder)  # fills the bytecode cache
            times = [time_command(argv, env, folder) for _ in range(args.runs)]
            wall = statistics.median(t[0] for t in times)
            cpu = statistics.median(t[1] for t in times)
            print(f"{name:32} {wall:11.3f}s {cpu:10.3f}s {target:6.1f}s")
        ready = []
        stop(start_web(env, folder, preload=True, workers=1)[0])  # fills the bytecode cache
        for _ in range(args.runs):
            process, _port, seconds = start_web(env, folder, preload=True, workers=1)
            stop(process)
            ready.append(seconds)
        print(f"{'web worker ready (/healthz)':32} {statistics.median(ready):11.3f}s "
              f"{'':11} {2.0:6.1f}s")
        if args.pss:
            for preload in (False, True):
                result = measure_pss(env, folder, preload=preload, workers=args.workers)
                label = "gunicorn --preload" if preload else "gunicorn (no preload)"
                print(f"{label:32} PSS total {result['total'] / 1024:7.1f} MiB  master "
                      f"{result['master'] / 1024:.1f}  workers "
                      + ", ".join(f"{w / 1024:.1f}" for w in result["workers"]))


if __name__ == "__main__":
    main()
