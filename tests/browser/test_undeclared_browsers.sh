#!/bin/sh
# cafe's titles and encodings against headless Chromium's and Firefox ESR's on undeclared pages
# loaded top-level under the host each names (tests/browser/undeclared_pages.py): the encoding
# detection's cases found against both browsers, and a grid of realistic shapes in 21 legacy
# encodings. Label `browser`; about 45 s. Skips (77) where chromium, firefox-esr or
# python3-websocket are missing, and in the sanitizer build.
set -eu
exec "$(dirname "$0")/browser_env.sh" undeclared_pages.py
