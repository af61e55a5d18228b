#!/bin/sh
# `cafe title`: one line per file (empty when no title), charsets, stdin, unreadable files.
set -eu
cafe="$CAFE_BUILD_DIR/src/cli/cafe"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
printf '<title>Hello\n  world</title><p>rest' >"$tmp/a.html"
printf '<p>no title here' >"$tmp/none.html"
printf '<meta charset=koi8-r><title>\360\322\311\327\305\324</title>' >"$tmp/koi8.html"
printf '<svg><title>not this</title></svg><title>but &amp; this</title>' >"$tmp/svg.html"
out=$("$cafe" title "$tmp/a.html" "$tmp/none.html" "$tmp/koi8.html" "$tmp/svg.html")
[ "$out" = "Hello world

Привет
but & this" ] || fail "titles: $out"
# a title longer than the 4096 bytes kept: its line is those bytes, and standard error says it
# was cut there (it said nothing: the line read as the page's whole title); exit status 0
python3 -c 'import sys; sys.stdout.write("<title>" + "ab " * 2000 + "</title>")' >"$tmp/long.html"
out=$("$cafe" title "$tmp/long.html" "$tmp/a.html" 2>"$tmp/err")
[ "$(printf '%s\n' "$out" | head -1 | wc -c)" = 4097 ] || fail "long title: $(printf '%s' "$out" | wc -c) bytes"
[ "$(printf '%s\n' "$out" | tail -1)" = "Hello world" ] || fail "long title: $out"
[ "$(cat "$tmp/err")" = "cafe title: $tmp/long.html: title cut at 4096 bytes, the longest kept" ] ||
    fail "long title: stderr $(cat "$tmp/err")"
"$cafe" title "$tmp/a.html" 2>"$tmp/err" >/dev/null
[ ! -s "$tmp/err" ] || fail "short title: stderr $(cat "$tmp/err")"
# stdin, and the transport charset a server would send
out=$(printf '<title>\317\360\350\342\345\362</title>' | "$cafe" title --charset windows-1251)
[ "$out" = "Привет" ] || fail "stdin + --charset: $out"
# an unreadable file: named on stderr, exit 2, the other files still done
set +e
out=$("$cafe" title "$tmp/missing.html" "$tmp/a.html" 2>"$tmp/err")
rc=$?
set -e
[ $rc = 2 ] || fail "exit status $rc"
[ "$out" = "Hello world" ] || fail "other file not done: $out"
grep -q "missing.html" "$tmp/err" || fail "unreadable file not named"
# a directory opens but cannot be read: the reason is said, as cat says it
set +e
out=$("$cafe" title "$tmp" "$tmp/a.html" 2>"$tmp/err")
rc=$?
set -e
[ $rc = 2 ] && [ "$out" = "Hello world" ] || fail "directory: exit $rc, output $out"
grep -q "$tmp: Is a directory" "$tmp/err" || fail "directory: $(cat "$tmp/err")"
# standard input is named so, as cafe titles names it, not "-" (a directory there, a cut)
set +e
"$cafe" title <"$tmp" 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] && [ "$(cat "$tmp/err")" = "cafe title: standard input: Is a directory" ] ||
    fail "directory on stdin: exit $rc, $(cat "$tmp/err")"
printf '<title>abcdef' | "$cafe" title --max-bytes 5 2>"$tmp/err" >/dev/null
[ "$(cat "$tmp/err")" = "cafe title: standard input: cut at --max-bytes 5 before any title" ] ||
    fail "cut stdin: $(cat "$tmp/err")"
# a file that cannot be opened for want of permission (EACCES): named with the reason, the
# others done, status 2; no line for it on standard output (as cat, grep, md5sum: an empty
# line would read as a page without a title). As root the check runs as nobody (setpriv).
printf '<title>secret</title>' >"$tmp/noperm.html"
chmod 000 "$tmp/noperm.html"
as=""
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null && as="setpriv --reuid=65534 --regid=65534 --clear-groups"
    chmod 755 "$tmp" && chmod 644 "$tmp/a.html"
    [ -n "$as" ] && ! $as "$cafe" --version >/dev/null 2>&1 && as="" # nobody cannot run it
fi
if [ "$(id -u)" != 0 ] || [ -n "$as" ]; then
    set +e
    out=$($as "$cafe" title "$tmp/noperm.html" "$tmp/a.html" 2>"$tmp/err")
    rc=$?
    set -e
    [ $rc = 2 ] && [ "$out" = "Hello world" ] || fail "EACCES: exit $rc, output $out"
    grep -q "$tmp/noperm.html: Permission denied" "$tmp/err" || fail "EACCES: $(cat "$tmp/err")"
