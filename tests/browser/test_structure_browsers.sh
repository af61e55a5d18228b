#!/bin/sh
# cafe's titles against headless Chromium's and Firefox ESR's on ~1,200 generated pages whose
# markup steers tree construction around <title> (tests/browser/structure.py): wherever both
# browsers agree, cafe must agree. Label `browser` (exclude with `ctest -LE browser`): it
# starts two browsers and takes about a minute. Skips (77) as test_encoding_browsers.sh does.
set -eu
exec "$(dirname "$0")/browser_env.sh" structure.py
