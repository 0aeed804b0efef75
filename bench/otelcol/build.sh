#!/usr/bin/env bash
# Builds bench/otelcol (our own minimal OpenTelemetry Collector: filelog, kafka receiver and exporter,
# debug exporter, batch processor; see main.go) into dist/otelcol/otelcol, which git ignores.
# The first build on a machine downloads about 190 modules into Go's module cache and compiles
# them (minutes, on both cores; hence nice); later builds reuse Go's caches and take seconds.
# Go: the machine's /usr/local/go (1.26), which a shell's PATH may lack.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "bench/otelcol/build.sh: go not found (PATH or /usr/local/go/bin); it needs Go 1.26+" >&2; exit 1; }
mkdir -p "$root/dist/otelcol"
out="$root/dist/otelcol/otelcol"
start=$(date +%s)
cd "$here"
# -mod=readonly: go.mod/go.sum are committed and pin every module; -s -w: no symbol tables, as the
# Collector's release builds; -buildvcs=false: the source sits in a git worktree, nothing to stamp.
# Built beside and renamed, so a bench running the old binary never sees a half-written file.
nice -n 10 go build -mod=readonly -buildvcs=false -trimpath -ldflags='-s -w' -o "$out.tmp.$$" .
mv -f "$out.tmp.$$" "$out"
echo "bench/otelcol: built $out ($(du -m "$out" | cut -f1) MB) in $(( $(date +%s) - start )) s" >&2
