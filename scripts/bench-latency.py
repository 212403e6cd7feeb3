#!/usr/bin/env python3
"""Commit-to-Kafka latency, for scripts/bench-debezium.sh.

  bench-latency.py consume OUT BROKERS TOPIC...
      Reads every TOPIC from its beginning (one kcat -C per topic) until
      SIGTERM.  Messages without a commit time are the caller's warm-up
      messages: once one per topic has been read, OUT.ready is created (the
      consumers are fetching).  Writes one line per other message to OUT:
          commit_us create_ms receive_us
      commit_us is the event's commit time: pgwal's "ts" member, Debezium's
      source.ts_us; create_ms is the record's timestamp (CreateTime: when
      the producer was handed the message); receive_us is when this
      consumer read it.

  bench-latency.py stats OUT T0 START WARM WINDOW
      Latency (receive - commit, and CreateTime - commit) of the events
      committed in [T0, T0+START) (the first seconds after the pipeline was
      started at T0, epoch seconds) and in [T0+WARM, T0+WARM+WINDOW) (steady
      state): count, p50, p99, max in milliseconds.
"""
import datetime
import json
import os
import selectors
import signal
import subprocess
import sys
import time


def commit_us(v):
    ts = v.get("ts")
    if isinstance(ts, str):  # pgwal: "2026-12-03T06:54:35.913639Z"
        d = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        return int(d.timestamp()) * 1000000 + d.microsecond
    src = v["source"]  # Debezium's envelope
    return src["ts_us"] if src.get("ts_us") is not None else src["ts_ms"] * 1000


def consume(out, brokers, topics):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    procs = [subprocess.Popen(["kcat", "-C", "-q", "-u", "-b", brokers, "-t", t, "-o", "beginning",
                               "-f", "%T\t%s\n"], stdout=subprocess.PIPE) for t in topics]
    sel = selectors.DefaultSelector()
    bufs = {}
    for p in procs:
        os.set_blocking(p.stdout.fileno(), False)
        sel.register(p.stdout, selectors.EVENT_READ)
        bufs[p.stdout.fileno()] = b""
    warm = 0
    with open(out, "w") as f:
        while not stop:
            for key, _ in sel.select(0.2):
                fd = key.fileobj.fileno()
                try:
                    data = os.read(fd, 1 << 20)
                except BlockingIOError:
                    continue
                now = time.time_ns() // 1000
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                lines = (bufs[fd] + data).split(b"\n")
                bufs[fd] = lines.pop()
                for line in lines:
                    ct, _, val = line.partition(b"\t")
                    if not val:
                        continue
                    v = json.loads(val)
                    if "ts" not in v and "source" not in v:
                        warm += 1
                        if warm == len(topics):
                            open(out + ".ready", "w").close()
                        continue
                    f.write("%d %s %d\n" % (commit_us(v), ct.decode(), now))
    for p in procs:
        p.terminate()
        p.wait()


def pct(s, q):
    return s[min(len(s) - 1, int(q * len(s)))]


def stats(out, t0, start, warm, window):
    t0 = float(t0) * 1e6
    phases = [("first %gs" % float(start), t0, t0 + float(start) * 1e6),
              ("steady %gs" % float(window), t0 + float(warm) * 1e6,
               t0 + (float(warm) + float(window)) * 1e6)]
    rows = [tuple(map(int, l.split())) for l in open(out)]
    for name, a, b in phases:
        recv = sorted((r - c) / 1000 for c, _, r in rows if a <= c < b)
        made = sorted(m - c / 1000 for c, m, _ in rows if a <= c < b)
        if not recv:
            print("  %-10s no events" % name)
            continue
        print("  %-10s %6d events  receive-commit p50 %7.1f p99 %7.1f max %7.1f ms"
              "  | CreateTime-commit p50 %7.1f p99 %7.1f max %7.1f ms"
              % (name, len(recv), pct(recv, .5), pct(recv, .99), recv[-1],
                 pct(made, .5), pct(made, .99), made[-1]))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "consume":
        consume(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 7 and sys.argv[1] == "stats":
        stats(*sys.argv[2:])
    else:
        sys.exit(__doc__)