fi
# a title with control characters cannot reach the terminal as an escape sequence
printf '<title>a\033[2Jb</title>' >"$tmp/esc.html"
[ "$("$cafe" title "$tmp/esc.html")" = 'a\x1b[2Jb' ] || fail "escape sequence printed raw"
# a reader gone (`cafe title *.html | head -1`): it stops at once and ends by SIGPIPE,
# quietly, as grep or cat would, not read every other file and then say "Broken pipe". A FIFO with no writer after
# the first file would hold it for ever if it went on.
mkfifo "$tmp/fifo"
out=$(python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, timeout=20)
print(p.returncode, repr(p.stderr))' "$cafe" title "$tmp/a.html" "$tmp/fifo") ||
    fail "closed pipe: still reading (or the check failed): $out"
[ "$out" = "-13 b''" ] || fail "closed pipe: $out"
# a standard input left non-blocking by another program (the flag is the open pipe's): read
# when it has something, as cafe titles reads it, not "Resource temporarily unavailable"
out=$(python3 -c '
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(r)
for _ in range(30000):  # until it waits for input (state S) or gave up; bounded, 60 s
    with open(f"/proc/{p.pid}/stat") as f:
        if f.read().rsplit(")", 1)[1].split()[0] == "S" or p.poll() is not None:
            break
    os.sched_yield() if _ % 8 else __import__("select").select([], [], [], 0.002)
try:
    os.write(w, b"<title>late</title>")
except BrokenPipeError:
    pass
os.close(w)
out, err = p.communicate(timeout=60)
print(p.returncode, out, err)' "$cafe" title)
[ "$out" = "0 b'late\\n' b''" ] || fail "non-blocking stdin: $out"
# a standard output left non-blocking (the pipe's flag, shared): a full pipe failed the line
# with "Resource temporarily unavailable" and exit 2 after a few files; it waits for the
# reader, as cafe titles' output does
printf '<title>%04096d</title>' 7 >"$tmp/long.html"
out=$(python3 -c '
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:] + [sys.argv[-1]] * 99, stdout=w, stderr=subprocess.PIPE)
os.close(w)
for _ in range(30000):  # until the pipe is full and it waits (state S) or gave up; 60 s
    with open(f"/proc/{p.pid}/stat") as f:
        if f.read().rsplit(")", 1)[1].split()[0] == "S" or p.poll() is not None:
            break
    os.sched_yield() if _ % 8 else __import__("select").select([], [], [], 0.002)
data = b""
while d := os.read(r, 65536):
    data += d
p.wait(timeout=60)
print(p.returncode, data.count(b"\n"), p.stderr.read())' "$cafe" title "$tmp/long.html")
[ "$out" = "0 100 b''" ] || fail "non-blocking stdout: $out"
# a --charset no browser knows is a mistake to say, as iconv -f says it, not a silent
# fallback to detection; a Content-Type value (what a server sends) is taken
for label in bogus latn1 ''; do
    set +e
    "$cafe" title --charset "$label" "$tmp/a.html" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    [ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -q -- "--charset" "$tmp/err" ||
        fail "--charset '$label': exit $rc, $(cat "$tmp/err")"
done
out=$("$cafe" title --charset 'text/html; charset=KOI8-R' "$tmp/koi8.html" "$tmp/a.html")
[ "$out" = "Привет
Hello world" ] || fail "--charset with a Content-Type value: $out"
# ...read as the HTTP client reads a Content-Type header: a quoted value unescaped, a list's
# last type giving the charset (--no-detect: the charset alone decides)
printf '<title>\317\360\350\342\345\362</title>' >"$tmp/cp1251.html"
for value in 'text/html; charset="win\dows-1251"' \
    'text/html; charset=koi8-r, text/html; charset=windows-1251'; do
    out=$("$cafe" title --no-detect --charset "$value" "$tmp/cp1251.html" 2>&1) || true
    [ "$out" = "Привет" ] || fail "--charset '$value': $out"
done
# standard input a terminal: said once, as cafe titles says it (the command seemed to
# hang, waiting for a page typed in); and one Ctrl-D at a line's start ends the input, as
# for cat (it took a second one: the read after the end of input waited again)
out=$(python3 -c '
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen, typed, deadline = b"", False, time.monotonic() + 30
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 2)
    if not r and not typed:  # no word: type anyway
        os.write(fd, b"<title>typed</title>\n\x04")
        typed = True
        continue
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    seen += data
    if b"Ctrl-D ends" in data and not typed:
        os.write(fd, b"<title>typed</title>\n\x04")
        typed = True
for _ in range(100):  # 5 s to end after the one Ctrl-D
    if os.waitpid(pid, os.WNOHANG)[0]:
        break
    time.sleep(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    seen += b" STILL RUNNING"
print(repr(seen))' "$cafe" title)
case "$out" in
*"cafe title: reading HTML from the terminal; Ctrl-D ends"*typed*RUNNING*) fail "one Ctrl-D: $out" ;;
*"cafe title: reading HTML from the terminal; Ctrl-D ends"*typed*) ;;
*) fail "terminal input: $out" ;;
esac
"$cafe" title --bogus 2>/dev/null && fail "unknown option accepted"
# XML by the file's extension, as Chromium and Firefox choose for file:// URLs (.xhtml, .xht,
# .xhtm, .xml and .svg, any case; .html, .htm and the rest HTML, as Firefox reads unknown
# ones): the XML parser gives "TX" (the comment is no text), the HTML one "T<!--c-->X".
page='<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T<!--c-->X</title></head></html>'
for f in a.xhtml a.xht a.xhtm a.xml b.XML a.svg a.htm a.html a.html.xml a.xml.html a.foo noext; do
    printf '%s' "$page" >"$tmp/$f"
