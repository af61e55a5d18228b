"""The URL Standard's test data through cafe's URL rules: every case of urltestdata.json (the
web-platform-tests' file, as Debian's librust-url-dev ships it) whose result is an http or
https URL or a failure, read as a list line (no base, or about:blank) or resolved as a
redirect's Location against its http(s) base, must give the standard's href or its failure.

Where cafe departs from a browser on purpose, the case is checked against cafe's rule instead:
- a list line holding a tab or another control character is refused (a tab guards the
  second column of pasted tables; a line is one URL);
- a list line's Unicode host stays as written in the record (the request uses its ASCII
  form): the rest of the URL must match (a redirect's is its ASCII form, as the standard's);
- a label in ASCII form ("xn--") is checked by libidn2 (src/common/url.c says which of its
  checks refuse it), in libidn2's Unicode version;
- libcurl refuses the host characters !"$&'()*+,;=`{}~ that browsers let through.
Exit 77 when the data file is not installed."""
import glob
import json
import os
import subprocess
import sys
import urllib.parse

DATA = sorted(glob.glob("/usr/share/cargo/registry/url-*/tests/urltestdata.json"))
if not DATA:
    print("# no urltestdata.json (Debian package librust-url-dev): skipped")
    sys.exit(77)
PROBE = os.path.join(os.environ["CAFE_BUILD_DIR"], "tests", "url_probe")
CONTROLS = {chr(c) for c in range(0x20)} | {"\x7f"}
CURL_REFUSES = set("!\"$&'()*+,;=`{}~")


def esc(s):
    return "".join("\\\\" if c == "\\" else "\\x%02x" % ord(c) if c in CONTROLS else c
                   for c in s)


def requested(href):
    """href as cafe writes it: the standard's (an empty query or fragment kept)."""
    return href


def cases():
    for case in json.load(open(DATA[-1], encoding="utf-8")):
        if not isinstance(case, dict):
            continue
        want = None if case.get("failure") else case["href"]
        if want is not None and not want.startswith(("http:", "https:")):
            continue
        base, inp = case.get("base"), case["input"]
        if base in (None, "about:blank"):
            if inp.strip(" " + "".join(CONTROLS)).lower().startswith(("http:", "https:")):
                yield "L", inp, None, want
        elif base.startswith(("http:", "https:")):
            yield "R", inp, base, want


def host_of(url):
    return urllib.parse.urlsplit(url).hostname or ""


def judge(mode, inp, want, got):
    """None when got (the probe's line) is right for the case, else what was wanted."""
    ok = got.startswith("OK ")
    url = got[3:] if ok else None
    if mode == "L" and any(c in CONTROLS for c in inp.strip(" ")):
        return None if not ok else "refused (a control character in a list line)"
    if want is None:
        return None if not ok else "refused"
    if not ok:
        raw = urllib.parse.urlsplit(want).netloc
        return None if CURL_REFUSES & set(raw) else requested(want)
    if mode == "L" and host_of(url) != host_of(want) and not host_of(url).isascii():
        rest = urllib.parse.urlsplit(requested(want))._replace(netloc="")
        mine = urllib.parse.urlsplit(url)._replace(netloc="")
        return None if rest == mine else requested(want)
    return None if url == requested(want) else requested(want)


def main():
    todo = list(cases())
    lines = "".join(f"L\t{esc(i)}\n" if m == "L" else f"R\t{esc(b)}\t{esc(i)}\n"
                    for m, i, b, _ in todo)
    out = subprocess.run([PROBE], input=lines.encode(), capture_output=True, check=True)
    got = out.stdout.decode("utf-8", "replace").splitlines()
    assert len(got) == len(todo), (len(got), len(todo))
    bad = 0
    for (mode, inp, base, want), g in zip(todo, got):
        wanted = judge(mode, inp, want, g)
        if wanted is not None:
            bad += 1
            print(f"not ok: {mode} {inp!r} base {base!r}: want {wanted!r}, got {g!r}")
    lists = sum(1 for c in todo if c[0] == "L")
    print(f"# {len(todo)} cases ({lists} list lines, {len(todo) - lists} redirects), "
          f"{bad} wrong ({os.path.dirname(os.path.dirname(DATA[-1]))})")
    return 1 if bad else 0


sys.exit(main())
