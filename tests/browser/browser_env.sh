#!/bin/sh
# Runs tests/browser/SCRIPT against libcafe with what the browser tests need: Debian's python3
# with python3-websocket, and a HOME of its own for the browsers' profiles and caches. Skips
# (77) in the sanitizer build (python loads the shared libcafe, which an ASan build cannot
# give it) and where the library or python3 is missing; the script itself skips where a
# browser or python3-websocket is.
set -eu
if [ "${CAFE_SANITIZE:-0}" = "1" ]; then
    echo "browser tests: run in the normal build only"
    exit 77
fi
lib="${CAFE_LIBCAFE:?}"
[ -f "$lib" ] || { echo "browser tests: no $lib"; exit 77; }
# Debian's python3 has python3-websocket; a python3 earlier on PATH may not.
py=python3
python3 -c 'import websocket' 2>/dev/null || py=/usr/bin/python3
[ -x "$(command -v "$py")" ] || { echo "browser tests: no python3"; exit 77; }
# The browsers write their profiles and caches under HOME: keep them out of the user's.
HOME=$(mktemp -d)
export HOME
trap 'rm -rf "$HOME"' EXIT
"$py" "${CAFE_SOURCE_DIR:?}/tests/browser/$1" "$lib"