done
out=$("$cafe" title "$tmp/a.xhtml" "$tmp/a.xht" "$tmp/a.xhtm" "$tmp/a.xml" "$tmp/b.XML" \
    "$tmp/a.svg" "$tmp/a.html.xml" "$tmp/a.htm" "$tmp/a.html" "$tmp/a.xml.html" "$tmp/a.foo" \
    "$tmp/noext" | tr '\n' ' ')
[ "$out" = "TX TX TX TX TX TX TX T<!--c-->X T<!--c-->X T<!--c-->X T<!--c-->X T<!--c-->X " ] ||
    fail "by extension: $out"
# standard input has none: HTML, unless --type says otherwise, as a server's Content-Type would
# (its charset too, unless --charset gives one); --type overrides an extension
[ "$(printf '%s' "$page" | "$cafe" title)" = "T<!--c-->X" ] || fail "stdin: not HTML"
[ "$(printf '%s' "$page" | "$cafe" title --type application/xhtml+xml)" = "TX" ] ||
    fail "stdin --type"
out=$("$cafe" title --type 'Text/HTML; charset=utf-8' "$tmp/a.xml" "$tmp/a.html" | tr '\n' ' ')
[ "$out" = "T<!--c-->X T<!--c-->X " ] || fail "--type text/html over .xml: $out"
printf '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><title>\360\322</title></html>' \
    >"$tmp/k.xml"
[ "$("$cafe" title --type 'text/xml; charset=koi8-r' "$tmp/k.xml")" = "Пр" ] ||
    fail "--type charset"
[ "$("$cafe" title --type 'text/xml; charset=koi8-r' --charset windows-1251 "$tmp/k.xml")" = \
    "рТ" ] || fail "--charset over --type's charset"
# not a MIME type: said, exit 2, as an unknown --charset is
set +e
"$cafe" title --type xml "$tmp/a.xml" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] && grep -q "application/xml" "$tmp/err" || fail "--type xml: exit $rc, $(cat "$tmp/err")"
# nor is a list or anything else than one type/subtype (then ;parameters): 'text/html,x' was
# taken, matched no type, and every file gave an empty line with exit 0
printf '<title>one type</title>' >"$tmp/one.html"
for bad in 'text/html,x' 'text/html, application/xml' 'text/' '/html' 'text/html x' \
    'text/ html' 'text/html/x' 'text/h"tml'; do
    set +e
    out=$("$cafe" title --type "$bad" "$tmp/one.html" 2>"$tmp/err")
    rc=$?
    set -e
    [ $rc = 2 ] && [ -z "$out" ] && grep -qF "cafe title: --type: not a MIME type" "$tmp/err" ||
        fail "--type '$bad': exit $rc, '$out', $(cat "$tmp/err")"
