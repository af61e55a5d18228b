"""The tool's messages on standard error, scanned: each line names the command that speaks,
as git's and ip's do ("cafe titles: ...", "cafe queue: ..."; "cafe: ..." only before a
command is known), whichever part of the code printed it (the summary, the output check in
main, a sink, the Redis client). Run by test_messages.sh in a fresh network namespace: every
server named here is on loopback, and the ones refused are ports nothing listens on."""
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE, HeadServer, free_port, http_reply, run_tests  # noqa: E402

tmp = tempfile.mkdtemp(prefix="cafe-messages-")
srv = HeadServer(lambda head: http_reply(b"<title>t</title>"))
URL = srv.url("/a")
DOWN = free_port()  # nothing listens there
LIST = os.path.join(tmp, "list.txt")
with open(LIST, "w") as f:
    f.write(URL + "\n")
UTF16 = os.path.join(tmp, "utf16.txt")
with open(UTF16, "wb") as f:
    f.write("\ufeff".encode("utf-16-le") + (URL + "\n").encode("utf-16-le"))


def few_fds():
    resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))


def stderr_of(args, stdout=subprocess.DEVNULL, **kw):
    """cafe's standard error (text) for args; stdout a file name opens it for writing."""
    if isinstance(stdout, str):
        with open(stdout, "wb") as out:
            return stderr_of(args, out, **kw)
    r = subprocess.run([CAFE, *args], stdout=stdout, stderr=subprocess.PIPE, timeout=120,
                       stdin=subprocess.DEVNULL, **kw)
    return r.returncode, r.stderr.decode(errors="replace")


# (prefix, arguments, keywords for subprocess): each prints at least one message
CASES = [
    ("cafe", ["bogus"], {}),
    ("cafe", ["--bogus"], {}),
    ("cafe titles", ["titles", "--bogus"], {}),
    ("cafe titles", ["titles", os.path.join(tmp, "missing.txt")], {}),
    ("cafe titles", ["titles", "-o", os.path.join(tmp, "no", "dir"), LIST], {}),
    ("cafe titles", ["titles", "-o", "/dev/full", LIST], {}),
    ("cafe titles", ["titles", LIST], {}),  # the summary
    ("cafe titles", ["titles", "-q", LIST], {"stdout": "/dev/full"}),
    ("cafe titles", ["titles", "--json", "-o", LIST, LIST], {}),
    ("cafe titles", ["titles", UTF16], {}),
    ("cafe titles", ["titles", "--retries", "0", LIST], {"preexec_fn": few_fds}),
    ("cafe titles", ["titles", "--queue", f"redis://127.0.0.1:{DOWN}/0?queue=q"], {}),
    ("cafe titles", ["titles", "--queue", "redis://127.0.0.1/0"], {}),
    ("cafe titles", ["titles", "--db", f"postgresql://127.0.0.1:{DOWN}/db", LIST], {}),
    ("cafe titles", ["titles", "--db", "sqlite:" + os.path.join(tmp, "no", "x.db"), LIST], {}),
    ("cafe title", ["title", os.path.join(tmp, "missing.html")], {}),
    ("cafe title", ["title", tmp], {}),
    ("cafe title", ["title", "--help"], {"stdout": "/dev/full"}),
    ("cafe title", ["title", "--charset", "nope"], {}),
    ("cafe demo", ["demo", "extra"], {}),
    ("cafe demo", ["demo", "--version"], {"stdout": "/dev/full"}),
    ("cafe demo", ["demo"], {"stdout": "/dev/full"}),  # stops at its first line
    ("cafe queue", ["queue", "nope"], {}),
    ("cafe queue", ["queue", "push", f"redis://127.0.0.1:{DOWN}/0?queue=q", LIST], {}),
    ("cafe queue", ["queue", "push", f"redis://127.0.0.1:{DOWN}/0?queue=q",
                    os.path.join(tmp, "missing.txt")], {}),
    ("cafe queue", ["queue", "status", f"redis://127.0.0.1:{DOWN}/0?queue=q"], {}),
    ("cafe queue", ["queue", "results", f"redis://127.0.0.1:{DOWN}/0?queue=q", "-o",
                    os.path.join(tmp, "no", "dir")], {}),
    ("cafe queue", ["queue", "--help"], {"stdout": "/dev/full"}),
    ("cafe serve", ["serve", "--listen", "127.0.0.1:99999"], {}),
    ("cafe serve", ["serve", "--version"], {"stdout": "/dev/full"}),
]


