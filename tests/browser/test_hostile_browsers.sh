#!/bin/sh
# cafe's titles and encodings against headless Chromium's and Firefox ESR's on 1,000 random
# documents that mix everything that decides a title (tests/browser/hostile.py), and cafe's
# against itself fed whole, byte by byte and in random chunks: wherever both browsers agree,
# cafe must, and every chunking must give one answer. Label `browser` (exclude with
# `ctest -LE browser`): it starts two browsers and takes about 1.5 minutes. Skips (77) as
# test_encoding_browsers.sh does.
set -eu
exec "$(dirname "$0")/browser_env.sh" hostile.py
