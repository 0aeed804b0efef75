#!/usr/bin/env bash
# Fetches rsyslog with its Kafka output and its OpenSSL network driver (Debian's rsyslog, rsyslog-kafka
# and rsyslog-openssl, the last for the syslog-over-TLS test; and whichever of the
# libraries they need this machine lacks) into dist/rsyslog, which git ignores: unpacked, not
# installed, so nothing on the machine changes and no service starts. bench/rsyslog/run.ts runs
# rsyslogd from there. Needs Debian's apt-get (its package lists; as root an out-of-date list is
# refreshed once); the versions are the distribution's of the day (Debian 12: rsyslog 8.2302).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/dist/rsyslog"
command -v apt-get >/dev/null || { echo "bench/rsyslog/fetch.sh: apt-get not found; the rsyslog row needs a Debian or Ubuntu machine" >&2; exit 1; }
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/debs"
cd "$tmp/debs"
# As root, apt downloads as its own unprivileged user, which cannot write here: keep root.
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
# The packages and what installing them would add here (apt's own choice among alternatives).
wanted() {
  { echo rsyslog; echo rsyslog-kafka; echo rsyslog-openssl; apt-get -s -q --no-install-recommends install rsyslog rsyslog-kafka rsyslog-openssl 2>/dev/null | awk '/^Inst /{print $2}'; } | sort -u
}
packages=$(wanted)
if ! apt-get download -q "${sandbox[@]}" $packages >/dev/null 2>"$tmp/err"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q >/dev/null
    packages=$(wanted)
    apt-get download -q "${sandbox[@]}" $packages >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  else
    cat "$tmp/err" >&2
    echo "bench/rsyslog/fetch.sh: apt-get download failed (as root it would refresh the package lists first)" >&2
    exit 1
  fi
fi
for deb in *.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "bench/rsyslog: unpacked $(echo $packages | wc -w) packages ($(echo $packages)) into $out" >&2
