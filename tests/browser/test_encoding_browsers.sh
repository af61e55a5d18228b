#!/bin/sh
# cafe's titles against headless Chromium's and Firefox ESR's on ~280 generated pages in
# every encoding of the Encoding Standard (tests/browser/encodings.py): wherever both
# browsers agree, cafe must agree. Label `browser` (exclude with `ctest -LE browser`): it
# starts two browsers and takes about 30 s on a loaded machine. Skips (77) where
# chromium, firefox-esr or python3-websocket are missing, and in the sanitizer build
# (python loads the shared libcafe, which an ASan build cannot give it).
set -eu
if [ "${CAFE_SANITIZE:-0}" = "1" ]; then
    echo "browser encodings: runs in the normal build only"
    exit 77
fi
lib="${CAFE_LIBCAFE:?}"
[ -f "$lib" ] || { echo "browser encodings: no $lib"; exit 77; }
# Debian's python3 has python3-websocket; a python3 earlier on PATH may not.
py=python3
python3 -c 'import websocket' 2>/dev/null || py=/usr/bin/python3
[ -x "$(command -v "$py")" ] || { echo "browser encodings: no python3"; exit 77; }
# The browsers write their profiles and caches under HOME: keep them out of the user's.
HOME=$(mktemp -d)
export HOME
trap 'rm -rf "$HOME"' EXIT
"$py" "${CAFE_SOURCE_DIR:?}/tests/browser/encodings.py" "$lib"
