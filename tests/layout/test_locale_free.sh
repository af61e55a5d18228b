#!/bin/sh
# Case folding and character classes in src/ go through common/ascii.h, never through the C
# library's locale-dependent calls: under a Turkish LC_CTYPE strcasecmp("I", "i") is not 0,
# and a libcafe program that called setlocale(LC_ALL, "") misread "APPLICATION/XHTML+XML" or
# "NOSNIFF". A line may call them only if it says why (a comment holding "locale on purpose").
set -eu
pattern='\b(strn?casecmp|tolower|toupper|is(alpha|alnum|digit|xdigit|space|upper|lower|print|punct|cntrl|graph|blank))\('
found=$(grep -rnE "$pattern" "$CAFE_SOURCE_DIR/src" --include='*.c' --include='*.h' |
    grep -v '^[^:]*/src/common/ascii\.h:' | grep -v 'locale on purpose' || true)
if [ -n "$found" ]; then
    echo "locale-dependent case folding or classes (use common/ascii.h):"
    echo "$found"
    exit 1
fi
echo "src/ folds case in ASCII only"
