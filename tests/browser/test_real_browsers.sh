#!/bin/sh
# cafe's titles and encodings against headless Chromium's and Firefox ESR's on real pages: a
# sample of the HTML files under /usr/share and legacy-charset variants of them
# (tests/browser/real_pages.py), each loaded top-level, and cafe's fed whole and in random
# chunks. Label `browser`; about 2 minutes. Skips (77) without the browsers or the files.
set -eu
exec "$(dirname "$0")/browser_env.sh" real_pages.py
