#!/usr/bin/env python3
"""Compare Kafka records with Debezium's, field by field.

usage: dbz_compare.py EXPECTED ACTUAL [--lines] [--topics T1,T2]
                      [--prefix OLD=NEW] [--db OLD=NEW] [--known MEMBER=VALUE]...

Both files hold one record per line:
  {"topic":..., "key": <key bytes as a JSON string or null>,
   "value": <value bytes as a JSON string or null>, "headers": [[name, value], ...]}
(tests/fixtures/debezium/records.ndjson's form).  With --lines, ACTUAL is
pgwal-read --format=debezium output instead: each change line gives a
record (its topic, key and value members) and a delete line is followed by
a tombstone, as kafka-write --debezium produces them.

--prefix and --db rename the expected records' topic prefix (topics and
source.name) and database (source.db): a test runs under names of its own.
--known names a documented difference: where Debezium wrote VALUE (its
JSON text) in a member named MEMBER, another value is counted as known,
not as a failure (pgwal-read(1) lists them).
Records are compared topic by topic, in order.  Keys must be the same
bytes.  Values are compared as JSON, member by member, in order; the
members that cannot be equal between two runs (EXCEPT below) must be
there, of the same JSON type.  Prints one TAP-like "ok"/"not ok" line per
topic and a summary: records compared, fields compared, fields equal,
fields excepted.  Exit status 0 when everything matches.
"""
import json
import re
import sys

# value members that differ between any two runs (times, positions,
# transaction ids, the connector's version): same type, any value
EXCEPT = {
    ("ts_ms",), ("ts_us",), ("ts_ns",),
    ("source", "version"),
    ("source", "ts_ms"), ("source", "ts_us"), ("source", "ts_ns"),
    ("source", "sequence"), ("source", "txId"), ("source", "lsn"), ("source", "xmin"),
}

stats = {"records": 0, "fields": 0, "equal": 0, "excepted": 0, "known": 0}
KNOWN = set()


class Num(str):
    """A JSON number, kept as its text: 1.0 and 1 and 1.0E10 differ."""


def parse(text):
    return json.loads(text, parse_float=Num, parse_int=Num)


RENAMES = {}


def renamed(v):
    """The expected value under the test's topic prefix and database."""
    src = v.get("source") if isinstance(v, dict) else None
    if isinstance(src, dict):
        for opt, member in (("--prefix", "name"), ("--db", "db")):
            if opt in RENAMES and src.get(member) == RENAMES[opt][0]:
                src[member] = RENAMES[opt][1]
    return v


def jtype(v):
    if isinstance(v, Num):
        return "number"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def compare(path, exp, act, errs):
    """Compare two parsed JSON values; append differences to errs."""
    if isinstance(exp, dict) and isinstance(act, dict):
        ek, ak = list(exp), list(act)
        if ek != ak:
            errs.append("%s: members %s, expected %s" % ("/".join(path) or "/", ak, ek))
        for k in ek:
            if k in act:
                compare(path + (k,), exp[k], act[k], errs)
        return
    stats["fields"] += 1
    key = tuple(path[1:]) if path and path[0] == "value" else None
    if key in EXCEPT:
        stats["excepted"] += 1
        if jtype(exp) != jtype(act):
            errs.append("%s: %s (%s), expected a %s" % ("/".join(path), json.dumps(act), jtype(act), jtype(exp)))
        return
    if isinstance(exp, list) and isinstance(act, list) and len(exp) == len(act):
        stats["fields"] -= 1
        for i, (e, a) in enumerate(zip(exp, act)):
            compare(path + ("[%d]" % i,), e, a, errs)
        return
    if jtype(exp) == jtype(act) and exp == act:
        stats["equal"] += 1
    elif (path[-1], str(exp) if isinstance(exp, Num) else json.dumps(exp)) in KNOWN:
        stats["known"] += 1
    else:
        errs.append("%s: %s, expected %s" % ("/".join(path), json.dumps(act), json.dumps(exp)))


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def headers_differ(exp, act):
    """Headers: the same names in the same order, the same values except
    the run's id (any UUID) and the prefix (renamed)."""
    names = [h[0] for h in exp], [h[0] for h in act]
    if names[0] != names[1]:
        return "headers %s, expected %s" % (names[1], names[0])
    for (n, ev), (_, av) in zip(exp, act):
        stats["fields"] += 1
        if n == "__debezium.context.runId":
            stats["excepted"] += 1
            if av is None or not UUID.match(av):
                return "header %s: %r, expected a UUID" % (n, av)
            continue
        if n == "__debezium.context.connectorLogicalName" and "--prefix" in RENAMES and ev == RENAMES["--prefix"][0]:
            ev = RENAMES["--prefix"][1]
        if ev != av:
            return "header %s: %r, expected %r" % (n, av, ev)
        stats["equal"] += 1
    return None


