#!/usr/bin/env python3
"""Compare pgwal-read's NDJSON with wal2json's (format-version 2) output.

Usage: compare_wal2json.py OURS.ndjson WAL2JSON.ndjson KEYS.ndjson

KEYS.ndjson: one object per table from the catalog, as written by
tests/t/11-pgwal-read-vs-wal2json.sh:
  {"schema":..,"table":..,"pk":[cols]|null,"ri":[cols]|null,"replident":"d|f|i|n",
   "relkind":"r|p","cols":[every column but generated ones],"generated":[..]|null}

Both decoders read the same slot range of the same WAL, so the change
streams must match one for one: op, schema, table, xid, lsn, commit
timestamp, commit position, and every column value, compared through
PostgreSQL's text form.  Numbers are compared as the digits on the wire
(never through a float); json/jsonb after parsing (numbers again as
digits); arrays by parsing PostgreSQL's array literal that wal2json
prints.  Where wal2json is lossy (NaN/Infinity become null) our value is
checked against the truth file, when given.

Also checks pgwal-read's own contract where wal2json has no opinion:
"unchanged" columns are absent from "after", "key" holds the primary key
columns (else the replica identity index columns, else null), "before"
equals the replica identity wal2json prints, FULL tables always carry a
before, begin/commit balance and "events" counts.

Output: one line per check, "PASS name" or "FAIL name", diagnostics as
"# ..." lines; exit status 0 when all pass, 3 when a check failed, 1 on a
crash.  The shell test turns the lines into TAP.
"""
import json
import re
import sys
from collections import OrderedDict
from datetime import datetime


class Num(str):
    """A JSON number, kept as its digits."""


def loads(s):
    return json.loads(s, parse_int=Num, parse_float=Num, parse_constant=Num,
                      object_pairs_hook=OrderedDict)


def canon(x):
    """A comparable form of a parsed JSON value that tells numbers from strings."""
    if isinstance(x, bool):
        return ("b", x)
    if isinstance(x, Num):
        return ("n", str(x))
    if isinstance(x, str):
        return ("s", x)
    if x is None:
        return None
    if isinstance(x, list):
        return ["a"] + [canon(e) for e in x]
    if isinstance(x, dict):
        return ("o", tuple(sorted((k, repr(canon(v))) for k, v in x.items())))
    raise TypeError(type(x))


def parse_pg_array(s, delim=","):
    """PostgreSQL array literal -> (bounds decoration or None, nested lists of str|None)."""
    deco = None
    if s.startswith("["):
        i = s.index("=")
        deco, s = s[:i], s[i + 1:]
    pos = 0

    def elem_list():
        nonlocal pos
        assert s[pos] == "{", (s, pos)
        pos += 1
        out = []
        if s[pos] == "}":
            pos += 1
            return out
        while True:
            c = s[pos]
            if c == "{":
                out.append(elem_list())
            elif c == '"':
                pos += 1
                buf = []
                while s[pos] != '"':
                    if s[pos] == "\\":
                        pos += 1
                    buf.append(s[pos])
                    pos += 1
                pos += 1
                out.append("".join(buf))
            else:
                buf = []
                while s[pos] not in delim + "}":
                    if s[pos] == "\\":
                        pos += 1
                    buf.append(s[pos])
                    pos += 1
                raw = "".join(buf).strip(" \t\n\r\v\f")    # array_isspace(), not str.isspace()
                out.append(None if raw == "NULL" else raw)
            if s[pos] == delim:
                pos += 1
                continue
            if s[pos] == "}":
                pos += 1
                return out
            raise ValueError("bad array literal %r at %d" % (s, pos))

    v = elem_list()
    if pos != len(s):
        raise ValueError("trailing bytes in array literal %r" % s)
    return deco, v


NUMERIC_TYPES = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
SPECIAL_FLOATS = {"NaN", "Infinity", "-Infinity"}


def base_type(t):
    t = re.sub(r"\(.*?\)", "", t)       # numeric(30,5), character varying(50)
    return t.strip()


