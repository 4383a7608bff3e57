#!/bin/bash
# Runs each cmocka unit-test binary (built with ASan/UBSan); fails if any fails.
failed=0
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then
		echo "FAIL: $t"
		failed=$((failed + 1))
	fi
done
echo "unit: $# binaries, $failed failed"
[ "$failed" -eq 0 ]
