#!/bin/bash
# The tree's habits, checked: every shell script of the repository clean under shellcheck at
# warning level (an exception is justified inline with a `# shellcheck disable=` comment), and no
# call the style rules avoid in the C sources, and every C file laid out as .clang-format says
# (checked with Debian 12's clang-format 14; another version formats differently and is skipped
# with a note). Exit 0, or 1 with the findings.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck > /dev/null || { echo "SKIP: needs shellcheck"; exit 77; }
rc=0
mapfile -t scripts < <(git ls-files 2> /dev/null | while read -r f; do
        [ -f "$f" ] && head -c 64 "$f" | head -n 1 | grep -qE '^#!.*(ba)?sh' && echo "$f"
done)
[ "${#scripts[@]}" -gt 0 ] || { echo "FAIL: no scripts found (not a git checkout?)"; exit 1; }
if ! shellcheck -S warning -f gcc "${scripts[@]}"; then
        echo "FAIL: shellcheck finds warnings in the scripts above"
        rc=1
fi
mapfile -t sources < <(git ls-files 'core/*.[ch]' 'plugins/*.[ch]' 'include/*.h')
if grep -nE '(^|[^_a-z])(system|popen|atoi|atol|strcpy|strcat|sprintf|gets)[[:space:]]*\(' "${sources[@]}"; then
        echo "FAIL: calls the style rules avoid (STYLE.md: no shell, no unchecked parsing, no unbounded copies)"
        rc=1
fi
mapfile -t csources < <(git ls-files '*.[ch]')
formatted="${#csources[@]} C files laid out as .clang-format says"
if ! command -v clang-format > /dev/null; then
        echo "FAIL: needs clang-format (Debian package clang-format) to check the C layout"
        rc=1
elif ! clang-format --version | grep -q 'version 14\.'; then
        formatted="the C layout not checked: $(clang-format --version) is not clang-format 14"
        echo "note: $formatted"
elif ! clang-format --dry-run --Werror "${csources[@]}"; then
        echo "FAIL: C files above not laid out as .clang-format says; run: git ls-files '*.[ch]' | xargs clang-format -i"
        rc=1
fi
[ "$rc" = 0 ] && echo "lint: ${#scripts[@]} scripts clean under shellcheck, ${#sources[@]} C files without avoided calls, $formatted"
exit "$rc"