def short(v, n=160):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(r)


def cmp_scalar(ours, w, typ, truth=None):
    """None if ours matches wal2json's w for a column of type typ, else a reason."""
    bt = base_type(typ)
    if bt in ("json", "jsonb"):
        if w is None:
            return None if ours is None else "SQL NULL expected, got %s" % short(ours)
        try:
            wv = loads(w)
        except ValueError as e:
            return "wal2json value is not JSON (%s): %s" % (e, short(w))
        if wv is None and ours is None:
            return None                     # JSON null prints like SQL NULL (documented)
        if isinstance(ours, str) and not isinstance(ours, Num) and not isinstance(wv, str):
            return "json embedded as a string %s, want the value %s" % (short(ours), short(w))
        if canon(ours) != canon(wv):
            return "json %s != wal2json %s" % (short(ours), short(w))
        return None
    if w is None:
        if ours is None:
            return None
        if bt in ("numeric", "real", "double precision") and ours in SPECIAL_FLOATS:
            # wal2json prints NaN and the infinities as null: ask the truth
            if truth is None:
                return None
            if ours != truth:
                return "%s but the server says %r" % (short(ours), truth)
            if isinstance(ours, Num):
                return "%s should be a string, not a JSON number" % ours
            return None
        return "SQL NULL expected, got %s" % short(ours)
    if ours is None:
        return "got null, want %s" % short(w)
    if bt in NUMERIC_TYPES:
        if str(ours) in SPECIAL_FLOATS:
            return "special value %s where wal2json says %s" % (short(ours), short(w))
        if not isinstance(ours, Num):
            return "%s is not a JSON number (wal2json: %s)" % (short(ours), short(w))
        if str(ours) != str(w):
            return "digits %s != %s" % (ours, w)
        return None
    if bt == "boolean":
        if not isinstance(ours, bool):
            return "%s is not a JSON boolean" % short(ours)
        if ours is not w:
            return "%s != %s" % (ours, w)
        return None
    if bt == "bytea":
        # wal2json prints the hex digits without the \x of bytea_output=hex
        if ours != "\\x" + w:
            return "%s != \\x%s" % (short(ours), short(w))
        return None
    # everything else: PostgreSQL's text output (wal2json: a string, or a number for oid)
    if isinstance(ours, list) and isinstance(w, str) and w.startswith("{"):
        # a domain over an array type: the elements' text must match (their
        # JSON type is checked by the shell test, which knows the base type)
        return cmp_array(ours, w, "any[]")
    if isinstance(ours, (list, dict)):
        return "%s is not a string" % short(ours)
    if isinstance(ours, bool):
        return "%s is a boolean, want %s" % (ours, short(w))
    if str(ours) != str(w):
        return "%s != %s" % (short(ours), short(w))
    return None


def cmp_array(ours, w, typ):
    if w is None:
        return None if ours is None else "SQL NULL expected, got %s" % short(ours)
    if ours is None:
        return "got null, want %s" % short(w)
    deco, parsed = parse_pg_array(w, ";" if base_type(typ[:-2]) == "box" else ",")
    if deco is not None:
        if isinstance(ours, list):
            return "array bounds %s lost: %s printed as %s" % (deco, short(w), short(ours))
        return None if ours == w else "%s != %s" % (short(ours), short(w))
    if not isinstance(ours, list):
        return "%s is not a JSON array (want %s)" % (short(ours), short(w))
    et = base_type(typ[:-2])

    def walk(o, p, path):
        if isinstance(p, list):
            if not isinstance(o, list) or len(o) != len(p):
                return "%s: %s has another shape than %s" % (path, short(o), short(p))
            for i, (oe, pe) in enumerate(zip(o, p)):
                r = walk(oe, pe, "%s[%d]" % (path, i))
                if r:
                    return r
            return None
        if p is None:
            return None if o is None else "%s: want null, got %s" % (path, short(o))
        if et in ("json", "jsonb"):
            try:
                pv = loads(p)
            except ValueError:
                return "%s: element is not JSON: %r" % (path, p)
            if pv is None:      # a JSON null element prints like a NULL element (documented)
                return None if o is None else "%s: %s != null" % (path, short(o))
            return None if canon(o) == canon(pv) else "%s: %s != %s" % (path, short(o), short(p))
        if o is None:
            return "%s: got null, want %r" % (path, p)
        if et == "boolean":
            want = {"t": True, "f": False}[p]
            return None if o is want else "%s: %s != %s" % (path, short(o), p)
        if et in NUMERIC_TYPES and p not in SPECIAL_FLOATS:
            if not isinstance(o, Num):
                return "%s: %s is not a JSON number" % (path, short(o))
            return None if str(o) == p else "%s: digits %s != %s" % (path, o, p)
        if isinstance(o, (list, dict, bool)):
            return "%s: %s is not a string" % (path, short(o))
        if isinstance(o, Num) and et not in NUMERIC_TYPES and et != "any":
            return "%s: %s is a number, want the string %r" % (path, o, p)
        return None if str(o) == p else "%s: %s != %r" % (path, short(o), p)

    return walk(ours, parsed, "")


