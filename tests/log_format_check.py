#!/usr/bin/env python3
"""Check lolwire's logs the way their consumers read them.

TSV logs are parsed by zeek-cut's rules (shared/FORMATS.md §1.4): the header lines in
Zeek's order, `#separator \\x09` as the only header with a space, a one-character
separator, `#types` right after `#fields`, as many columns in every line as in
`#fields`, time columns with a dot and six decimals, `#close` last.  Values are checked
against their declared types.  JSON logs must be one JSON object per line, with flat
dotted names, no nulls (unset fields are left out), and the same values as the TSV run
of the same capture with the same seed.

Usage: log_format_check.py LOLWIRE CAPTURE [CAPTURE ...]
"""
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

UID = re.compile(r"^C[0-9A-Za-z]{2,17}$")
CID = re.compile(r"^1:[A-Za-z0-9+/]{27}=$")
TIME = re.compile(r"^\d+\.\d{6}$")
HEADER_ORDER = ["#separator", "#set_separator", "#empty_field", "#unset_field", "#path", "#open",
                "#fields", "#types"]


class Bad(Exception):
    pass


def check_value(typ, v, where):
    if v == "-":
        return None
    if typ in ("time", "interval"):
        if not TIME.match(v):
            raise Bad(f"{where}: {typ} value {v!r} is not seconds with 6 decimals")
        return float(v)
    if typ == "double":
        try:
            return float(v)
        except ValueError:
            raise Bad(f"{where}: double value {v!r}") from None
    if typ == "count":
        if not v.isdigit():
            raise Bad(f"{where}: count value {v!r}")
        return int(v)
    if typ == "port":
        if not v.isdigit() or int(v) > 65535:
            raise Bad(f"{where}: port value {v!r}")
        return int(v)
    if typ == "addr":
        try:
            return str(ipaddress.ip_address(v))
        except ValueError:
            raise Bad(f"{where}: addr value {v!r}")
    if typ == "bool":
        if v not in ("T", "F"):
            raise Bad(f"{where}: bool value {v!r}")
        return v == "T"
    if typ.startswith("set[") or typ.startswith("vector["):
        return [] if v == "(empty)" else v.split(",")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in v):
        raise Bad(f"{where}: raw control character in {v!r}")
    return "" if v == "(empty)" else v


def read_tsv(path):
    with open(path, "rb") as f:
        raw = f.read().decode("utf-8")
    lines = raw.split("\n")
    if lines[-1] != "":
        raise Bad(f"{path}: last line not terminated")
    lines = lines[:-1]
    if lines[0] != "#separator \\x09":
        raise Bad(f"{path}: first line {lines[0]!r}, want '#separator \\x09'")
    sep = "\t"
    for i, name in enumerate(HEADER_ORDER[1:], start=1):
        if not lines[i].startswith(name + sep):
            raise Bad(f"{path}: header line {i + 1} is {lines[i][:30]!r}, want {name}")
    if lines[1] != "#set_separator\t," or lines[2] != "#empty_field\t(empty)" or \
            lines[3] != "#unset_field\t-":
        raise Bad(f"{path}: separator/empty/unset header values differ from Zeek's")
    path_name = lines[4].split(sep)[1]
    if os.path.basename(path) != path_name + ".log":
        raise Bad(f"{path}: #path {path_name} does not match the file name")
    fields = lines[6].split(sep)[1:]
    types = lines[7].split(sep)[1:]
    if len(fields) != len(types):
        raise Bad(f"{path}: {len(fields)} fields but {len(types)} types")
    if not lines[-1].startswith("#close\t"):
        raise Bad(f"{path}: no #close line at the end")
    rows = []
    for n, line in enumerate(lines[8:-1], start=9):
        if line.startswith("#"):
            raise Bad(f"{path}:{n}: unexpected header line in the data")
        vals = line.split(sep)
        if len(vals) != len(fields):
            raise Bad(f"{path}:{n}: {len(vals)} columns, want {len(fields)}")
        row = {}
        for f, t, v in zip(fields, types, vals):
            row[f] = check_value(t, v, f"{path}:{n} {f}")
        if "uid" in row and row["uid"] is not None and not UID.match(row["uid"]):
            raise Bad(f"{path}:{n}: uid {row['uid']!r} is not C + base62")
        if row.get("community_id") is not None and not CID.match(row["community_id"]):
            raise Bad(f"{path}:{n}: community_id {row['community_id']!r}")
        rows.append(row)
    return fields, types, rows


def read_json(path, types_by_field):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise Bad(f"{path}:{n}: not a JSON object")
            row = {}
            for k, v in obj.items():
                if k not in types_by_field:
                    raise Bad(f"{path}:{n}: field {k!r} not in the TSV schema")
                if v is None:
                    raise Bad(f"{path}:{n}: {k} is null (unset fields must be left out)")
                t = types_by_field[k]
                if t in ("time", "interval"):
                    if not isinstance(v, (int, float)):
                        raise Bad(f"{path}:{n}: {k} is not a number")
                    v = round(float(v), 6)
                elif t == "double":
                    if not isinstance(v, (int, float)) or isinstance(v, bool):
                        raise Bad(f"{path}:{n}: {k} is not a number")
                    v = float(v)
                elif t == "addr":
                    v = str(ipaddress.ip_address(v))
                row[k] = v
            rows.append(row)
    return rows


# Values that differ between two runs of the same capture: the process's memory.
RUN_DEPENDENT = {("stats.log", "mem")}


def same(tsv_row, json_row, fields, types, where):
    for f, t in zip(fields, types):
        if (where.split()[1], f) in RUN_DEPENDENT:
            continue
        a = tsv_row[f]
        b = json_row.get(f)
        if t in ("time", "interval") and a is not None:
            a = round(a, 6)
        if a != b:
            raise Bad(f"{where}: {f}: TSV {a!r} vs JSON {b!r}")


def main():
    lolwire, captures = sys.argv[1], sys.argv[2:]
    checked = 0
    failures = []
    for cap in captures:
        with tempfile.TemporaryDirectory() as tsv_dir, tempfile.TemporaryDirectory() as js_dir:
            for d, extra in ((tsv_dir, []), (js_dir, ["--json"])):
                p = subprocess.run([lolwire, "-q", "--seed", "7", "-r", cap, "-o", d] + extra,
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    failures.append(f"{cap}: exit {p.returncode}: {p.stderr.strip()}")
            for log in sorted(os.listdir(tsv_dir)):
                if not log.endswith(".log"):
                    continue
                try:
                    fields, types, rows = read_tsv(os.path.join(tsv_dir, log))
                    jrows = read_json(os.path.join(js_dir, log), dict(zip(fields, types)))
                    if len(rows) != len(jrows):
                        raise Bad(f"{log}: {len(rows)} TSV rows vs {len(jrows)} JSON rows")
                    for i, (a, b) in enumerate(zip(rows, jrows)):
                        same(a, b, fields, types, f"{os.path.basename(cap)} {log} row {i + 1}")
                    checked += len(rows)
                except (Bad, ValueError, OSError) as e:
                    failures.append(f"{os.path.basename(cap)}: {e}")
    for f in failures:
        print("  " + f)
    print(f"log format: {checked} rows checked in TSV and JSON from {len(captures)} captures, "
          f"{len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
