#!/bin/sh
# Runs the test binaries in $1 (the build directory). $2: "unit" runs the ones that need no
# privileges (test_unit_*), "all" runs every one. Each binary is a cmocka suite; this prints one
# closing line "N passed, N failed" over the suites.
set -u
out=${1:-build}
which=${2:-all}
case "$which" in
unit) pattern="test_unit_*" ;;
*) pattern="test_*" ;;
esac
passed=0
failed=0
failed_names=""
# Only the suites whose source exists: a stale binary of a removed suite never runs.
for src in tests/$pattern.c; do
	t="$out/tests/$(basename "$src" .c)"
	name=$(basename "$t")
	if [ ! -x "$t" ]; then
		echo "=== $name: not built"
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		continue
	fi
	echo "=== $name"
	if "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
done
echo
[ -n "$failed_names" ] && echo "failed suites:$failed_names"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
