#!/usr/bin/env bash
# make test's closing lines, read from the TRX files in $1 (one per test project): each failed test with the
# first lines of its message, then their names alone, then `N passed, N failed, N skipped`. Exits 1 when a
# test failed. A run's last lines are often all that is kept of it, so they name every failure.
set -euo pipefail
results=${1:?usage: test-summary.sh RESULTS_DIR}
passed=0; failed=0; skipped=0
# TRX is XML: names and messages carry its escapes (a theory's "input: &quot;cases/x&quot;").
unxml() { sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'; }
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$({ grep -o '<Counters [^>]*>' "$trx" || true; } | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed_n=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${failed_n:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
# The failed tests again, each with the first lines of its message, right above the closing line: a run's
# last lines are often all that is kept of it.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk '
    /<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1; next }
    want && /<Message>/ { sub(/.*<Message>/, ""); print "failed: " name; lines = 0; inmsg = 1 }
    inmsg { if (index($0, "</Message>")) { sub(/<\/Message>.*/, ""); inmsg = 0; want = 0 }
            if (lines < 4 && length($0) > 0) { print "  " substr($0, 1, 300); lines++ } }
  ' "$trx" | unxml
done
# Then their names alone (class and method), so that even a short tail of the log names every one.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  { grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" || true; } | sed -n 's/.* testName="\([^"]*\)".*/\1/p' |
    awk '{ i = index($0, "("); base = i ? substr($0, 1, i - 1) : $0; n = split(base, part, ".")
           print "FAILED " (n >= 2 ? part[n - 1] "." part[n] : base) (i ? substr($0, i) : "") }' | unxml
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
