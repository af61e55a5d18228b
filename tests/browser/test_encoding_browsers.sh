#!/bin/sh
# cafe's titles against headless Chromium's and Firefox ESR's on ~280 generated pages in
# every encoding of the Encoding Standard (tests/browser/encodings.py): wherever both
# browsers agree, cafe must agree. Label `browser` (exclude with `ctest -LE browser`): it
# starts two browsers and takes about 30 s on a loaded machine. Skips (77) where
# chromium, firefox-esr or python3-websocket are missing, and in the sanitizer build.
set -eu
exec "$(dirname "$0")/browser_env.sh" encodings.py
