#!/usr/bin/env python3
"""Check pgwal-read's output across SIGKILLs and restarts against wal2json.

Usage: check_restarts.py OUT.ndjson KILLS WAL2JSON.ndjson

OUT.ndjson: what every pgwal-read run appended to one file.
KILLS: one line per SIGKILL, "OFFSET LSN": the size of OUT when the run was
  killed and the LSN on the first line of the checkpoint file afterwards.
WAL2JSON.ndjson: pg_recvlogical + wal2json (format-version 2, include-lsn,
  include-xids) over the same range: the oracle of which transactions and
  changes exist.

Checks (printed as "PASS name" / "FAIL name" plus "# ..." lines, like
compare_wal2json.py; exit 0 when all pass, 3 when one failed):
  - every line is JSON, except possibly the last one of a killed run (torn
    by SIGKILL in mid-write); those are counted and reported
  - no transaction is lost: every wal2json transaction is complete (same
    change LSNs, ops and tables, in order) in some run
  - nothing is invented: every transaction written matches one of wal2json
  - the checkpoint never runs ahead of the output: every transaction whose
    end_lsn <= the checkpoint at kill k is complete in runs 0..k
  - duplicates only from what was not acknowledged: run k+1 repeats no
    transaction whose end_lsn <= the checkpoint at kill k
  - deduplicated on (commit_lsn, seq), the events are wal2json's, in order
"""
import json
import sys


def lsn(s):
    hi, lo = s.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


class R:
    fails = 0

    @classmethod
    def check(cls, name, bad, n=None):
        if bad:
            cls.fails += 1
            print("FAIL %s (%d problems)" % (name, len(bad)))
            for b in bad[:5]:
                print("# " + str(b)[:400])
        else:
            print("PASS %s%s" % (name, " (%d checked)" % n if n is not None else ""))


