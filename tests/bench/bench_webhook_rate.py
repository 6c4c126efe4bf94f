"""Open-loop load generator for bench_webhook.py: POSTs at a fixed rate, reports latency.

Reads JSON from stdin: {"host", "port", "rate", "seconds", "requests": [[signature, body]...]}.
Each request is due at start + i / rate; latency is measured from that due time (so a slow
server cannot hide queueing). Prints JSON: sent, achieved_rps, p50/p90/p99/max in ms, errors,
and how many requests took over 50 ms and when they were due (a stall vs steady slowness).
"""

from __future__ import annotations

import http.client
import json
import queue
import sys
import threading
import time


def worker(host: str, port: int, jobs: queue.Queue, results: list, lock: threading.Lock) -> None:
    """Send jobs over one kept-alive connection (reconnecting when the server closes it)."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    while True:
        job = jobs.get()
        if job is None:
            return
        due, signature, body = job
        status = 0
        try:
            conn.request("POST", "/twilio/messages", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature})
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
        done = time.perf_counter()
        with lock:
            results.append((done - due, status, due))


def main() -> None:
    """Run the schedule and print the summary."""
    spec = json.load(sys.stdin)
    rate, seconds = float(spec["rate"]), float(spec["seconds"])
    total = min(int(rate * seconds), len(spec["requests"]))
    jobs: queue.Queue = queue.Queue()
    results: list[tuple[float, int, float]] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=worker, args=(spec["host"], spec["port"], jobs, results,
                                                     lock), daemon=True) for _ in range(16)]
    for t in threads:
        t.start()
    start = time.perf_counter() + 0.2
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        signature, body = spec["requests"][i]
        jobs.put((due, signature, body))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(30)
    elapsed = time.perf_counter() - start
    latencies = sorted(r[0] * 1000 for r in results)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    slow = sorted(r[2] - start for r in results if r[0] > 0.05)
    print(json.dumps({
        "rate": rate, "sent": len(results), "achieved_rps": len(results) / elapsed,
        "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": latencies[-1],
        "errors": sum(1 for r in results if r[1] != 200),
        # requests over 50 ms, and when (seconds into the run) the first and last were due
        "over_50ms": len(slow), "slow_from_s": slow[0] if slow else None,
        "slow_until_s": slow[-1] if slow else None,
    }))


if __name__ == "__main__":
    main()
