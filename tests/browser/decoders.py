#!/usr/bin/env python3
"""cafe's decoders against the browsers' own: every encoding of the Encoding Standard (but
replacement, which TextDecoder refuses) decodes the same byte strings with cafe's decoder
(tests/browser/decode_dump.c) and with `new TextDecoder(label, {ignoreBOM: true})` in
headless Chromium (DevTools) and Firefox ESR (WebDriver BiDi, encoding_rs). Where both
browsers agree, cafe must give the same string.

The strings: every byte and every two-byte sequence (single-byte encodings: every byte and
random strings); in the ASCII-compatible multi-byte encodings each lead byte and two-byte
sequence again followed by the '<' the title's text stops at (decoded as
CAFE__DECODE_BEFORE_ASCII, the browsers' output without its last '<'); random strings of the
bytes that steer the decoders (leads, trails, digits, ESC and its finals, surrogate halves,
ASCII); gb18030's four-byte sequences (all of the BMP's, a sample of the rest, each lead cut
after one, two and three bytes); ISO-2022-JP escape sequences in random order and every
two-byte sequence after each escape; UTF-8's three- and four-byte sequences around the
bounds of every lead; UTF-16 code units around the surrogates, with an odd last byte. Each
encoding's strings go to each browser in one evaluation; about 30 s in all.

Usage: decoders.py LIBCAFE_SO (unused: the decoders are internal; $CAFE_BUILD_DIR/tests/
decode_dump is run). CAFE_DECODERS=label,... picks encodings. Exit: 0 agreed, 1 differed,
77 a browser or decode_dump is missing."""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import browsers

SINGLE = browsers.SINGLE_BYTE
MULTI = ["gbk", "gb18030", "big5", "euc-jp", "shift_jis", "euc-kr", "iso-2022-jp", "utf-8",
         "utf-16le", "utf-16be"]
NOT_ASCII_COMPATIBLE = ("iso-2022-jp", "utf-16le", "utf-16be")
STEERING = [0x00, 0x0E, 0x0F, 0x1B, 0x21, 0x24, 0x26, 0x28, 0x30, 0x35, 0x39, 0x3C, 0x40,
            0x41, 0x42, 0x49, 0x4A, 0x5C, 0x7E, 0x7F, 0x80, 0x81, 0x84, 0x8E, 0x8F, 0x90,
            0xA0, 0xA1, 0xA4, 0xBF, 0xC2, 0xC8, 0xD8, 0xDB, 0xDC, 0xDF, 0xE0, 0xE3, 0xED,
            0xEF, 0xF0, 0xF4, 0xF5, 0xF9, 0xFC, 0xFE, 0xFF]


def random_strings(rng, label, count):
    out = []
    for _ in range(count):
        b = bytes(rng.choice(STEERING) if rng.random() < 0.85 else rng.randrange(256)
                  for _ in range(rng.randint(3, 8)))
        out.append(("e", b))
        if label not in NOT_ASCII_COMPATIBLE and rng.random() < 0.3:
            out.append(("a", b))
    return out


def gb18030_strings(rng):
    out = []
    for b1 in range(0x81, 0xFF):
        for b2 in range(0x30, 0x3A):
            for b3 in range(0x81, 0xFF):
                if b1 <= 0x84 or b1 in (0x85, 0x8F, 0x90, 0xE3, 0xE4, 0xFE):
                    out += [("e", bytes([b1, b2, b3, b4])) for b4 in range(0x30, 0x3A)]
                elif rng.random() < 0.05:
                    out.append(("e", bytes([b1, b2, b3, rng.randrange(0x30, 0x3A)])))
        for tail in (b"", b"0", b"0\x81", b"0\x81<", b"0\x81A", b"0A", b"0<", b"0&"):
            out += [("e", bytes([b1]) + tail), ("a", bytes([b1]) + tail)]
    return out


def iso2022jp_strings(rng):
    pieces = [b"\x1b(B", b"\x1b(J", b"\x1b(I", b"\x1b$@", b"\x1b$B", b"\x1b$", b"\x1b(",
              b"\x1b", b"\x1b$A", b"\x1b(C", b"!", b"0!", b"\\~", b"a", b"\x0e", b"\x0f",
              b"\x80", b"$", b"(", b"\x1b\x1b", b"\x7f", b"!\x7f", b"_", b"`", b"\n"]
    out = [("e", b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))))
           for _ in range(20000)]
    for esc in (b"\x1b$B", b"\x1b(I", b"\x1b(J"):
        out += [("e", esc + bytes([x, y])) for x in range(256)
                for y in range(0, 256, 1 if x < 0x80 else 17)]
    return out


def utf8_strings():
    out = []
    for a in range(0xE0, 0xF5):
        for b in range(0x70, 0xD0):
            for c in range(0x70, 0xD0, 3):
                out += [("e", bytes([a, b, c])), ("e", bytes([a, b, c, 0x80 + c % 64]))]
    return out