def main():
    out_path, kills_path, w_path = sys.argv[1:4]
    data = open(out_path, "rb").read()
    kills = []
    for line in open(kills_path):
        off, ck = line.split()
        kills.append((int(off), lsn(ck)))
    bounds = [0] + [k[0] for k in kills] + [len(data)]

    # ---- runs, lines, transactions ---------------------------------------
    bad_lines, torn = [], []
    runs = []           # per run: list of complete txns {commit_lsn,end_lsn,changes:[...]}
    all_events = []     # (run, event) in file order, changes only
    for r in range(len(bounds) - 1):
        seg = data[bounds[r]:bounds[r + 1]]
        killed = r < len(kills)
        lines = seg.split(b"\n")
        tail = lines.pop()          # after the last newline: b"" unless torn
        if tail:
            (torn if killed else bad_lines).append("run %d: unterminated last line %r" % (r, tail[:80]))
        txns, cur = [], None
        for i, l in enumerate(lines):
            try:
                e = json.loads(l.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                bad_lines.append("run %d line %d: %r" % (r, i + 1, l[:120]))
                continue
            op = e["op"]
            if op == "begin":
                cur = {"commit_lsn": e["commit_lsn"], "changes": [], "run": r}
            elif op == "commit":
                if cur is not None and cur["commit_lsn"] == e["lsn"]:
                    cur["end_lsn"] = e["end_lsn"]
                    cur["events"] = e["events"]
                    txns.append(cur)
                cur = None
            elif cur is not None:
                cur["changes"].append((e["lsn"], op, e.get("table")))
                all_events.append((r, e))
        runs.append(txns)
    R.check("every line is complete JSON, except a last line torn by SIGKILL", bad_lines,
            sum(1 for _ in data.split(b"\n")))
    print("# torn last lines of killed runs: %d" % len(torn))
    for t in torn:
        print("#   " + t)

    # ---- the oracle ---------------------------------------------------------
    w_txns, cur = [], None
    amap = {"I": "insert", "U": "update", "D": "delete", "M": "message", "T": "truncate"}
    for l in open(w_path, encoding="utf-8"):
        x = json.loads(l)
        a = x["action"]
        if a == "B":
            cur = []
        elif a == "C":
            if cur:
                w_txns.append({"commit_lsn": x["lsn"], "end_lsn": x["nextlsn"],
                               "changes": [(c["lsn"], amap[c["action"]], c.get("table")) for c in cur]})
            cur = None
        elif cur is not None:
            cur.append(x)
    w_by_commit = {t["commit_lsn"]: t for t in w_txns}
    print("# wal2json: %d transactions, %d changes" % (len(w_txns), sum(len(t["changes"]) for t in w_txns)))

    seen = {}
    for r, txns in enumerate(runs):
        for t in txns:
            seen.setdefault(t["commit_lsn"], []).append((r, t))

    lost = []
    for t in w_txns:
        got = [x for _, x in seen.get(t["commit_lsn"], [])]
        if not any(g["changes"] == t["changes"] and g["end_lsn"] == t["end_lsn"] for g in got):
            lost.append("transaction %s (%d changes) %s" % (t["commit_lsn"], len(t["changes"]),
                        "missing" if not got else "differs: %s" % got[0]["changes"][:3]))
    R.check("no transaction lost across the kills (wal2json has each one complete somewhere)", lost, len(w_txns))

    invented = ["run %d: %s" % (r, t["commit_lsn"]) for r, txns in enumerate(runs) for t in txns
                if t["commit_lsn"] not in w_by_commit or w_by_commit[t["commit_lsn"]]["changes"] != t["changes"]]
    R.check("every transaction written is one of wal2json's, change for change", invented,
            sum(len(x) for x in runs))

    ahead = []
    for k, (_, ck) in enumerate(kills):
        written = {t["commit_lsn"] for r in range(k + 1) for t in runs[r]}
        for t in w_txns:
            if lsn(t["end_lsn"]) <= ck and t["commit_lsn"] not in written:
                ahead.append("kill %d: checkpoint %X/%X covers %s (end %s), not in the output"
                             % (k, ck >> 32, ck & 0xffffffff, t["commit_lsn"], t["end_lsn"]))
    R.check("the checkpoint never covers a transaction that is not in the output", ahead, len(kills))

    reacked = []
    for k, (_, ck) in enumerate(kills):
        before = {t["commit_lsn"] for r in range(k + 1) for t in runs[r]}
        dups = [t for t in runs[k + 1] if t["commit_lsn"] in before]
        first_new = runs[k + 1][0]["commit_lsn"] if runs[k + 1] else "-"
        print("# kill %d: checkpoint %X/%X; the next run starts with %s and repeats %d transaction(s), %d event(s)"
              % (k, ck >> 32, ck & 0xffffffff, first_new, len(dups), sum(len(t["changes"]) for t in dups)))
        for t in runs[k + 1]:
            if lsn(t["end_lsn"]) <= ck:
                reacked.append("run %d repeats %s (end %s) although the checkpoint at kill %d was %X/%X"
                               % (k + 1, t["commit_lsn"], t["end_lsn"], k, ck >> 32, ck & 0xffffffff))
    R.check("duplicates only of transactions past the checkpoint at the kill", reacked, len(kills))

    # dedup on (commit_lsn, seq): what a consumer following the man page does
    keep, seen_ids = [], set()
    for r, e in all_events:
        ident = (e["commit_lsn"], e["seq"])
        if ident in seen_ids:
            continue
        seen_ids.add(ident)
        keep.append(e)
    committed = {t["commit_lsn"] for txns in runs for t in txns}
    keep = [e for e in keep if e["commit_lsn"] in committed]    # drop events of runs cut before their commit
    want = [(t["commit_lsn"], c) for t in w_txns for c in t["changes"]]
    got = [(e["commit_lsn"], (e["lsn"], e["op"], e.get("table"))) for e in keep]
    diff = []
    if got != want:
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                diff.append("first difference at event %d: %s vs wal2json %s" % (i, g, w))
                break
        if len(got) != len(want):
            diff.append("%d events after dedup, wal2json %d" % (len(got), len(want)))
    R.check("deduplicated on (commit_lsn, seq), the events are wal2json's, in order", diff, len(want))
    sys.exit(3 if R.fails else 0)


if __name__ == "__main__":
    main()