def load_records(fn):
    out = []
    with open(fn, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def from_lines(fn):
    """Records from pgwal-read --format=debezium lines."""
    out = []
    with open(fn, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            ev = json.loads(line)
            if "value" not in ev:
                continue
            # the line's members as bytes: re-serialised compactly, which
            # is what they are (pgwal-read writes compact JSON)
            start = line.index('"key":') + 6
            key_txt, end = raw_member(line, start)
            vstart = line.index('"value":', end) + 8
            val_txt, _ = raw_member(line, vstart)
            hdrs = [[k, v if isinstance(v, str) or v is None else json.dumps(v)]
                    for k, v in (ev.get("headers") or {}).items()]
            rec = {"topic": ev["topic"], "key": None if key_txt == "null" else key_txt,
                   "value": val_txt, "headers": hdrs, "line": n}
            out.append(rec)
            if ev["op"] == "delete":
                out.append({"topic": ev["topic"], "key": rec["key"], "value": None,
                            "headers": hdrs, "line": n})
    return out


def raw_member(s, i):
    """The JSON value text starting at s[i]; returns (text, end)."""
    dec = json.JSONDecoder()
    _, end = dec.raw_decode(s, i)
    return s[i:end], end


def main():
    args = sys.argv[1:]
    lines = "--lines" in args
    args = [a for a in args if a != "--lines"]
    only = None
    if "--topics" in args:
        i = args.index("--topics")
        only = set(args[i + 1].split(","))
        del args[i:i + 2]
    renames = {}
    for opt in ("--prefix", "--db"):
        if opt in args:
            i = args.index(opt)
            renames[opt] = args[i + 1].split("=", 1)
            del args[i:i + 2]
    while "--known" in args:
        i = args.index("--known")
        KNOWN.add(tuple(args[i + 1].split("=", 1)))
        del args[i:i + 2]
    exp = load_records(args[0])
    for r in exp:
        if "--prefix" in renames:
            old, new = renames["--prefix"]
            if r["topic"].startswith(old + "."):
                r["topic"] = new + r["topic"][len(old):]
    global RENAMES
    RENAMES = renames
    act = from_lines(args[1]) if lines else load_records(args[1])
    topics = []
    for r in exp + act:
        if r["topic"] not in topics and (only is None or r["topic"] in only):
            topics.append(r["topic"])
    failed = 0
    for t in sorted(topics):
        e = [r for r in exp if r["topic"] == t]
        a = [r for r in act if r["topic"] == t]
        errs = []
        if len(e) != len(a):
            errs.append("%d records, expected %d" % (len(a), len(e)))
        for i, (er, ar) in enumerate(zip(e, a)):
            stats["records"] += 1
            rerrs = []
            if er["key"] != ar["key"]:
                rerrs.append("key %s, expected %s" % (ar["key"], er["key"]))
            if (er["value"] is None) != (ar["value"] is None):
                rerrs.append("value %s, expected %s" % (
                    "null" if ar["value"] is None else "a record",
                    "null (a tombstone)" if er["value"] is None else "a record"))
            elif er["value"] is not None:
                compare(("value",), renamed(parse(er["value"])), parse(ar["value"]), rerrs)
            herr = headers_differ(er.get("headers") or [], ar.get("headers") or [])
            if herr:
                rerrs.append(herr)
            for m in rerrs:
                errs.append("record %d%s: %s" % (i, " (line %d)" % ar["line"] if "line" in ar else "", m))
        if errs:
            failed += 1
            print("not ok - topic %s" % t)
            for m in errs[:40]:
                print("#   " + m)
            if len(errs) > 40:
                print("#   ... %d more" % (len(errs) - 40))
        else:
            print("ok - topic %s (%d records)" % (t, len(e)))
    print("# records %(records)d, fields %(fields)d, equal %(equal)d, excepted %(excepted)d,"
          " known differences %(known)d" % stats)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
