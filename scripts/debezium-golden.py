#!/usr/bin/env python3
"""Kafka records, byte for byte, for scripts/debezium-golden.sh.

  debezium-golden.py count BROKERS
      The number of records in every topic (the sum of the partitions' end
      offsets; topics whose name starts with "__" are the broker's own).

  debezium-golden.py dump BROKERS OUT [TOPIC_REGEX]
      Every record of every topic (or of those matching TOPIC_REGEX), by
      topic, partition, offset, one JSON line each to OUT:
        {"topic":..,"partition":P,"offset":N,"key":K,"value":V,"headers":[[name,value],..]}
      K and V are the key's and value's bytes as JSON strings (they must be
      UTF-8), null when the key or value is null (a tombstone).  Read with
      kcat -C -e and a format of lengths and raw bytes (nothing is parsed
      or re-serialised); the headers from kcat -J, read again, whose keys
      and values must agree with the raw bytes.
"""
import json
import re
import subprocess
import sys


def topics(brokers):
    md = json.loads(subprocess.run(["kcat", "-b", brokers, "-L", "-J"], check=True,
                                   capture_output=True, timeout=60).stdout)
    out = {}
    for t in md["topics"]:
        if t["topic"].startswith("__"):
            continue
        out[t["topic"]] = sorted(p["partition"] for p in t["partitions"])
    return out


def count(brokers):
    n = 0
    for t, parts in topics(brokers).items():
        args = []
        for p in parts:
            args += ["-t", "%s:%d:-1" % (t, p)]
        res = subprocess.run(["kcat", "-b", brokers, "-Q"] + args, capture_output=True, timeout=60, text=True)
        for line in res.stdout.splitlines():
            m = re.search(r" offset (-?\d+)$", line)
            if m:
                n += max(int(m.group(1)), 0)
    return n


def raw(brokers, topic, part):
    """[(offset, key bytes|None, value bytes|None)] from kcat's lengths and bytes"""
    data = subprocess.run(["kcat", "-C", "-q", "-e", "-b", brokers, "-t", topic, "-p", str(part), "-o", "beginning",
                           "-f", "%o %K %S\\n%k%s\\n"], check=True, capture_output=True, timeout=120).stdout
    recs, i = [], 0
    while i < len(data):
        nl = data.index(b"\n", i)
        off, kl, vl = (int(x) for x in data[i:nl].split(b" "))
        i = nl + 1
        key = None if kl < 0 else data[i:i + kl]
        i += max(kl, 0)
        val = None if vl < 0 else data[i:i + vl]
        i += max(vl, 0)
        if data[i:i + 1] != b"\n":
            sys.exit("debezium-golden.py: cannot parse kcat's output for %s at offset %d" % (topic, off))
        i += 1
        recs.append((off, key, val))
    return recs


def headers(brokers, topic, part):
    """{offset: (key, payload, [[name, value], ...])} from kcat -J"""
    out = {}
    res = subprocess.run(["kcat", "-C", "-q", "-e", "-J", "-b", brokers, "-t", topic, "-p", str(part),
                          "-o", "beginning"], check=True, capture_output=True, timeout=120)
    for line in res.stdout.decode("utf-8").split("\n"):
        if not line:
            continue
        m = json.loads(line)
        h = m.get("headers") or []
        out[m["offset"]] = (m.get("key"), m.get("payload"), [[h[j], h[j + 1]] for j in range(0, len(h), 2)])
    return out


def text(b):
    return None if b is None else b.decode("utf-8")


def dump(brokers, path, pattern):
    lines = []
    for t in sorted(topics(brokers)):
        if pattern and not re.search(pattern, t):
            continue
        for p in topics(brokers)[t]:
            hs = headers(brokers, t, p)
            for off, key, val in raw(brokers, t, p):
                k, v = text(key), text(val)
                jk, jv, h = hs[off]
                if (jk, jv) != (k, v):
                    sys.exit("debezium-golden.py: kcat -J disagrees with the raw bytes at %s/%d/%d" % (t, p, off))
                lines.append(json.dumps({"topic": t, "partition": p, "offset": off, "key": k, "value": v,
                                         "headers": h}, ensure_ascii=False, separators=(",", ":")))
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")
    return len(lines)


if __name__ == "__main__":
    if sys.argv[1] == "count":
        print(count(sys.argv[2]))
    elif sys.argv[1] == "dump":
        print(dump(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else ""))
    else:
        sys.exit(__doc__)
