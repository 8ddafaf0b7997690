#!/usr/bin/env python3
"""Checks a Parquet export, as read back by hyparquet (tests/e2e/parquet_read.mjs's JSON), against
the CSV and SQLite exports of the same manifest: the same columns in the same order, typed
(INT64/DOUBLE/BOOLEAN/STRING, all OPTIONAL), and every cell of every row equal, nulls included;
per row group, the statistics (null_count, min, max) equal those of the group's cells.

usage: check_parquet.py READ.json EXPORT.csv EXPORT.sqlite [--groups N] [--dict COL,...]
                        [--plain COL,...] [--header MANIFEST]"""
import argparse
import csv
import json
import sqlite3
import sys

PQ_FOR_SQL = {"INTEGER": ("INT64", "BOOLEAN"), "REAL": ("DOUBLE",), "TEXT": ("BYTE_ARRAY",)}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def cell(pq_type, v):
    """A cell as Python compares it: INT64 arrives as a decimal string (no precision lost)."""
    if v is None:
        return None
    if pq_type == "INT64":
        return int(v)
    if pq_type == "BOOLEAN":
        if not isinstance(v, bool):
            fail(f"boolean cell {v!r}")
        return v
    if pq_type == "DOUBLE":
        return float(v)
    if not isinstance(v, str):
        fail(f"string cell {v!r}")
    return v


def csv_cell(pq_type, text):
    if text == "":
        return None if pq_type != "BYTE_ARRAY" else ""
    if pq_type == "INT64":
        return int(text)
    if pq_type == "BOOLEAN":
        if text not in ("True", "False"):
            fail(f"CSV boolean {text!r}")
        return text == "True"
    if pq_type == "DOUBLE":
        return float(text)
    return text


def csv_name(name):
    """The CSV's name of a record column: the CSV takes Python imgeda's names for the nested
    statistics (mean_r, corner_delta), the Parquet file and the SQLite table the record's keys
    flattened (pixel_stats_mean_r, corner_stats_delta), as SPEC 4.7 flattens them."""
    if name == "corner_stats_delta":
        return "corner_delta"
    for prefix in ("pixel_stats_", "corner_stats_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def check_columns(pq, names, csv_header, decl):
    got = [c["name"] for c in pq["columns"]]
    if got != names:
        fail(f"columns differ from the SQLite table's:\n{got}\n{names}")
    if sorted(csv_name(n) for n in got) != sorted(csv_header):
        fail(f"columns differ from the CSV header's:\n{got}\n{csv_header}")
    for c, d in zip(pq["columns"], decl):
        if c["repetition"] != "OPTIONAL":
            fail(f"{c['name']} is {c['repetition']}")
        if c["type"] not in PQ_FOR_SQL[d]:
            fail(f"{c['name']} is {c['type']} in Parquet but {d} in SQLite")
        if (c["type"] == "BYTE_ARRAY") != (c["logical"] == "STRING"):
            fail(f"{c['name']}: {c['type']} with logical type {c['logical']}")


def check_rows(pq, csv_header, csv_rows, sql_rows):
    types = [c["type"] for c in pq["columns"]]
    names = [c["name"] for c in pq["columns"]]
    at = [csv_header.index(csv_name(n)) for n in names]
    if not (len(pq["rows"]) == len(csv_rows) == len(sql_rows) == int(pq["num_rows"])):
        fail(f"rows: parquet {len(pq['rows'])} ({pq['num_rows']} in the footer), "
             f"csv {len(csv_rows)}, sqlite {len(sql_rows)}")
    cells = 0
    for r, (prow, crow, srow) in enumerate(zip(pq["rows"], csv_rows, sql_rows)):
        for i, t in enumerate(types):
            got = cell(t, prow[i])
            want = srow[i]
            if t == "BOOLEAN" and want is not None:
                want = bool(want)
            if got != want or type(got) is not type(want):
                fail(f"row {r} column {names[i]}: parquet {got!r}, sqlite {want!r}")
            c = crow[at[i]]
            if got != csv_cell(t, c) and not (got is None and c == ""):
                fail(f"row {r} column {names[i]}: parquet {got!r}, csv {c!r}")
            cells += 1
    return cells


def check_stats(pq, groups):
    types = [c["type"] for c in pq["columns"]]
    names = [c["name"] for c in pq["columns"]]
    sizes = [int(n) for n in pq["row_groups"]]
    if groups is not None and len(sizes) != groups:
        fail(f"{len(sizes)} row groups, expected {groups}")
    start = 0
    for g, n in enumerate(sizes):
        rows = pq["rows"][start:start + n]
        start += n
        for i, t in enumerate(types):
            vals = [cell(t, r[i]) for r in rows]
            present = [v for v in vals if v is not None]
            st = pq["stats"][g][i]
            if st["codec"] != "ZSTD":
                fail(f"{names[i]} codec {st['codec']}")
            if int(st["null_count"]) != len(vals) - len(present):
                fail(f"group {g} {names[i]}: null_count {st['null_count']}")
            if not present:
                if st.get("min") is not None or st.get("max") is not None:
                    fail(f"group {g} {names[i]}: min/max of an all-null chunk")
                continue
            if t == "BYTE_ARRAY":
                key = lambda s: s.encode("utf-8")
                lo, hi = min(present, key=key), max(present, key=key)
            else:
                lo, hi = min(present), max(present)
            if cell(t, st.get("min")) != lo or cell(t, st.get("max")) != hi:
                fail(f"group {g} {names[i]}: stats {st.get('min')!r}..{st.get('max')!r}, cells {lo!r}..{hi!r}")
    if start != len(pq["rows"]):
        fail("row groups do not add up to the rows")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("read")
    ap.add_argument("csv")
    ap.add_argument("sqlite")
    ap.add_argument("--groups", type=int)
    ap.add_argument("--dict", default="")
    ap.add_argument("--plain", default="")
    ap.add_argument("--header")
    a = ap.parse_args()
    pq = json.load(open(a.read, encoding="utf-8"))
    with open(a.csv, encoding="utf-8", newline="") as f:
        csv_all = list(csv.reader(f))
    db = sqlite3.connect(a.sqlite)
    info = list(db.execute("PRAGMA table_info(images)"))
    decl = [r[2] for r in info]
    sql_rows = db.execute("SELECT * FROM images ORDER BY rowid").fetchall()
    check_columns(pq, [r[1] for r in info], csv_all[0], decl)
    cells = check_rows(pq, csv_all[0], csv_all[1:], sql_rows)
    check_stats(pq, a.groups)
    names = [c["name"] for c in pq["columns"]]
    for col in filter(None, a.dict.split(",")):
        if not all(g[names.index(col)]["dictionary"] for g in pq["stats"]):
            fail(f"{col} is not dictionary-encoded in every row group")
    for col in filter(None, a.plain.split(",")):
        if any(g[names.index(col)]["dictionary"] for g in pq["stats"]):
            fail(f"{col} is dictionary-encoded")
    if a.header:
        first = open(a.header, encoding="utf-8").readline().rstrip("\n")
        if pq["kv"].get("imgeda.manifest_header") != first:
            fail("the footer lacks the manifest's header line")
    print(f"{len(pq['rows'])} rows, {len(names)} columns, {cells} cells, "
          f"{len(pq['row_groups'])} row groups equal")


main()
