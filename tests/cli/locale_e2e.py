"""cafe under the locales that break programs written in the C locale: Turkish (I and i are
not each other's cases there), German (a decimal comma) and Japanese EUC-JP (a multibyte
character set other than UTF-8). Each is generated here with localedef into a temporary
directory (LOCPATH), nothing installed; without localedef the suite is skipped. Run by
test_locale.sh in a fresh network namespace: the servers are on loopback."""
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE, HeadServer, Skip, cafe, http_reply, run_tests  # noqa: E402

tmp = tempfile.mkdtemp(prefix="cafe-locale-")
LOC = os.path.join(tmp, "loc")
if not shutil.which("localedef"):
    print("localedef not found: skipped")
    sys.exit(77)
os.makedirs(LOC)
for name, charset in (("tr_TR", "UTF-8"), ("de_DE", "UTF-8"), ("ja_JP", "EUC-JP")):
    # 1: made, with warnings (as for a charset some of whose characters have no width)
    rc = subprocess.run(["localedef", "-i", name, "-f", charset,
                         os.path.join(LOC, f"{name}.{charset}")], capture_output=True,
                        timeout=300).returncode
    if rc not in (0, 1):
        print(f"localedef {name}.{charset} failed ({rc}): skipped")
        sys.exit(77)
# glibc's locale calls under LOCPATH leak what they load (LeakSanitizer would say so)
ENV = {"LOCPATH": LOC, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
XHTML = b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head></html>'
PAGE = os.path.join(tmp, "page.xhtml")
with open(PAGE, "wb") as f:
    f.write(XHTML)


def shouting(head):
    """Every header name and value in capitals: HTTP says they are case-insensitive."""
    return (b"HTTP/1.1 200 OK\r\nCONTENT-TYPE: APPLICATION/XHTML+XML\r\n"
            b"X-CONTENT-TYPE-OPTIONS: NOSNIFF\r\nCONTENT-LENGTH: %d\r\n"
            b"CONNECTION: CLOSE\r\n\r\n" % len(XHTML) + XHTML)


srv = HeadServer(shouting)


def in_locale(locale, *args, hide_c_utf8=False):
    """cafe args with LC_ALL=locale; hide_c_utf8: in a mount namespace of its own whose
    /usr/lib/locale is empty, as on a system without C.UTF-8 (a glibc before 2.35)."""
    env = dict(os.environ, LC_ALL=locale, **ENV)
    if not hide_c_utf8:
        return cafe(*args, env=env)
    cmd = ["unshare", "--mount", "sh", "-c",
           'mount -t tmpfs none /usr/lib/locale && exec "$0" "$@"', CAFE, *args]
    r = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
    if r.returncode != 0 and (b"unshare" in r.stderr or b"mount:" in r.stderr):
        raise Skip("no mount namespace here: " + r.stderr.decode(errors="replace"))
    return r


def titles_of(r):
    assert r.returncode == 0, r.stderr
    return [json.loads(l)["title"] for l in r.stdout.splitlines()]


def test_turkish_i_folds_as_ascii():
    # With C.UTF-8 missing, the user's locale was the tool's LC_CTYPE: in tr_TR "I" is not
    # "i" in capitals, so "APPLICATION/XHTML+XML" was no XML type (--type refused it, a
    # server's page had no title) and "NOSNIFF" no nosniff.
    for hide in (False, True):
        r = in_locale("tr_TR.UTF-8", "title", "--type", "APPLICATION/XHTML+XML", PAGE,
                      hide_c_utf8=hide)
        assert (r.returncode, r.stdout) == (0, b"x\n"), (hide, r)
        r = in_locale("tr_TR.UTF-8", "titles", "-q", "--json", "--scheme", "HTTP", "-u",
                      srv.url("/a"), hide_c_utf8=hide)
        assert titles_of(r) == ["x"], (hide, r.stdout)


def test_decimal_comma_locale_reads_and_writes_points():
    # de_DE writes 1,5: options, the summary's seconds and records keep the point
    r = in_locale("de_DE.UTF-8", "titles", "--json", "--timeout", "1.5", "--rate", "100.5",
                  "-u", srv.url("/b"))
    assert titles_of(r) == ["x"], r.stdout
    assert re.search(rb"^cafe titles: 1 URL in \d+\.\d\d s: 1 ok", r.stderr), r.stderr
    r = in_locale("de_DE.UTF-8", "titles", "--timeout", "1,5", "-u", srv.url("/c"))
    assert r.returncode == 2 and b"--timeout" in r.stderr, r


def test_a_non_utf8_multibyte_locale_gets_the_same_records():
    # EUC-JP: the records (to a file or pipe) are UTF-8 as ever; the URL line is read as UTF-8
    r = in_locale("ja_JP.EUC-JP", "titles", "-q", "--json", "-u", srv.url("/\u65e5"))
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["url"] == srv.url("/%E6%97%A5") and rec["title"] == "x", rec


def on_a_terminal(locale, *args):
    """What cafe args writes to a terminal (stdout and stderr) with LC_ALL=locale."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(LC_ALL=locale, **ENV)
        os.execv(CAFE, [CAFE, *args])
    out = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child has gone
            break
        if not data:
            break
        out += data
    os.waitpid(pid, 0)
    return out


def test_a_terminal_of_another_multibyte_set_gets_ascii():
    # EUC-JP reads UTF-8 as other characters (and C3 9B, U+00DB, leaves a 9B, CSI, to
    # some terminals): every non-ASCII character is written \\uNNNN there, as in KOI8-R
    srv2 = HeadServer(lambda head: http_reply("<meta charset=utf-8><title>\u65e5 \u00db[2J"
                                              "</title>".encode()))
    shown = on_a_terminal("ja_JP.EUC-JP", "titles", "-q", "-u", srv2.url("/"))
    srv2.close()
    assert max(shown) < 0x80 and b"'\\u65e5 \\u00db[2J' from" in shown, shown


run_tests(globals(), cleanup=[srv.close, lambda: shutil.rmtree(tmp, ignore_errors=True)])