def test_every_message_names_its_command():
    # The summary said "cafe: 1 URL in ...", a failed write of standard output "cafe:
    # writing standard output" whatever the command, and a lost database or Redis connection
    # "cafe: ...; reconnecting", between lines saying "cafe titles: ...".
    bad = []
    for prefix, args, kw in CASES:
        rc, err = stderr_of(args, **kw)
        lines = err.splitlines()
        if not lines:
            bad.append((args, "no message"))
        for line in lines:
            if not (line.startswith(prefix + ": ") or
                    line == f"Try '{prefix} --help' for more information."):
                bad.append((args, line))
    assert not bad, "\n".join(map(repr, bad))


def test_file_names_are_quoted_as_coreutils_quotes_them():
    # A file name holding a newline or an escape sequence was printed as it is: the message
    # broke in two, or the terminal obeyed the ESC ("\x1b[31m" turned the rest red). Quoted
    # now as ls and rm quote one (shell-escape), which a shell reads back as the same name.
    name = "it's\n\x1b[31mred \xff\u202e.txt"
    shown = "'it'\\''s'$'\\n\\033''[31mred '$'\\377\\342\\200\\256''.txt'"
    path = os.path.join(tmp.encode(), name.encode().replace("\xff".encode(), b"\xff"))
    missing = os.path.join(tmp.encode(), b"missing", os.path.basename(path))
    with open(path, "wb") as f:
        f.write("\ufeff".encode("utf-16-le") + URL.encode("utf-16-le"))  # refused when opened
    cases = [["titles", missing], ["titles", path], ["titles", "-o", missing, LIST],
             ["titles", "--json", "-o", path, path], ["title", missing],
             ["queue", "push", f"redis://127.0.0.1:{DOWN}/0?queue=q", missing]]
    for args in cases:
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=120)
        err = r.stderr.decode(errors="surrogateescape")
        assert r.returncode == 2, (args, r)
        for line in err.split("\n")[:-1]:  # whole lines, each of the command
            assert line.startswith(("cafe", "Try 'cafe")), (args, err)
            assert not any(c in line for c in "\x1b\r\u202e"), (args, err)
        assert shown[1:] in err, (args, shown, err)  # the path's start is in the quotes
    # the quoted form is the name again for a shell
    back = subprocess.run(["bash", "-c", "printf %s " + shown], capture_output=True)
    assert back.stdout == os.path.basename(path), back.stdout
    # names with nothing to quote stay as they are, as ls shows them
    r = subprocess.run([CAFE, "title", os.path.join(tmp, "b\u00fccher-1.0_x.html")],
                       capture_output=True, timeout=60)
    assert r.stderr.decode() == f"cafe title: {tmp}/b\u00fccher-1.0_x.html: No such file or " \
        "directory\n", r.stderr
    # arguments given where none are taken show their control characters as \xNN
    for args in (["demo", "a\nb"], ["a\x1bb"], ["titles", "--a\x1bb"]):
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=60)
        assert r.returncode == 2 and b"\x1b" not in r.stderr, (args, r.stderr)
        assert r.stderr.count(b"\n") == 2 and b"\\x" in r.stderr, (args, r.stderr)
    # and the characters that reorder a line (U+202E) or are C1 controls (U+009B, a CSI) as
    # \uNNNN, as the text records show them: they reached the terminal as they were
    for args in (["titles", "--a\u202eb"], ["titles", "-c", "1\u009b31m"],
                 ["titles", "-u", "http://x/\u2066\nb"]):
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=60)
        err = r.stderr.decode()
        assert r.returncode == 2 and not any(c in err for c in "\u202e\u009b\u2066"), (args, err)
        assert err.count("\n") == 2 and "\\u" in err, (args, err)
    # in an 8-bit locale every non-ASCII character, as a file name's there: U+00DB is C3 9B,
    # whose 9B such a terminal reads as a CSI, and it reached it as it was
    koi8 = dict(os.environ, LC_ALL="ru_RU.KOI8-R")
    for args, shown in ((["titles", "--scheme", "\u00db[2J\U0001f600"], "'\\u00db[2J\\U0001f600'"),
                        (["b\u00fccher"], "'b\\u00fccher'")):
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=60, env=koi8)
        assert r.returncode == 2 and max(r.stderr) < 0x80, (args, r.stderr)
        assert shown in r.stderr.decode(), (args, r.stderr)


def test_a_demo_that_cannot_start_exits_2():
    # It exited 1, which the man page gives to --fail (some URL failed); an error that
    # stops a command is 2, as cafe titles' are.
    r = subprocess.run([CAFE, "demo"], capture_output=True, timeout=60,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20)))
    assert (r.returncode, r.stdout) == (2, b""), r
    assert r.stderr == b"cafe demo: ulimit -n 20 is too low: the demo needs 91 descriptors\n", r


