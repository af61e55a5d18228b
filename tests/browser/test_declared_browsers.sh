#!/bin/sh
# cafe's titles and encodings against headless Chromium's and Firefox ESR's on ~650 pages that
# declare their encoding: every label in <meta> and in Content-Type, odd Content-Type values,
# <meta> forms early and late, in comments, scripts and the like (tests/browser/declared.py):
# wherever both browsers agree, cafe must agree. Label `browser`; about 90 s. Skips (77) where
# chromium, firefox-esr or python3-websocket are missing, and in the sanitizer build.
set -eu
exec "$(dirname "$0")/browser_env.sh" declared.py
