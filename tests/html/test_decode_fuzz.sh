#!/bin/sh
# Runs the decoders' libFuzzer target (fuzz/fuzz_decode.c) for a bounded time in the
# ASan+UBSan build: no crash, valid bounded UTF-8, the same output however the input is
# split (checked inside the target). Skipped (77) in the normal build and where clang-14's
# libFuzzer is missing.
set -eu
if [ "${CAFE_SANITIZE:-0}" != "1" ]; then
    echo "decode fuzz: runs in the ASan build only"
    exit 77
fi
export CAFE_FUZZ_BUILD="${CAFE_BUILD_DIR:?}/fuzz"
exec "${CAFE_SOURCE_DIR:?}/fuzz/run.sh" "${CAFE_DECODE_FUZZ_SECONDS:-20}" decode
