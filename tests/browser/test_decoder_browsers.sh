#!/bin/sh
# cafe's decoders against TextDecoder in headless Chromium and Firefox ESR on every byte,
# every two-byte sequence and ~10,000 adversarial strings of every encoding of the Encoding
# Standard (tests/browser/decoders.py): wherever both browsers agree, cafe must agree. Label
# `browser`; about 30-60 s. Skips (77) where chromium, firefox-esr or python3-websocket are
# missing, and in the sanitizer build.
set -eu
exec "$(dirname "$0")/browser_env.sh" decoders.py