done
for good in ' text/html ; charset=utf-8' 'text/html;charset="utf-8"' 'TEXT/HTML'; do
    [ "$("$cafe" title --type "$good" "$tmp/one.html")" = "one type" ] || fail "--type '$good'"
done
[ "$("$cafe" title --type 'application/xhtml+xml' "$tmp/a.xml")" = "TX" ] || fail "--type xhtml"
# a type no browser shows a title for (an image, plain text, JSON, a feed) is refused, as
# cafe titles says "not HTML (image/png)" for such a response: every file gave an empty line,
# exit 0, without a word why
for other in image/png text/plain 'application/json; charset=utf-8' application/rss+xml; do
    set +e
    out=$("$cafe" title --type "$other" "$tmp/one.html" 2>"$tmp/err")
    rc=$?
    set -e
    [ $rc = 2 ] && [ -z "$out" ] && grep -qF "cafe title: --type: not HTML" "$tmp/err" &&
        grep -qF "'$other'" "$tmp/err" || fail "--type '$other': exit $rc, '$out', $(cat "$tmp/err")"
done
# a page not well-formed before its title: an empty line, and why on stderr (exit 0)
printf '<html xmlns="http://www.w3.org/1999/xhtml">\n<title>a</b></title></html>' >"$tmp/bad.xml"
out=$("$cafe" title "$tmp/bad.xml" "$tmp/a.xml" 2>"$tmp/err" | tr '\n' ' ')
[ "$out" = " TX " ] || fail "not well-formed: $out"
grep -qF "bad.xml: not well-formed XML (line 2, column 11: mismatched tag)" "$tmp/err" ||
    fail "not well-formed: $(cat "$tmp/err")"
# a file without end (/dev/zero, a FIFO fed for ever) or a huge one: read at most --max-bytes,
# as cafe titles reads a page (it read for ever); the line is what was read, and a cut before
# the title ended is said on stderr in titles' words, exit 0 as there (no failure)
out=$(timeout 60 "$cafe" title /dev/zero 2>"$tmp/err") || fail "/dev/zero: still reading (or failed)"
[ "$out" = "" ] && [ "$(cat "$tmp/err")" = "cafe title: /dev/zero: cut at --max-bytes 2097152 before any title" ] ||
    fail "/dev/zero: '$out', $(cat "$tmp/err")"
printf '<title>Hello\n  world</title><p>rest' >"$tmp/cut.html"
out=$(timeout 60 "$cafe" title --max-bytes 10 "$tmp/cut.html" "$tmp/one.html" 2>"$tmp/err") ||
    fail "--max-bytes 10: failed"
[ "$out" = "Hel
one" ] && [ "$(cat "$tmp/err")" = "cafe title: $tmp/cut.html: cut at --max-bytes 10 before the end of the title
cafe title: $tmp/one.html: cut at --max-bytes 10 before the end of the title" ] ||
    fail "--max-bytes 10: '$out', $(cat "$tmp/err")"
# an XML file cut is said once, as cafe titles' record says it: the cut, not the "no element
# found" the cut made
printf '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Hello</title></head></html>' \
    >"$tmp/cut.xhtml"
out=$("$cafe" title --max-bytes 20 "$tmp/cut.xhtml" 2>"$tmp/err")
[ "$out" = "" ] && [ "$(cat "$tmp/err")" = "cafe title: $tmp/cut.xhtml: cut at --max-bytes 20 before any title" ] ||
    fail "cut XML: '$out', $(cat "$tmp/err")"
# a file of exactly N bytes is whole: not cut
out=$("$cafe" title --max-bytes 23 "$tmp/one.html" 2>"$tmp/err")
[ "$out" = "one type" ] && [ ! -s "$tmp/err" ] || fail "exactly N bytes: '$out', $(cat "$tmp/err")"
# standard input fed for ever: the same bound; a title read whole before it is the line, with
# nothing to say (it ended before the cut); a title known early stops the reading at once
out=$( (printf '<title>early</title>'; cat /dev/zero) | timeout 60 "$cafe" title 2>"$tmp/err") ||
    fail "endless stdin: still reading (or failed)"
[ "$out" = "early" ] && [ ! -s "$tmp/err" ] || fail "endless stdin: '$out', $(cat "$tmp/err")"
out=$( (printf '<title>early</title><body>'; yes '<p>more') | timeout 60 "$cafe" title --max-bytes 1000000000000 2>&1) ||
    fail "early title: still reading (or failed)"
[ "$out" = "early" ] || fail "early title: $out"
echo "1 passed, 0 failed"
