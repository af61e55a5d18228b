#!/bin/sh
# cafe's titles and encodings of pages served as XML (application/xhtml+xml, text/xml,
# application/xml, image/svg+xml) against headless Chromium's and Firefox ESR's, on ~65
# hand-written pages and 300 random ones (tests/browser/xml.py): encodings from the BOM, the
# Content-Type and the XML declaration, namespaces, SVG roots, entities and DTDs,
# malformations. Wherever both browsers agree, cafe must agree. Label `browser`; about 30 s.
# Skips (77) as test_encoding_browsers.sh does.
set -eu
exec "$(dirname "$0")/browser_env.sh" xml.py