def utf16_strings(rng, label):
    units = [0x0041, 0x00E9, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xD83D, 0xDE00, 0xFFFE, 0xFEFF,
             0x003C, 0xFFFF]
    order = "little" if label == "utf-16le" else "big"
    out = []
    for _ in range(20000):
        b = b"".join(rng.choice(units).to_bytes(2, order) for _ in range(rng.randint(1, 6)))
        out.append(("e", b + (bytes([rng.randrange(256)]) if rng.random() < 0.3 else b"")))
    return out


def strings(label, rng):
    out = [("e", bytes([a])) for a in range(256)]
    if label in SINGLE:
        return out + random_strings(rng, label, 1000)
    out += [("e", bytes([a, b])) for a in range(256) for b in range(256)]
    if label not in NOT_ASCII_COMPATIBLE:
        out += [("a", bytes([a])) for a in range(256)]
        out += [("a", bytes([a, b])) for a in range(0x80, 0x100) for b in range(256)]
    out += random_strings(rng, label, 10000)
    if label in ("gbk", "gb18030"):
        out += gb18030_strings(rng)
    elif label == "iso-2022-jp":
        out += iso2022jp_strings(rng)
    elif label == "utf-8":
        out += utf8_strings()
    elif label.startswith("utf-16"):
        out += utf16_strings(rng, label)
    return out


# Decodes each string alone (a new decode() call flushes the decoder: EOF after it).
JS = ("(() => { const td = new TextDecoder(%s, {ignoreBOM: true}), hex = %s, lens = %s;"
      "const out = []; let pos = 0; for (const n of lens) { const b = new Uint8Array(n);"
      "for (let i = 0; i < n; i++, pos += 2) b[i] = parseInt(hex.substr(pos, 2), 16);"
      "out.push(td.decode(b)); } return JSON.stringify(out); })()")


def cafe_decode(dump, label, seqs):
    lines = "".join("%s\t%s\t%s\n" % (label, mode, b.hex()) for mode, b in seqs)
    res = subprocess.run([dump], input=lines.encode(), stdout=subprocess.PIPE, check=True)
    return [bytes.fromhex(x).decode("utf-8") for x in res.stdout.decode().split("\n")[:len(seqs)]]


def compare(label, seqs, chrome, fox, ours):
    """Counts where the browsers agree and cafe does not, printing the first few."""
    differ = browsers_differ = 0
    for (mode, b), c, f, o in zip(seqs, chrome, fox, ours):
        if mode == "a":  # the '<' that followed: the browsers' last character
            if not (c.endswith("<") and f.endswith("<")):
                browsers_differ += 1
                continue
            c, f = c[:-1], f[:-1]
        if c != f:
            browsers_differ += 1
        elif o != c:
            differ += 1
            if differ <= 10:
                print("  %s %s%s: browsers %r, cafe %r" % (
                    label, b.hex(), " then '<'" if mode == "a" else "", c, o))
    return differ, browsers_differ


def main():
    dump = os.path.join(os.environ.get("CAFE_BUILD_DIR", "build"), "tests", "decode_dump")
    chromium, firefox = browsers.find("chromium", "chromium-browser"), browsers.find(
        "firefox-esr", "firefox")
    if not chromium or not firefox or not os.access(dump, os.X_OK):
        print("skip: needs Debian's chromium and firefox-esr, and " + dump)
        return 77
    labels = [x for x in os.environ.get("CAFE_DECODERS", "").split(",") if x] or SINGLE + MULTI
    rng = random.Random(int(os.environ.get("CAFE_BROWSER_SEED", "5")))
    failed = 0
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        cproc, cws, ccall, session = browsers.chromium_session(chromium, t1)
        fproc, fws, fcall, context = browsers.firefox_session(firefox, t2)
        try:
            for label in labels:
                seqs = strings(label, rng)
                sent = [b + b"<" if mode == "a" else b for mode, b in seqs]
                expr = JS % (json.dumps(label), json.dumps(b"".join(sent).hex()),
                             json.dumps([len(b) for b in sent]))
                start = time.monotonic()
                res = ccall("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                            session)
                chrome = json.loads(res["result"]["value"])
                res = fcall("script.evaluate", {"expression": expr, "awaitPromise": False,
                                                "target": {"context": context}})
                fox = json.loads(res["result"]["value"])
                differ, apart = compare(label, seqs, chrome, fox,
                                        cafe_decode(dump, label, seqs))
                print("%s: %d strings in %.1f s; browsers disagree on %d; cafe differs on %d" % (
                    label, len(seqs), time.monotonic() - start, apart, differ), flush=True)
                failed += differ
        finally:
            cws.close()
            fws.close()
            for proc in (cproc, fproc):
                proc.kill()
                proc.wait()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