def test_a_system_error_is_worded_as_the_system_words_it():
    # One error, one wording, whichever message names the file: cafe titles said "cannot
    # read X: no such file or directory" (libuv's words) and "cannot open Y: No such file or
    # directory" (strerror's, as cafe title and coreutils say it).
    gone = os.path.join(tmp, "gone")
    for args in (["titles", gone], ["titles", "-o", os.path.join(gone, "x"), LIST],
                 ["title", gone], ["queue", "push", f"redis://127.0.0.1:{DOWN}/0?queue=q", gone]):
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=60)
        assert r.stderr.endswith(b": No such file or directory\n"), (args, r.stderr)
    # the output's errors too: --resume reading it back said "illegal operation on a
    # directory" where -o's open said "Is a directory"
    for args in (["titles", "-o", tmp, LIST], ["titles", "--json", "--resume", "-o", tmp, LIST],
                 ["titles", tmp], ["title", tmp]):
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=60)
        assert r.returncode == 2 and r.stderr.endswith(b": Is a directory\n"), (args, r.stderr)


def test_a_url_given_where_a_file_goes_says_how_to_give_it():
    # `cafe titles https://example.com/` (as lychee takes URLs) said only "cannot read
    # https://example.com/: No such file or directory", and `cafe title URL` the same: the
    # way to fetch it was left to guess. A missing operand that is a URL says it, once.
    for args, hint in ((["titles", URL], f"give it with -u: cafe titles -u {URL}"),
                       (["titles", LIST, "http://x.example/a b"],
                        "give it with -u: cafe titles -u 'http://x.example/a b'"),
                       (["title", URL], f"cafe title reads files; fetch it with cafe titles "
                        f"-u {URL}")):
        r = subprocess.run([CAFE, *args], capture_output=True, timeout=60)
        err = r.stderr.decode()
        assert (r.returncode, r.stdout) == (2, b""), (args, r)
        assert err.count("\n") == 1 and "No such file or directory" in err, (args, err)
        assert err.endswith(f" (a URL? {hint})\n"), (args, err)
    # a missing file that is no URL gets no hint
    rc, err = stderr_of(["titles", os.path.join(tmp, "missing.txt")])
    assert "a URL?" not in err and rc == 2, err


def few_descriptors(n):
    """Keywords for stderr_of: the run under `ulimit -n n`. In the ASan build LeakSanitizer's
    exit check opens /proc/PID/task, which such a limit refuses: it then fails the run (status
    1, its own words) whatever cafe did, so leak checking is off for these runs."""
    asan = [o for o in os.environ.get("ASAN_OPTIONS", "").split(":") if o] + ["detect_leaks=0"]
    return {"preexec_fn": lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)),
            "env": dict(os.environ, ASAN_OPTIONS=":".join(asan))}


def test_too_few_descriptors_is_said_not_silent_nor_an_abort():
    # Under a tiny `ulimit -n` cafe titles died of SIGABRT (libuv aborts when it cannot make
    # its signal pipe), or exited 2 without a word (no event loop), or fetched with every
    # connect failing on EMFILE as if the network were down ("cannot connect"). It needs its
    # own descriptors plus 3 for one URL (the count it lowers -c by): below that it says so.
    for n in (5, 6, 7, 8, 9, 10, 12, 20):
        rc, err = stderr_of(["titles", "--retries", "0", LIST], **few_descriptors(n))
        assert rc == 2 and err == f"cafe titles: ulimit -n {n} is too low: one URL at a time " \
            "needs 35 descriptors\n", (n, rc, err)
    # the other commands: a message and status 2 when their loop cannot start (cafe serve
    # exited 1 without a word, cafe demo and cafe queue 2 without one); under 6 descriptors
    # libuv aborted (SIGABRT, status 134) when its first loop could not make its signal pipe
    for args in (["demo"], ["serve", "--listen", "127.0.0.1:0"],
                 ["queue", "status", f"redis://127.0.0.1:{DOWN}/0?queue=q"],
                 ["queue", "push", f"redis://127.0.0.1:{DOWN}/0?queue=q", os.devnull]):
        for n in (4, 5, 6, 8):
            rc, err = stderr_of(args, **few_descriptors(n))
            # the limit to raise is named, not left to guess
            assert rc == 2 and err.startswith(f"cafe {args[0]}: ") and \
                (f"Too many open files (ulimit -n {n})\n" in err or
                 f"ulimit -n {n} is too low" in err), (args, n, rc, err)


run_tests(globals(), cleanup=[srv.close])
