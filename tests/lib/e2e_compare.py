#!/usr/bin/env python3
"""Compare what reached Kafka with what wal2json decoded from the same WAL.

usage: e2e_compare.py WAL2JSON_NDJSON KAFKA_VALUES_NDJSON

wal2json (format-version 2, include-lsn) prints one object per change with
"action" I/U/D, "lsn", "schema", "table".  Kafka holds pgwal-read's events.
A change is identified by (lsn, op, schema, table): lsn is the change's WAL
record, which both decoders report.  Prints key=value figures:

  expected   changes wal2json decoded
  delivered  change events read back from Kafka
  lost       expected changes absent from Kafka (must be 0)
  extra      changes in Kafka that wal2json did not decode (must be 0)
  duplicates events in Kafka beyond the first of each (commit_lsn, seq)
"""
import collections
import json
import sys

OPS = {"I": "insert", "U": "update", "D": "delete"}


def main():
    expected = collections.Counter()
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        c = json.loads(line)
        if c.get("action") in OPS:
            expected[(c["lsn"], OPS[c["action"]], c["schema"], c["table"])] += 1

    got = collections.Counter()
    seen = collections.Counter()
    delivered = 0
    for line in open(sys.argv[2], encoding="utf-8"):
        line = line.strip()
        if not line or line == "NULL":
            continue
        e = json.loads(line)
        if e.get("op") not in ("insert", "update", "delete"):
            continue
        delivered += 1
        seen[(e["commit_lsn"], e["seq"])] += 1
        got[(e["lsn"], e["op"], e["schema"], e["table"])] += 1

    lost = sum(1 for k in expected if k not in got)
    extra = sum(1 for k in got if k not in expected)
    duplicates = sum(n - 1 for n in seen.values())
    print(f"expected={sum(expected.values())}")
    print(f"delivered={delivered}")
    print(f"lost={lost}")
    print(f"extra={extra}")
    print(f"duplicates={duplicates}")
    missing = [k for k in expected if k not in got]
    for k in missing[:5]:
        print(f"# missing: {k}", file=sys.stderr)
    if missing:
        lsns = sorted(int(a, 16) << 32 | int(b, 16) for a, b in (k[0].split("/") for k in missing))
        print(f"# missing: {len(missing)} changes from {lsns[0] >> 32:X}/{lsns[0] & 0xFFFFFFFF:X}"
              f" to {lsns[-1] >> 32:X}/{lsns[-1] & 0xFFFFFFFF:X}", file=sys.stderr)


if __name__ == "__main__":
    main()
