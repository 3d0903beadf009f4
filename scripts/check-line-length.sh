#!/usr/bin/env bash
# Lines of hand-written C# longer than .editorconfig's max_line_length (120; bytes, so a '×' counts as two).
# Prints file:line for each and exits 1 when there is any. Generated files (*.g.cs, obj/, EF Migrations/) are exempt.
set -uo pipefail
cd "$(dirname "$0")/.."
limit=$(sed -n 's/^max_line_length *= *\([0-9]*\).*/\1/p' .editorconfig | head -n 1)
limit=${limit:-120}
found=0
while IFS= read -r f; do
  out=$(LC_ALL=C awk -v max="$limit" -v f="$f" 'length > max { print f ":" FNR ": " length " > " max }' "$f")
  if [ -n "$out" ]; then echo "$out"; found=1; fi
done < <(git ls-files --cached --others --exclude-standard '*.cs' | grep -v '\.g\.cs$' | grep -v '/Migrations/')
[ "$found" -eq 0 ] && echo "line length: every C# line within $limit columns"
exit "$found"