class Results:
    def __init__(self):
        self.checks = OrderedDict()     # name -> [count, [failures]]

    def add(self, name, reason=None):
        c = self.checks.setdefault(name, [0, []])
        c[0] += 1
        if reason:
            c[1].append(reason)

    def print(self):
        bad = 0
        for name, (n, fails) in self.checks.items():
            if fails:
                bad += 1
                print("FAIL %s (%d of %d differ)" % (name, len(fails), n))
                for f in fails[:4]:
                    print("# " + f.replace("\n", "\\n"))
            else:
                print("PASS %s (%d checked)" % (name, n))
        return bad


def ts_us(s):
    """Microseconds since the epoch of a timestamp in either decoder's form."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    s = s.replace(" ", "T", 1)
    m = re.match(r"^(.*?)([+-]\d\d)(:?\d\d)?$", s)
    if m:
        s = m.group(1) + m.group(2) + ":" + (m.group(3) or "00").lstrip(":")
    d = datetime.fromisoformat(s) if "." not in s else None
    if d is None:
        head, frac = s.split(".", 1)
        m2 = re.match(r"^(\d+)(.*)$", frac)
        digits, zone = m2.group(1), m2.group(2)
        d = datetime.fromisoformat(head + zone)
        return int(d.timestamp()) * 1000000 + int(digits.ljust(6, "0")[:6])
    return int(d.timestamp()) * 1000000


def main():
    ours_path, w_path, keys_path = sys.argv[1:4]
    truth = {}
    if len(sys.argv) > 4:
        for line in open(sys.argv[4], encoding="utf-8"):
            t = json.loads(line)
            truth[(t["table"], str(t["id"]), t["column"])] = t["text"]
    R = Results()

    raw = open(ours_path, "rb").read()
    lines = raw.split(b"\n")
    R.add("pgwal-read output ends with a newline", None if raw.endswith(b"\n") else "no final newline")
    ours = []
    for i, l in enumerate(lines[:-1], 1):
        try:
            ours.append(loads(l.decode("utf-8")))
            R.add("every pgwal-read line is UTF-8 JSON")
        except (UnicodeDecodeError, ValueError) as e:
            R.add("every pgwal-read line is UTF-8 JSON", "line %d: %s: %s" % (i, e, short(l)))
    w2j = [loads(l) for l in open(w_path, encoding="utf-8") if l.strip()]

    keys = {}
    for l in open(keys_path, encoding="utf-8"):
        k = json.loads(l)
        keys[(k["schema"], k["table"])] = k

    tsre = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")   # six digits always (pgwal-events.7)
    for e in ours:
        if e.get("ts") is not None:
            R.add("event ts is ISO 8601 UTC with six fractional digits (YYYY-MM-DDTHH:MM:SS.ffffffZ)",
                  None if tsre.match(e["ts"]) else "ts %r" % e["ts"])

    # ---- our stream: transactions -----------------------------------------
    o_changes = []          # flattened, wal2json-like
    o_commits = []
    cur = None
    for e in ours:
        op = e["op"]
        if op == "begin":
            R.add("begin lines are not nested", None if cur is None else "begin inside xid %s" % cur["xid"])
            cur = {"begin": e, "events": 0, "xid": e["xid"]}
            continue
        if op == "commit":
            if cur is None:
                R.add("commit lines balance begin lines", "commit without begin: %s" % short(e))
                continue
            R.add("commit lines balance begin lines")
            R.add("commit \"events\" counts the transaction's events",
                  None if str(e.get("events")) == str(cur["events"]) else
                  "xid %s: events %s, counted %d" % (e["xid"], e.get("events"), cur["events"]))
            R.add("begin and commit agree on xid, ts, commit lsn",
                  None if (cur["begin"]["xid"] == e["xid"] and cur["begin"].get("ts") == e["ts"]
                           and cur["begin"].get("commit_lsn") == e["lsn"]) else
                  "begin %s vs commit %s" % (short(cur["begin"]), short(e)))
            o_commits.append(e)
            o_changes.append(("C", e))
            cur = None
            continue
        if cur is not None:
            cur["events"] += 1
            R.add("events inside a transaction carry its xid, ts and commit_lsn",
                  None if (e["xid"] == cur["xid"] and e.get("ts") == cur["begin"].get("ts")
                           and e.get("commit_lsn") == cur["begin"].get("commit_lsn")) else short(e))
            R.add("seq numbers events 1, 2, ... in each transaction",
                  None if str(e.get("seq")) == str(cur["events"]) else
                  "seq %s, expected %d: %s" % (e.get("seq"), cur["events"], short(e)))
        elif op != "message" or e.get("transactional"):
            R.add("only non-transactional messages appear outside a transaction", short(e))
        if op == "truncate":
            for t in e["tables"]:
                o_changes.append(("T", e, t))
        else:
            o_changes.append((op, e))
    R.add("the stream does not end inside a transaction", None if cur is None else "open xid %s" % cur["xid"])

    # ---- wal2json: drop empty transactions ------------------------------
    # wal2json also lists a partitioned table's parent in a TRUNCATE, and
    # prints generated columns; pgoutput (publish_via_partition_root off,
    # PostgreSQL 15) sends neither: leave them out of the comparison.
    w_changes = []
    pend = []
    in_txn = False
    for x in w2j:
        a = x["action"]
        cat = keys.get((x.get("schema"), x.get("table")))
        if a == "T" and cat and cat.get("relkind") == "p":
            continue
        if cat and cat.get("generated") and "columns" in x:
            x["columns"] = [c for c in x["columns"] if c["name"] not in cat["generated"]]
        if a == "B":
            pend, in_txn = [], True
        elif a == "C":
            if pend:
                w_changes.extend(pend)
                w_changes.append(x)
            pend, in_txn = [], False
        elif in_txn:
            pend.append(x)
        else:
            w_changes.append(x)

    opmap = {"insert": "I", "update": "U", "delete": "D", "message": "M", "T": "T", "C": "C"}
    R.add("same number of changes and commits as wal2json",
          None if len(o_changes) == len(w_changes) else
          "pgwal-read %d, wal2json %d" % (len(o_changes), len(w_changes)))

    w_commit_of = {}        # index in w_changes -> the C that ends its transaction
    nxt = None
    for i in range(len(w_changes) - 1, -1, -1):
        if w_changes[i]["action"] == "C":
            nxt = w_changes[i]
        elif w_changes[i].get("xid") is not None:
            w_commit_of[i] = nxt

    aligned = 0
    for i, (oc, wc) in enumerate(zip(o_changes, w_changes)):
        kind = opmap.get(oc[0], oc[0])
        e = oc[1]
        name_o = (e.get("schema"), e.get("table")) if kind in "IUD" else None
        if kind == "T":
            name_o = (oc[2]["schema"], oc[2]["table"])
        name_w = (wc.get("schema"), wc.get("table")) if wc["action"] in "IUDT" else None
        same = kind == wc["action"] and name_o == name_w
        R.add("same order, op, schema and table as wal2json",
              None if same else "#%d: pgwal-read %s %s, wal2json %s %s" % (i, kind, name_o, wc["action"], name_w))
        if not same:
            if aligned == i:
                print("# first divergence at change #%d:\n#   ours: %s\n#   w2j:  %s"
                      % (i, short(e, 400), short(wc, 400)))
            continue
        aligned += 1
        if kind == "C":
            R.add("commit xid matches", None if str(e["xid"]) == str(wc["xid"]) else "%s vs %s" % (e["xid"], wc["xid"]))
            R.add("commit lsn matches wal2json's", None if e["lsn"] == wc["lsn"] else "%s vs %s" % (e["lsn"], wc["lsn"]))
            R.add("commit end_lsn matches wal2json's nextlsn",
                  None if e.get("end_lsn") == wc["nextlsn"] else "%s vs %s" % (e.get("end_lsn"), wc["nextlsn"]))
            R.add("commit ts matches to the microsecond",
                  None if ts_us(e["ts"]) == ts_us(wc["timestamp"]) else "%s vs %s" % (e["ts"], wc["timestamp"]))
            continue
        # common fields
        wx = wc.get("xid")
        R.add("change xid matches", None if str(e.get("xid")) == str(wx) or (e.get("xid") is None and wx is None)
              else "#%d: %s vs %s" % (i, e.get("xid"), wx))
        R.add("change lsn matches", None if e.get("lsn") == wc.get("lsn") else "#%d %s: %s vs %s" % (i, kind, e.get("lsn"), wc.get("lsn")))
        if wc.get("timestamp") is not None:
            R.add("change ts matches to the microsecond",
                  None if e.get("ts") and ts_us(e["ts"]) == ts_us(wc["timestamp"]) else
                  "#%d: %s vs %s" % (i, e.get("ts"), wc["timestamp"]))
        if i in w_commit_of and w_commit_of[i] is not None:
            R.add("change commit_lsn is its transaction's commit lsn",
                  None if e.get("commit_lsn") == w_commit_of[i]["lsn"] else
                  "#%d: %s vs %s" % (i, e.get("commit_lsn"), w_commit_of[i]["lsn"]))
        if kind == "M":
            if "content_hex" in e and "content" not in e:
                # not valid UTF-8: wal2json prints something lossy; ours is bytea hex
                R.add("message content that is not UTF-8 is given as content_hex",
                      None if re.match(r"^\\x([0-9a-f]{2})*$", str(e["content_hex"])) else short(e))
                continue
            for f in ("transactional", "prefix", "content"):
                R.add("message %s matches" % f,
                      None if canon(e.get(f)) == canon(wc.get(f)) else "%s vs %s" % (short(e.get(f)), short(wc.get(f))))
            continue
        if kind == "T":
            continue
        tab = (e["schema"], e["table"])
        cat = keys.get(tab)
        after, before, unchanged = e.get("after"), e.get("before"), e.get("unchanged")
        # values
        if kind in "IU":
            wcols = wc.get("columns", [])
            wnames = [c["name"] for c in wcols]
            if not isinstance(after, dict):
                R.add("insert/update carry an after object", "#%d: %s" % (i, short(e)))
                continue
            for c in wcols:
                typ = c["type"]
                group = "values of type %s" % typ
                if e["table"] == "arrays_lb" and typ.endswith("[]"):
                    group = "values of type %s with lower bounds other than 1" % typ
                if c["name"] not in after:
                    R.add(group, "%s.%s #%d: column missing from after" % (e["table"], c["name"], i))
                    continue
                tv = truth.get((e["table"], str(after.get("id")), c["name"]))
                if typ.endswith("[]"):
                    r = cmp_array(after[c["name"]], c["value"], typ)
                else:
                    r = cmp_scalar(after[c["name"]], c["value"], typ, tv)
                R.add(group, r and "%s.%s id=%s: %s" % (e["table"], c["name"], short(after.get("id")), r))
            extra = [k for k in after if k not in wnames]
            R.add("after has the same columns as wal2json", "#%d %s: extra %s" % (i, e["table"], extra) if extra else None)
            if not isinstance(unchanged, list):
                R.add("unchanged is a list", "#%d: %s" % (i, short(unchanged)))
            else:
                both = [u for u in unchanged if u in after]
                R.add("unchanged columns are absent from after", "#%d: %s" % (i, both) if both else None)
                notsent = [u for u in unchanged if u in wnames]
                R.add("unchanged lists only columns the server did not send",
                      "#%d: %s sent to wal2json" % (i, notsent) if notsent else None)
                if kind == "I":
                    R.add("inserts have no unchanged columns", "#%d: %s" % (i, unchanged) if unchanged else None)
                allcols = set(cat["cols"]) if cat and cat.get("cols") else None
                if allcols is not None and set(wnames) <= allcols:
                    got = set(after) | set(unchanged)
                    R.add("after and unchanged together name every column of the table",
                          None if got == allcols else "#%d %s: after+unchanged %s, table %s"
                          % (i, e["table"], sorted(got), sorted(allcols)))
        else:
            R.add("delete has after null", None if after is None else "#%d: %s" % (i, short(after)))
        # before vs wal2json's identity
        ident = wc.get("identity")
        if before is not None:
            if ident is None:
                R.add("before matches wal2json's identity", "#%d: before %s but wal2json has no identity" % (i, short(before)))
            else:
                diffs = []
                inames = [c["name"] for c in ident]
                if sorted(inames) != sorted(before.keys()):
                    diffs.append("columns %s vs %s" % (list(before.keys()), inames))
                for c in ident:
                    if c["name"] in before:
                        r = (cmp_array if c["type"].endswith("[]") else cmp_scalar)(before[c["name"]], c["value"], c["type"])
                        if r:
                            diffs.append("%s: %s" % (c["name"], r))
                R.add("before matches wal2json's identity", "#%d %s: %s" % (i, e["table"], "; ".join(diffs)) if diffs else None)
        elif kind == "D":
            R.add("deletes carry a before", "#%d %s: before null" % (i, e["table"]))
        if cat and cat["replident"] == "f" and kind in "UD":
            R.add("REPLICA IDENTITY FULL: before holds the whole old row",
                  None if isinstance(before, dict) and ident is not None and len(before) == len(ident) else
                  "#%d %s: before %s" % (i, e["table"], short(before)))
        # key per the contract
        if cat is None:
            R.add("key follows the catalog (pk, else replica identity index, else null)", "no catalog entry for %s" % (tab,))
            continue
        want_cols = cat["pk"] or (cat["ri"] if cat["replident"] == "i" else None)
        key = e.get("key")
        src = after if kind in "IU" else before
        if want_cols is None:
            r = None if key is None else "#%d %s: key %s, want null (no key)" % (i, e["table"], short(key))
        elif key is None:
            missing = [c for c in want_cols if not (isinstance(src, dict) and c in src)
                       and not (isinstance(before, dict) and c in before)]
            r = None if missing else "#%d %s %s: key null, want %s" % (i, e["table"], kind, want_cols)
        elif sorted(key.keys()) != sorted(want_cols):
            r = "#%d %s %s: key columns %s, want %s (pk %s, replica identity %s)" % (
                i, e["table"], kind, list(key.keys()), want_cols, cat["pk"], cat["ri"])
        else:
            # a key column the server did not send in the new row (unchanged
            # TOAST) comes from the old row
            def val(c):
                if isinstance(src, dict) and c in src:
                    return src[c]
                return before.get(c) if isinstance(before, dict) else None
            bad = [c for c in want_cols if canon(val(c)) != canon(key[c])]
            r = "#%d %s: key values %s differ from the row's" % (i, e["table"], bad) if bad else None
        R.add("key follows the catalog (pk, else replica identity index, else null)", r)

    sys.exit(3 if R.print() else 0)     # 1 would be a crash (traceback)


if __name__ == "__main__":
    main()
