#!/bin/sh
# cafe in Turkish, German and EUC-JP locales made with localedef (tests/cli/locale_e2e.py).
set -eu
exec python3 "$CAFE_SOURCE_DIR/tests/cli/locale_e2e.py"
