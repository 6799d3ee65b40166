#!/usr/bin/env bash
# demo-summary.sh: a short, readable summary of the logs in DIR (used by `make demo`).
set -euo pipefail
dir=${1:-logs}
echo
echo "Logs written to $(cd "$dir" && pwd):"
for f in "$dir"/*.log; do
    [ -e "$f" ] || continue
    printf '  %-12s %6d records\n' "$(basename "$f")" "$(grep -vc '^#' "$f" || true)"
done
# Print selected columns by name, as zeek-cut does.
cut_cols() {
    awk -F'\t' -v want="$2" '
        BEGIN { n = split(want, w, " ") }
        /^#fields/ { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
        /^#/ { next }
        { line = ""; for (k = 1; k <= n; k++) line = line (k > 1 ? "\t" : "") $(col[w[k]]); print line }
    ' "$1"
}
if [ -s "$dir/conn.log" ]; then
    echo
    echo "Connections (conn.log: id.orig_h id.orig_p id.resp_h id.resp_p proto conn_state history orig_bytes resp_bytes):"
    cut_cols "$dir/conn.log" "id.orig_h id.orig_p id.resp_h id.resp_p proto conn_state history orig_bytes resp_bytes" |
        sort | column -t | sed 's/^/  /'
fi
if [ -s "$dir/http.log" ]; then
    echo
    echo "HTTP (http.log: id.orig_h method host uri user_agent status_code resp_mime_types):"
    cut_cols "$dir/http.log" "id.orig_h method host uri user_agent status_code resp_mime_types" |
        awk -F'\t' '{ printf "  %-10s %-4s %-22s %-14s %-40.40s %s %s\n", $1, $2, $3, $4, $5, $6, $7 }'
fi
if [ -s "$dir/files.log" ]; then
    echo
    echo "Files (files.log: mime_type seen_bytes sha256), typed by their bytes:"
    cut_cols "$dir/files.log" "mime_type seen_bytes sha256" | column -t | sed 's/^/  /'
fi
if [ -s "$dir/notice.log" ]; then
    echo
    echo "Detections (notice.log: severity note technique file_desc):"
    cut_cols "$dir/notice.log" "severity note technique file_desc" | column -t | sed 's/^/  /'
fi
if [ -s "$dir/weird.log" ]; then
    echo
    echo "Protocol anomalies (weird.log):"
    cut_cols "$dir/weird.log" "name" | sort | uniq -c | sort -rn | sed 's/^/  /'
fi
