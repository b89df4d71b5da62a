#!/usr/bin/env python3
"""py_manager_bench.py - the syncmgr-bench workloads on Python's SyncManager.

Standard library only.  A SyncManager server process holds one dict and one
Lock per client; N client processes (multiprocessing) run the workload on
their proxies for the duration, after all of them have connected, and the
parent adds up operations per second and latency percentiles.

  bench/py_manager_bench.py [--workload dict-set|lock] [--clients N]
                            [--duration S] [--value-size B] [--json]

dict-set: d[key] = value, 1000 keys per client, cycled.  lock: acquire() and
release() of the client's own Lock count as one operation.  The output has
the same fields as syncmgr-bench --json (ops_per_s, p50_us, p99_us, p999_us).
"""
import argparse
import json
import multiprocessing as mp
import sys
import time
from multiprocessing.managers import SyncManager

NKEYS = 1000


def worker(idx, workload, d, lock, duration, value_size, ready, go, results):
    """One client: connect (the proxies do on first use), wait, run, report."""
    keys = ["k%d-%d" % (idx, i) for i in range(NKEYS)]
    value = b"x" * value_size
    if workload == "dict-set":
        d[keys[0]] = value
    else:
        lock.acquire()
        lock.release()
    ready.release()
    go.wait()
    lat = []
    ops = 0
    clock = time.perf_counter_ns
    start = clock()
    end = start + int(duration * 1e9)
    t = start
    while t < end:
        if workload == "dict-set":
            d[keys[ops % NKEYS]] = value
        else:
            lock.acquire()
            lock.release()
        now = clock()
        lat.append(now - t)
        t = now
        ops += 1
    results.put((ops, (t - start) / 1e9, lat))


def percentile(sorted_ns, pct):
    if not sorted_ns:
        return 0.0
    i = min(len(sorted_ns) - 1, max(0, int(len(sorted_ns) * pct / 100.0 + 0.5) - 1))
    return sorted_ns[i] / 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", choices=["dict-set", "lock"], default="dict-set")
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--value-size", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    mp.set_start_method("fork")
    with SyncManager() as m:  # its own server process, on a unix socket
        d = m.dict()
        locks = [m.Lock() for _ in range(a.clients)]
        ready = mp.Semaphore(0)
        go = mp.Event()
        results = mp.Queue()
        procs = [
            mp.Process(target=worker, args=(i, a.workload, d, locks[i], a.duration,
                                            a.value_size, ready, go, results))
            for i in range(a.clients)
        ]
        for p in procs:
            p.start()
        for _ in procs:
            ready.acquire()
        go.set()
        got = [results.get() for _ in procs]
        for p in procs:
            p.join()
    ops = sum(g[0] for g in got)
    ops_per_s = sum(g[0] / g[1] for g in got if g[1] > 0)
    lat = sorted(x for g in got for x in g[2])
    out = {
        "system": "python-syncmanager",
        "python": sys.version.split()[0],
        "workload": a.workload,
        "clients": a.clients,
        "duration_s": a.duration,
        "value_size": a.value_size,
        "ops": ops,
        "ops_per_s": round(ops_per_s),
        "p50_us": round(percentile(lat, 50), 1),
        "p99_us": round(percentile(lat, 99), 1),
        "p999_us": round(percentile(lat, 99.9), 1),
    }
    if a.json:
        print(json.dumps(out))
    else:
        print("%s: %d client(s), %g s: %d ops/s  p50 %.1f us  p99 %.1f us  p99.9 %.1f us" % (
            a.workload, a.clients, a.duration, out["ops_per_s"], out["p50_us"],
            out["p99_us"], out["p999_us"]))


if __name__ == "__main__":
    main()
