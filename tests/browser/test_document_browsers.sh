#!/bin/sh
# cafe's titles against headless Chromium's and Firefox ESR's on ~700 random whole documents
# mixing encodings, their declarations (header, early and late <meta>, BOM), padding across
# byte 1024, head markup, and titles of whitespace, references and controls
# (tests/browser/documents.py): wherever both browsers agree, cafe must agree. Label
# `browser`; about 40 s. Skips (77) as test_encoding_browsers.sh does.
set -eu
exec "$(dirname "$0")/browser_env.sh" documents.py
