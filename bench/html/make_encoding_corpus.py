#!/usr/bin/env python3
"""Builds the corpora of bench/html/encodings.sh in DIR from LIST (HTML file names):

  utf8.txt     the pages with their first <title> moved to the end (the whole page is read)
  1252.txt     the same pages in windows-1252 (characters it lacks as character references)
  mb-LABEL.txt for each multi-byte encoding, 40 pages whose <title> is 32 KB of text in it
               (Japanese, Chinese or Korean made of characters the encoding has): the title
               decoder reads every byte, so this measures the decoder

Usage: make_encoding_corpus.py LIST DIR"""
import os
import random
import re
import sys

MULTI = {  # label: python codec, characters to draw from
    "shift_jis": ("shift_jis", "jp"), "euc-jp": ("euc_jp", "jp"), "gbk": ("gbk", "zh"),
    "gb18030": ("gb18030", "zh"), "big5": ("big5", "zh"), "euc-kr": ("euc_kr", "ko"),
    "iso-2022-jp": ("iso2022_jp", "jp"), "utf-16le": ("utf-16-le", "zh"),
}
RANGES = {"jp": [(0x3041, 0x3096), (0x30A1, 0x30FA), (0x4E00, 0x9FA0)],
          "zh": [(0x4E00, 0x9FA0), (0x3001, 0x3003)],
          "ko": [(0xAC00, 0xD7A3)]}
title = re.compile(rb"<title[\s>].*?</title\s*>", re.I | re.S)


def text_in(codec, script, rng, size):
    pool = [chr(c) for lo, hi in RANGES[script] for c in range(lo, hi)]
    out, n = [], 0
    while n < size:
        ch = rng.choice(pool)
        try:
            n += len(ch.encode(codec))
        except UnicodeEncodeError:
            continue
        out.append(ch)
        if rng.random() < 0.05:
            out.append(" ")
    return "".join(out)


def main():
    names, out = open(sys.argv[1]).read().split(), sys.argv[2]
    utf8, cp1252 = [], []
    for i, name in enumerate(names):
        data = open(name, "rb").read()
        m = title.search(data)
        if not m:
            continue
        moved = data[:m.start()] + data[m.end():] + b"\n" + m.group(0) + b"\n"
        for lst, tag, body in ((utf8, "u", moved), (cp1252, "w", moved.decode(
                "utf-8", "replace").encode("cp1252", "xmlcharrefreplace"))):
            path = os.path.join(out, "%s-%03d.html" % (tag, i))
            open(path, "wb").write(body)
            lst.append(path)
    open(os.path.join(out, "utf8.txt"), "w").write("\n".join(utf8) + "\n")
    open(os.path.join(out, "1252.txt"), "w").write("\n".join(cp1252) + "\n")
    rng = random.Random(17)
    for label, (codec, script) in MULTI.items():
        paths = []
        for i in range(40):
            body = ("<!DOCTYPE html><title>%s</title><p>x" % text_in(codec, script, rng, 32768))
            path = os.path.join(out, "mb-%s-%02d.html" % (label, i))
            open(path, "wb").write(body.encode(codec))
            paths.append(path)
        open(os.path.join(out, "mb-%s.txt" % label), "w").write("\n".join(paths) + "\n")


if __name__ == "__main__":
    main()
