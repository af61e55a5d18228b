"""Options end to end (issue 15 items 10-12): bad values are refused at start with exit
status 2 and a message naming the option; nothing CR/LF-bearing goes on the wire; every
subcommand takes -h/--help. Run by test_options.sh."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "util"))
from harness import CAFE, HeadServer, cafe, http_reply, run_tests  # noqa: E402

tmp = tempfile.mkdtemp(prefix="cafe-options-")
LIST = os.path.join(tmp, "one.txt")
with open(LIST, "w") as f:
    f.write("http://127.0.0.1:9/\n")


def refused(args, *words, env=None):
    r = cafe("titles", *args, LIST, env=env)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 2, (args, r.returncode, err)
    assert r.stdout == b"", (args, r.stdout)
    for w in words:
        assert w in err, (args, w, err)
    assert "\r" not in err and err.count("\n") == 2, (args, err)  # one line + the hint
    return err


def test_bad_global_options_fail_at_start():
    # item 10: these used to be accepted, then every URL failed and the exit status was 0
    refused(["--resolve", "x:99999:1.2.3.4"], "--resolve", "port")
    refused(["--resolve", "x:80:not-an-address"], "--resolve")
    refused(["--resolve", "nocolons"], "--resolve")
    refused(["--cacert", os.path.join(tmp, "missing.pem")], "--cacert", "no such file")
    refused(["--cacert", tmp], "--cacert", "directory")
    # a file that holds no certificate (the key by mistake, a DER file, an empty one) was
    # taken, then every HTTPS URL failed "cannot load the CA certificates" and the status
    # was 0: refused at start as a missing one is
    for name, data in (("key.pem", b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY"
                        b"-----\n"), ("der.crt", b"\x30\x82\x01\x0a" * 64), ("empty.pem", b"")):
        bad = os.path.join(tmp, name)
        with open(bad, "wb") as f:
            f.write(data)
        refused(["--cacert", bad], "--cacert", "no PEM certificate (BEGIN CERTIFICATE)")
    pem = os.path.join(tmp, "ca.pem")
    with open(pem, "wb") as f:  # a bundle: text, then its certificates
        f.write(b"# my CA\n" + b"x" * 70000 + b"\n-----BEGIN CERTIFICATE-----\nMIIB\n"
                b"-----END CERTIFICATE-----\n")
    r = cafe("titles", "-q", "--cacert", pem, "--retries", "0", LIST)
    assert r.returncode == 0, r.stderr
    # the good spellings still pass
    good = cafe("titles", "-q", "--json", "--resolve", "x:80:127.0.0.1,[::1]",
                "--timeout", "0.5", "--retries", "0", LIST)
    assert good.returncode == 0, good.stderr


def test_no_private_through_a_proxy_is_refused_at_start():
    # --no-private checks the address cafe connects to: through a proxy, the proxy's, never
    # the URL's (the proxy resolves and connects). A loopback or private proxy (a local or a
    # company one) failed every URL with "refused to connect to" the proxy's address, as if
    # it were the URL's, and exit 0; a public one let every URL through, 10.0.0.1 and
    # 127.0.0.1 included, for the proxy to fetch: a check that checked nothing. Refused at
    # start, for -x and curl's variables alike; -x '' (direct), no_proxy=* and HTTP_PROXY
    # (which curl ignores) leave the check as it was.
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for args, extra in ((["-x", "http://127.0.0.1:9"], {}),
                        (["-x", "socks5h://198.51.100.1:1080"], {}),
                        ([], {"http_proxy": "http://127.0.0.1:9"}),
                        ([], {"HTTPS_PROXY": "http://198.51.100.1:3128"}),
                        ([], {"all_proxy": "socks5h://127.0.0.1:9", "no_proxy": "localhost"})):
        r = cafe("titles", "--no-private", *args, LIST, env={**env, **extra})
        err = r.stderr.decode(errors="replace")
        assert r.returncode == 2 and r.stdout == b"", (args, extra, r.returncode, err)
        assert "--no-private" in err and "proxy" in err and err.count("\n") == 2, err
    for args, extra in ((["-x", ""], {"http_proxy": "http://127.0.0.1:9"}),
                        ([], {"http_proxy": "http://127.0.0.1:9", "no_proxy": "*"}),
                        ([], {"HTTP_PROXY": "http://127.0.0.1:9"})):
        r = cafe("titles", "-q", "--json", "--no-private", "--retries", "0", *args, LIST,
                 env={**env, **extra})
        assert r.returncode == 0, (args, extra, r.stderr)
        rec = json.loads(r.stdout)
        assert rec["error"].startswith("refused to connect to 127.0.0.1:"), rec  # the URL's


def test_bad_proxy_fails_at_start():
    # These were taken, then every URL failed with "cannot resolve the proxy's name:
    # Unsupported proxy syntax" and the exit status was 0; curl -x says so at once.
    for v in ("bad://", "ftp://127.0.0.1:21", "http://127.0.0.1:99999", "http://", "http://a b"):
        refused(["-x", v], "-x/--proxy")
    # port 0 too: curl takes it, and every URL failed to connect to it
    for v in ("http://127.0.0.1:0", "socks5h://127.0.0.1:00", "127.0.0.1:0"):
        refused(["-x", v], "-x/--proxy", "the port must be from 1 to 65535")
    for v in ("", "127.0.0.1:9", "http://u:p@127.0.0.1:9", "socks5h://[::1]:9", "HTTPS://h"):
        r = cafe("titles", "-q", "--json", "-x", v, "--timeout", "0.5", "--retries", "0", LIST)
        assert r.returncode == 0 and json.loads(r.stdout)["error"], (v, r.stderr)
    # The same values from curl's variables were taken, then every URL failed ("cannot
    # resolve the proxy's name: Unsupported proxy syntax", counted as DNS failures) and the
    # run exited 0: refused at start too, naming the variable, which -x '' sets aside.
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        for v in ("::bogus", "ftp://127.0.0.1:21", "http://127.0.0.1:0"):
            err = refused([], f"{var}: ", v, "-x ''", env=dict(base, **{var: v}))
            assert "-x/--proxy" not in err, err
        r = cafe("titles", "-q", "--json", "-x", "", "--timeout", "0.5", "--retries", "0", LIST,
                 env=dict(base, **{var: "::bogus"}))
        assert r.returncode == 0 and "proxy" not in json.loads(r.stdout)["error"], r.stderr
        # no_proxy='*' sends nothing through it, as curl
        r = cafe("titles", "-q", "--json", "--timeout", "0.5", "--retries", "0", LIST,
                 env=dict(base, no_proxy="*", **{var: "::bogus"}))
        assert r.returncode == 0 and "proxy" not in json.loads(r.stdout)["error"], r.stderr
    # A proxy's password was in the message of a bad -x or variable, for a CI log to keep:
    # -x's value is not shown now (as --queue's is not), a variable's is with its password
    # as *** (as the runs table of a database keeps -x).
    for v in ("http://user:s3cret@[::1", "ftp://user:s3cret@h:1", "user:s3cret@h:0"):
        err = refused(["-x", v], "-x/--proxy: ")
        assert "s3cret" not in err and "user" not in err, err
        masked = v.replace("s3cret", "***")
        err = refused([], "http_proxy: ", masked, env=dict(base, http_proxy=v))
        assert "s3cret" not in err, err
        r = cafe("serve", "--listen", "127.0.0.1:0", "--allow-private",
                 env=dict(base, http_proxy=v))
        err = r.stderr.decode()
        assert r.returncode == 2 and "http_proxy: " in err and masked in err, err
        assert "s3cret" not in err, err
    # HTTP_PROXY is not read (curl reads http_proxy in lower case only, against httpoxy)
    r = cafe("titles", "-q", "--json", "--timeout", "0.5", "--retries", "0", LIST,
             env=dict(base, HTTP_PROXY="::bogus"))
    assert r.returncode == 0 and "proxy" not in json.loads(r.stdout)["error"], r.stderr
    for v in ("127.0.0.1:9", "http://u:p@127.0.0.1:9", "socks5h://[::1]:9"):
        r = cafe("titles", "-q", "--json", "--timeout", "0.5", "--retries", "0", LIST,
                 env=dict(base, http_proxy=v))
        assert r.returncode == 0 and json.loads(r.stdout)["error"], (v, r.stderr)


def test_a_bad_db_spec_never_shows_its_password():
    # --db mysql://u:pw@h/x was echoed whole in the usage error, password and all, for a CI
    # log or a shell history to keep: --db is now a secret value, as -x and --queue are
    # (its runs-table copy was already masked).
    spec = "mysql://user:s3cret@127.0.0.1/x"
    err = refused(["--db", spec], "--db: expected sqlite:PATH or postgresql://")
    assert "s3cret" not in err and "user" not in err, err
    for cmd in (("queue", "results"), ("serve", "--listen", "127.0.0.1:0")):
        r = cafe(*cmd, "--db", spec)
        err = r.stderr.decode(errors="replace")
        assert r.returncode == 2 and "--db: expected" in err, (cmd, err)
        assert "s3cret" not in err, (cmd, err)


def test_a_db_uri_libpq_cannot_read_says_it_is_the_database_uri():
    # libpq's words alone ("invalid URI query parameter: "tabl"") named neither --db nor
    # cafe's own ?table=; they are refused before any connection, password unshown.
    r = cafe("titles", "--db", "postgresql://u:s3cret@127.0.0.1:9/db?tabl=x", LIST)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 2, err
    assert "the database URI is not valid: " in err and '"tabl"' in err, err
    assert "?table=NAME" in err and "s3cret" not in err, err


def test_numbers_are_whole_and_in_range_and_named():
    for v in ("0", "0.5", "1.9", "0x10", " 5", "1e3", "-1", "+5", "nan", "", "100001"):
        refused(["-c", v], "-c/--concurrency", "whole number")
    refused(["--per-host", "2.5"], "--per-host")
    for v in ("0", "257", "1.5"):
        refused(["--threads", v], "--threads")
    refused(["--retries", "1.5"], "--retries")
    refused(["--max-bytes", "1e6"], "--max-bytes")
    refused(["--host-interval", "0.5"], "--host-interval")
    refused(["--rate", "0"], "--rate")  # the message says positive: so is the check
    refused(["--timeout", "0"], "--timeout")
    refused(["--timeout", "1e1"], "--timeout")
    for v in (".", "1..5", "1.2.3"):
        refused(["--timeout", v], "--timeout")
    # ".5" and "5." are numbers from 0.001 up: the message refusing them said so itself
    for v in (".5", "5."):
        ok = cafe("titles", "-q", "--timeout", v, "--retries", "0", LIST)
        assert ok.returncode == 0, (v, ok.stderr)
    ok = cafe("titles", "-q", "-c", "7", "--rate", "2.5", "--timeout", "0.5", "--retries", "0",
              "--max-bytes", "1000", LIST)
    assert ok.returncode == 0, ok.stderr


def test_conflicting_and_orphan_options():
    refused(["--json", "--csv"], "--json, --csv and --csv-safe cannot")
    refused(["--csv", "--csv-safe"], "--json, --csv and --csv-safe cannot")
    refused(["--lease", "5"], "--lease needs --queue")
    refused(["--follow"], "--follow needs --queue")
    refused(["--resume"], "--resume needs -o")
    # --sync is one URL at a time: a -c or --threads given with it was dropped without a word
    for extra in (["-c", "50"], ["--threads", "4"], ["-c", "8", "--threads", "2"]):
        refused(["--sync", *extra], "--sync fetches one URL at a time: -c and --threads")
    r = cafe("titles", "-q", "--sync", "-c", "1", "--threads", "1", LIST)  # no conflict
    assert r.returncode == 0 and r.stderr == b"", r
    # with --queue the records go to Redis: "--resume needs -o FILE" sent the user to an
    # option --queue refuses as well; the queue's own message names --resume
    err = refused(["--queue", "redis://127.0.0.1:9/0?queue=q", "--resume"], "--queue takes")
    assert "--resume" in err and "needs -o" not in err, err
    refused(["--bogus"], "unknown option: --bogus")
    refused(["-Z"], "unknown option: -Z")
    refused(["--json=1"], "--json takes no value")
    # a database by -o is named as given: the message spoke of a --db nobody typed
    db = os.path.join(tmp, "x.db")
    err = refused(["-o", db, "--json"], f"-o {db} writes a database")
    assert "--db" not in err, err
    refused(["--db", "sqlite:" + db, "--csv"], "--db replaces")
    assert not os.path.exists(db)  # refused before anything was made
    r = cafe("titles", LIST, "-c")  # options may follow the file, as with getopt
    assert r.returncode == 2 and b"-c/--concurrency needs a value" in r.stderr, r.stderr


def test_an_abbreviated_long_option_is_refused_naming_the_options_it_begins():
    # getopt_long (and curl 7) take --conc for --concurrency; cafe does not, so that a new
    # option never makes a script's abbreviation mean another one (or none), but it said
    # only "unknown option: --conc", which told a GNU user nothing of the rule or the name
    err = refused(["--conc", "5"], "unknown option: --conc (long options are written whole: "
                  "--concurrency)")
    err = refused(["--max=3"], "unknown option: --max (long options are written whole: ")
    assert "--max-redirects" in err and "--max-bytes" in err, err
    refused(["--bogus"], "unknown option: --bogus\n")  # a prefix of none: nothing to name
    r = cafe("title", "--no-det", os.devnull)
    assert r.returncode == 2 and b"written whole: --no-detect)" in r.stderr, r.stderr


def test_a_mistyped_option_or_command_names_the_one_meant():
    # "unknown option: --concurency" left the user to find the spelling in 97 lines of
    # --help; git ("The most similar command is"), cargo and clap name the near one
    refused(["--concurency", "5"], "unknown option: --concurency (did you mean --concurrency?)")
    refused(["--per_host=2"], "unknown option: --per_host (did you mean --per-host?)")
    refused(["--jsno"], "(did you mean --json?)")  # two letters swapped: one edit
    refused(["--bogus"], "unknown option: --bogus\n")  # like no name: nothing suggested
    for args, want in ((["title", "--maxbytes", "3"], "cafe title: unknown option: --maxbytes "
                        "(did you mean --max-bytes?)"),
                       (["serve", "--lisen", "x"], "(did you mean --listen?)"),
                       (["--verison"], "cafe: unknown option: --verison (did you mean --version?)"),
                       (["titels", "x"], "cafe: unknown command 'titels' (did you mean 'titles'?)"),
                       (["tile"], "unknown command 'tile' (did you mean 'title'?)"),
                       (["TITLES"], "unknown command 'TITLES' (did you mean 'titles'?)"),
                       (["titles", "--JSON"], "(did you mean --json?)"),
                       (["help", "tittles"], "unknown command 'tittles' (did you mean 'titles'?)"),
                       (["verison"], "unknown command 'verison' (did you mean --version?)"),
                       (["foo"], "cafe: unknown command 'foo'\n"),
                       # not "unknown option: --", which reads as the end of the options
                       (["titles", "-q-"], "cafe titles: unknown option: '-' inside -q-\n"),
                       (["titles", "--=x"], "unknown option: no name between -- and =\n")):
        r = cafe(*args)
        assert r.returncode == 2 and want.encode() in r.stderr, (args, r)


def test_an_option_of_the_other_title_command_names_that_command():
    # `cafe title -u URL` (title for titles) said only "unknown option: -u", which did not
    # tell the user that the command one letter longer fetches URLs
    for args, want in ((["title", "-u", "http://127.0.0.1:9/"], "cafe title: unknown option: -u "
                        "(an option of cafe titles)\n"),
                       (["title", "--json", os.devnull], "--json (an option of cafe titles)\n"),
                       (["titles", "--charset", "utf-8", LIST], "cafe titles: unknown option: "
                        "--charset (an option of cafe title)\n"),
                       (["title", "--bogus"], "cafe title: unknown option: --bogus\n")):
        r = cafe(*args)
        assert r.returncode == 2 and want.encode() in r.stderr, (args, r)


def test_a_long_option_with_one_dash_is_refused_naming_it():
    # Go's flag package (httpx, nuclei) and find take -quiet and -timeout 5. Read as a
    # cluster, -quiet was -q -u iet: https://iet/ fetched, a record nobody asked for, and
    # -json an "unknown option: -j" that did not say what was wrong
    for args, name in ((["-quiet"], "quiet"), (["-json"], "json"), (["-timeout", "5"], "timeout"),
                       (["-url=http://127.0.0.1:9/"], "url")):
        refused(args, f"unknown option: -{name} (long options take two dashes: --{name})")
    # a cluster of short options is still one
    r = cafe("titles", "-qc1", "--retries", "0", LIST)
    assert r.returncode == 0 and r.stderr == b"", r


def test_a_short_option_value_after_equals_is_refused():
    # -u=URL and -o=FILE, as Go's flag package (httpx) and argparse take them: getopt read
    # the value "=URL", so -u=x fetched the URL "=x", -o=out wrote a file named "=out", -H
    # sent a header "=X" and -A the User-Agent "=me". A value never starts with '=' there:
    # refused, naming the option and how it is written; the value is not shown (a secret).
    out = os.path.join(tmp, "=out")
    for opt, name in (("-u", "url"), ("-o", "output"), ("-H", "header"), ("-A", "user-agent"),
                      ("-x", "proxy"), ("-c", "concurrency")):
        value = "http://me:s3cret@127.0.0.1:9/" if opt in ("-u", "-x") else "X: s3cret"
        err = refused([opt + "=" + value], f"cafe titles: {opt}=: a short option's value "
                      f"follows it without '=' ({opt} VALUE, {opt}VALUE or --{name}=VALUE)")
        assert "s3cret" not in err, err
    refused(["-qu=http://127.0.0.1:9/"], "-u=: a short option's value")  # in a cluster too
    r = subprocess.run([CAFE, "queue", "results", "-o=" + out], capture_output=True, timeout=30)
    assert r.returncode == 2 and r.stderr.startswith(b"cafe queue: -o=: "), r
    assert not os.path.exists(out) and not os.path.exists("=out")
    # the value as its own argument may still start with '=' (a file named so, on purpose)
    r = cafe("titles", "-q", "--retries", "0", "-o", out, LIST)
    assert r.returncode == 0 and os.path.exists(out), r


def test_empty_url_argument_is_refused():
    # -u "$URL" with URL unset: the empty value was skipped as a blank line is, and the run
    # fetched nothing and exited 0; curl "" refuses it
    for v in ("", "  ", "# x"):
        refused(["-u", v], "-u/--url", "empty, blank or a # comment")
    # a line break: a list in one -u (-u "$(cat list)") made one invalid record, and its
    # CSV record, a quoted field over two lines, made --resume refuse the file ("line 2 is
    # not a record of this format"); a list file's line never holds one
    for v in ("http://127.0.0.1:9/a\nhttp://127.0.0.1:9/b", "http://127.0.0.1:9/a\rb"):
        refused(["-u", v], "-u/--url", "a line break: one URL per -u", "\\x0")
    # around the URL it is trimmed, as a line's end is (-u "$(cat one-url-crlf.txt)")
    r = cafe("titles", "-q", "--json", "--retries", "0", "-u", " http://127.0.0.1:9/a\r\n\n")
    assert r.returncode == 0 and json.loads(r.stdout)["url"] == "http://127.0.0.1:9/a", r


def test_any_number_of_urls_on_the_command_line():
    # -u was capped at 64 ("-u/--url: at most 64 times"), as -H is; FILE operands and curl's
    # URLs are not
    us = [f"http://127.0.0.1:9/{i}" for i in range(100)]
    args = [a for u in us for a in ("-u", u)]
    r = cafe("titles", "-q", "--json", "--retries", "0", *args)
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["url"] for l in r.stdout.splitlines()] == us, r.stdout[:300]
    err = refused([a for i in range(65) for a in ("-H", f"X-{i}: 1")], "-H/--header")
    assert "at most 64 times" in err, err


def test_scheme_is_case_insensitive():
    # a scheme is case-insensitive (RFC 3986 3.1: "HTTP://h/" is "http://h/", which a list
    # line already was), but --scheme HTTP was refused, "must be http or https"
    srv = HeadServer(lambda head: http_reply(b"<title>bare</title>"))
    for v in ("HTTP", "Http"):
        r = cafe("titles", "-q", "--json", "--scheme", v, "-u", f"127.0.0.1:{srv.port}/a")
        assert r.returncode == 0, (v, r.stderr)
        rec = json.loads(r.stdout)
        assert rec["url"] == f"http://127.0.0.1:{srv.port}/a" and rec["title"] == "bare", rec
    srv.close()
    # push takes it too: it goes on to Redis (down here), not to a usage error
    r = cafe("queue", "push", "--scheme", "HTTPS", "redis://127.0.0.1:9/0?queue=q", LIST)
    assert r.returncode == 2 and b"--scheme" not in r.stderr and b"redis" in r.stderr, r
    refused(["--scheme", "ftp"], "--scheme", "must be http or https")


def test_redis_url_schemes_are_case_insensitive():
    # REDIS:// was taken and UNIX:// refused ("the scheme must be redis://, or unix://"):
    # each now goes on to connect (nothing listens here), as redis-py takes either
    sock = os.path.join(tmp, "none.sock")
    for url in (f"UNIX://{sock}?queue=q", f"Redis+Unix://{sock}?queue=q",
                "REDIS://127.0.0.1:9/0?queue=q"):
        r = cafe("queue", "status", url)
        assert r.returncode == 2 and b"cannot connect" in r.stderr, (url, r.stderr)


def test_a_redis_url_without_a_queue_name_says_how_to_give_one_that_works():
    # cafe titles --queue takes the URL alone, yet the message offered "or --queue NAME",
    # cafe queue's option: a second --queue replaced the URL and was refused again
    refused(["--queue", "redis://127.0.0.1:9/0"], "no queue name: add ?queue=NAME\n")
    r = cafe("queue", "status", "redis://127.0.0.1:9/0")  # cafe queue has --queue NAME
    assert r.returncode == 2 and b"add ?queue=NAME or --queue NAME\n" in r.stderr, r


def test_queue_results_refuses_two_formats():
    # --json --csv wrote CSV (the last one given) without a word, as cafe titles refuses
    for fmts in (["--json", "--csv"], ["--csv", "--json"], ["--csv", "--csv-safe"],
                 ["--csv-safe", "--json"]):
        r = cafe("queue", "results", "redis://127.0.0.1:9/0?queue=q", *fmts)
        assert r.returncode == 2 and r.stdout == b"", r
        assert r.stderr.decode().startswith(
            "cafe queue: --json, --csv and --csv-safe cannot be combined\n"), r.stderr


def test_queue_options_of_one_subcommand_are_refused_by_the_others():
    # --help marks them "push:" and "results:"; given to another subcommand they were
    # ignored without a word: `cafe queue status Q --json` printed the text table, exit 0,
    # and `cafe queue push Q list -o out` wrote no out. Refused before Redis is touched
    # (port 9: nothing listens, and the message is not a connection error).
    q = "redis://127.0.0.1:9/0?queue=q"
    for sub, args, opt in (("status", ["--json"], "--json"), ("status", ["--drain"], "--drain"),
                           ("push", ["-o", os.path.join(tmp, "out")], "-o/--output"),
                           ("push", ["--csv"], "--csv"), ("push", ["--drain"], "--drain"),
                           ("results", ["--scheme", "http"], "--scheme"),
                           ("status", ["--scheme", "http"], "--scheme")):
        r = cafe("queue", sub, q, *args)
        err = r.stderr.decode()
        assert r.returncode == 2 and f"cafe queue: {opt} is for " in err, (sub, args, err)
        assert "cannot connect" not in err, err
    # the options still work where they belong (they get as far as the connection)
    for sub, args in (("results", ["--json", "--drain", "-o", "-"]), ("push", ["--scheme", "http", LIST])):
        r = cafe("queue", sub, q, *args)
        assert r.returncode == 2 and b"cannot connect" in r.stderr, (sub, r.stderr)


def test_serve_refuses_a_database_it_cannot_use_at_start():
    # cafe serve took any --db: 'bogus', '' (an unset variable) or 'sqlite:' started the
    # service, and every job then failed ("database: no database path", the job cancelled);
    # 'sqlite:' even kept its jobs in '.jobs' in the working directory. cafe titles refuses
    # such a --db at once: so does cafe serve now, before binding anything.
    cwd = tempfile.mkdtemp(prefix="cafe-serve-db-", dir=tmp)
    for v in ("bogus", "", "sqlite:"):
        r = subprocess.run([CAFE, "serve", "--listen", "127.0.0.1:0", "--db", v], cwd=cwd,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        err = r.stderr.decode()
        assert (r.returncode, r.stdout) == (2, b""), (v, r)
        assert err.startswith("cafe serve: --db: ") and err.count("\n") == 2, (v, err)
    assert os.listdir(cwd) == [], os.listdir(cwd)


def test_an_empty_file_or_directory_name_is_refused_naming_its_option():
    # -o "$OUT" or --data-dir "$DIR" with the variable unset: cafe titles said "cannot open
    # '': No such file or directory" and cafe serve "cannot create : No such file or
    # directory", neither naming the option nor what was wrong
    refused(["-o", ""], "cafe titles: -o/--output: empty (an unset variable?)")
    refused(["--output="], "cafe titles: -o/--output: empty")
    r = cafe("queue", "results", "redis://127.0.0.1:9/0?queue=q", "-o", "")
    assert r.returncode == 2 and r.stderr.startswith(b"cafe queue: -o/--output: empty"), r
    cwd = tempfile.mkdtemp(prefix="cafe-serve-dir-", dir=tmp)
    r = subprocess.run([CAFE, "serve", "--listen", "127.0.0.1:0", "--data-dir", ""], cwd=cwd,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    err = r.stderr.decode()
    assert (r.returncode, r.stdout) == (2, b""), r
    assert err.startswith("cafe serve: --data-dir: empty (an unset variable?)") and \
        err.count("\n") == 2, err
    assert os.listdir(cwd) == [], os.listdir(cwd)


def test_output_dash_is_standard_output():
    # As curl -o - and wget -O -: it wrote a file named '-' in the working directory.
    r = cafe("titles", "--json", "-o", "-", "--timeout", "0.5", "--retries", "0", LIST, cwd=tmp)
    assert r.returncode == 0 and json.loads(r.stdout)["url"] == "http://127.0.0.1:9/", r
    assert not os.path.exists(os.path.join(tmp, "-"))
    # "--resume needs -o FILE" answered a command line that gave -o: the file is missing
    # because standard output cannot be read back, and the message says so.
    err = refused(["--json", "--resume", "-o", "-"])
    assert err.startswith("cafe titles: --resume cannot read standard output (-o -) back for "
                          "the records it holds: give -o FILE\n"), err
    # -o - with --db or --queue was dropped without a word: the records went to the database
    # or Redis, standard output stayed empty and the exit status was 0; -o FILE is refused.
    db = os.path.join(tmp, "dash.db")
    refused(["-o", "-", "--db", "sqlite:" + db], "--db replaces -o")
    assert not os.path.exists(db)
    refused(["--queue", "redis://127.0.0.1:9/0?queue=q", "-o", "-"], "--queue takes")


def test_an_option_given_twice_takes_its_last_value():
    """`-o a -o b` did what no page said. An option of one value given again takes the last
    one, as curl's do (an alias or a wrapper's defaults, then the user's own), for every such
    option alike; a bad value is refused wherever it stands; the man page says so."""
    heads = []
    srv = HeadServer(lambda head: heads.append(head) or http_reply(b"<title>t</title>"))
    try:
        a, b = os.path.join(tmp, "twice-a.jsonl"), os.path.join(tmp, "twice-b.jsonl")
        r = cafe("titles", "-q", "--json", "-o", a, "-A", "first/1", "--retries", "0",
                 "--output", b, "--user-agent=second/2", "-u", f"http://127.0.0.1:{srv.port}/")
        assert r.returncode == 0, r.stderr
        assert not os.path.exists(a), "the first -o's file was made"
        with open(b) as f:
            assert json.loads(f.read())["title"] == "t"
        assert len(heads) == 1 and b"\r\nUser-Agent: second/2\r\n" in heads[0], heads
    finally:
        srv.close()
    refused(["-c", "0", "-c", "5"], "-c/--concurrency", "'0'")
    refused(["-c", "5", "-c", "0"], "-c/--concurrency", "'0'")
    # a REDIS_URL too, without showing it (it may hold a password): the worker went on
    # with the second one
    err = refused(["--queue", "http://:pw@127.0.0.1/?queue=q", "--queue",
                   "redis://127.0.0.1:9/0?queue=q"], "--queue: bad REDIS_URL: the scheme")
    assert "pw" not in err, err
    # cafe queue's --queue NAME: the command went on with the second name
    r = cafe("queue", "status", "--queue", "a b", "--queue", "q", "redis://127.0.0.1:9/0")
    assert r.returncode == 2 and b"cafe queue: --queue: queue names use" in r.stderr, r


def test_a_queue_option_of_another_subcommand_names_that_subcommand():
    # each said "--scheme is for cafe queue push", but --force "is for delete"
    for args, word in ((["status", "--scheme", "http"], b"--scheme is for cafe queue push"),
                       (["status", "--json"], b"--json is for cafe queue results"),
                       (["results", "--force"], b"--force is for cafe queue delete"),
                       (["push", "--force"], b"--force is for cafe queue delete")):
        r = cafe("queue", *args, "redis://127.0.0.1:9/0?queue=q")
        assert r.returncode == 2 and b"cafe queue: " + word + b"\n" in r.stderr, (args, r)
    with open(os.path.join(os.environ["CAFE_SOURCE_DIR"], "docs", "cafe.1")) as f:
        man = f.read()
    assert "given more\nthan once: the last one is used" in man


def test_an_empty_user_agent_sends_none_as_curls():
    # -A '' was taken without a page saying what it does: as curl -A '', no User-Agent line
    heads = []
    srv = HeadServer(lambda head: heads.append(head) or http_reply(b"<title>t</title>"))
    try:
        r = cafe("titles", "-q", "-A", "", "-u", f"http://127.0.0.1:{srv.port}/")
        assert r.returncode == 0 and r.stdout.startswith(b"'t' from"), r
        assert len(heads) == 1 and b"\r\nuser-agent:" not in heads[0].lower(), heads
    finally:
        srv.close()
    out = cafe("titles", "--help").stdout.decode()
    assert "the User-Agent header ('': none, as curl -A '')" in out, out


def test_resolve_any_host_as_curl():
    # curl's "*" (every host on the port): it was refused, the library ignoring it (the
    # names went to DNS, which this namespace has not)
    heads = []
    srv = HeadServer(lambda head: heads.append(head) or http_reply(b"<title>t</title>"))
    try:
        path = os.path.join(tmp, "wild.txt")
        with open(path, "w") as f:
            f.write(f"http://a.test:{srv.port}/\nhttp://b.example:{srv.port}/\n"
                    f"http://c.test:{srv.port + 1}/\n")
        r = cafe("titles", "-q", "--json", "--retries", "0", "--resolve",
                 f"*:{srv.port}:127.0.0.1", path)
        recs = [json.loads(l) for l in r.stdout.splitlines()]
        assert [x["title"] for x in recs] == ["t", "t", None], recs
        assert recs[2]["error"].startswith("dns:"), recs  # another port: not pinned
        assert sorted(h.split(b"\r\nHost: ")[1].split(b"\r\n")[0] for h in heads) == \
            [b"a.test:%d" % srv.port, b"b.example:%d" % srv.port], heads
    finally:
        srv.close()


def test_headers_and_user_agent_cannot_inject():
    refused(["-H", ""], "-H/--header")
    refused(["-H", "NoColon"], "-H/--header")
    refused(["-H", ": value"], "-H/--header")
    refused(["-H", "X-A: 1\r\nX-Injected: 1"], "-H/--header",
            "control characters (CR, LF...) are not allowed (header X-A)")
    # A header's value, often a token (Authorization, Cookie), was in the message of a bad
    # -H, for a terminal or CI log to keep (the runs table of a database masks it): the
    # message names the header, never its value.
    for v in ("Authorization: Bearer s3cret\r\n", "Authorization Bearer s3cret",
              "Cookie; s3cret", "Bearer s3cret\x01: x"):
        err = refused(["-H", v], "-H/--header: ")
        assert "s3cret" not in err, err
    refused(["-A", "Evil\r\nX-Injected: 1"], "-A/--user-agent", "\\x0d\\x0a")
    refused(["-A", "Evil\nX-Injected: 1"], "-A/--user-agent")
    ok = cafe("titles", "-q", "-H", "X-A: 1", "-H", "Accept:", "-H", "X-Empty;", "-A", "me/1",
              "--timeout", "0.5", "--retries", "0", LIST)
    assert ok.returncode == 0, ok.stderr


def test_nothing_else_puts_cr_or_lf_on_the_wire():
    # item 11's "any value sent on the wire": the proxy option, and URL lines themselves
    refused(["-x", "http://127.0.0.1:9/\r\nX-Injected: 1"], "-x/--proxy",
            "control characters (CR, LF...)")  # the value unshown: it may hold a password
    heads = []
    srv = HeadServer(lambda head: heads.append(head) or http_reply(b"<title>t</title>"))
    try:
        path = os.path.join(tmp, "cr.txt")
        with open(path, "wb") as f:
            f.write(srv.url("/a\rX-Injected: 1").encode() + b"\n" +
                    srv.url("/b\x0bX-Injected: 1").encode() + b"\n")
        r = cafe("titles", "-q", "--json", path)
        recs = [json.loads(l) for l in r.stdout.splitlines()]
        # a CR ends a line: what follows it is a line of its own, never part of a request
        assert [x["error"] for x in recs] == [
            None, "invalid URL: unsupported scheme (only http and https are fetched)",
            "invalid URL: control character in URL"], recs
        assert len(heads) == 1 and b"X-Injected" not in heads[0], heads
    finally:
        srv.close()


def test_every_subcommand_takes_help():
    for cmd in (["titles"], ["title"], ["demo"], ["queue"], ["queue", "push"], ["serve"]):
        for h in ("-h", "--help"):
            r = cafe(*cmd, h)
            out = r.stdout.decode()
            assert r.returncode == 0 and out.startswith("Usage: cafe " + cmd[0]), (cmd, h, r)
            assert "--help" in out, (cmd, h, out)
            # the usage is set apart from the text after it, as git's and curl's: serve's ran
            # on into its first line
            lines = out.split("\n")
            first = next(i for i, line in enumerate(lines) if i and line[:1].isupper())
            assert lines[first - 1] == "", (cmd, lines[:first + 1])
    r = cafe("demo", "extra")
    assert r.returncode == 2 and b"too many arguments" in r.stderr, r.stderr
    r = cafe("title", "--bogus")
    assert r.returncode == 2 and b"unknown option: --bogus" in r.stderr, r.stderr


def test_help_of_a_command_given_after_help():
    # `cafe --help titles` said "too many arguments: 'titles'" and `cafe help titles` "unknown
    # command 'help' (did you mean --help?)": as git's `git --help log` and `git help log`,
    # each shows that command's help, the same as `cafe titles --help`, mistakes after it too.
    for cmd in (["titles"], ["title"], ["demo"], ["queue"], ["queue", "push"], ["serve"]):
        want = cafe(*cmd, "--help")
        for h in ("--help", "-h", "help"):
            r = cafe(h, *cmd)
            assert (r.returncode, r.stdout, r.stderr) == (0, want.stdout, b""), (h, cmd, r)
    top = cafe("--help")
    r = cafe("help")  # `cafe help` alone, as `git help`: cafe's own help
    assert (r.returncode, r.stdout, r.stderr) == (0, top.stdout, b""), r
    r = cafe("help", "titles", "--bogus")
    assert r.returncode == 2 and b"cafe titles: unknown option: --bogus" in r.stderr, r
    assert r.stdout == b"", r


def test_top_help_gives_each_commands_operands():
    # `cafe --help` said "titles [FILE|-]   fetch the <title> of every URL in FILE", while
    # cafe titles takes -u URLs and any number of files: its line now has the operands of
    # `cafe titles --help`'s synopsis (and the man page's).
    top = cafe("--help").stdout.decode()
    for cmd in ("titles", "title"):
        usage = cafe(cmd, "--help").stdout.decode().splitlines()[0]
        operands = re.sub(r"\[(OPTIONS|--[^]]*)\] ", "", usage.replace("Usage: cafe %s " % cmd, ""))
        assert re.search(r"^  %s %s\n" % (cmd, re.escape(operands)), top, re.M) or \
            re.search(r"^  %s %s  " % (cmd, re.escape(operands)), top, re.M), (cmd, operands, top)


def test_top_help_and_man_synopsis_name_every_queue_subcommand():
    # `cafe --help` and the man page's SYNOPSIS said "queue push|results|status" after
    # `cafe queue delete` came: a user reading them never learnt it was there
    subs = re.findall(r"cafe queue (\w+) REDIS_URL", cafe("queue", "--help").stdout.decode())
    assert "delete" in subs, subs
    top = cafe("--help").stdout.decode()
    assert re.search(r"^  queue %s REDIS_URL" % re.escape("|".join(subs)), top, re.M), (subs, top)
    with open(os.path.join(os.environ["CAFE_SOURCE_DIR"], "docs", "cafe.1")) as f:
        man = f.read()
    assert ".B cafe queue %s\n" % "|".join(subs) in man, subs


def test_help_does_not_hide_a_mistake_on_the_same_line():
    # `cafe titles --help --bogus` printed the help and exited 0, `--bogus --help` refused:
    # the order decided. As grep does, the whole line is parsed first: a mistake anywhere is
    # a usage error (status 2, nothing on stdout), the same for every command and cafe itself.
    for cmd, prefix in (([], "cafe"), (["titles"], "cafe titles"), (["title"], "cafe title"),
                        (["demo"], "cafe demo"), (["queue"], "cafe queue"),
                        (["queue", "push"], "cafe queue"), (["serve"], "cafe serve")):
        for args, what in ((["--help", "--bogus"], "unknown option: --bogus"),
                           (["--bogus", "--help"], "unknown option: --bogus"),
                           (["--version", "-Z"], "unknown option: -Z"),
                           (["-hZ"], "unknown option: -Z")):
            r = cafe(*cmd, *args)
            assert (r.returncode, r.stdout) == (2, b""), (cmd, args, r)
            assert r.stderr.decode() == f"{prefix}: {what}\nTry '{prefix} --help' for more " \
                "information.\n", (cmd, args, r.stderr)
    # a bad value too; the checks between options come after --help, as grep's
    r = cafe("titles", "--help", "-c", "0")
    assert r.returncode == 2 and b"-c/--concurrency" in r.stderr and not r.stdout, r
    r = cafe("titles", "--json", "--csv", "--help")
    assert r.returncode == 0 and r.stdout.startswith(b"Usage: cafe titles"), r
    # the first of --help and --version given is the one done
    assert cafe("titles", "--version", "--help").stdout == cafe("--version").stdout
    assert cafe("--help", "--version").stdout.startswith(b"Usage: cafe COMMAND")
    # and nothing but a command follows cafe's own options
    r = cafe("--help", "nope")
    assert r.returncode == 2 and b"cafe: too many arguments: 'nope'" in r.stderr, r.stderr
    r = cafe("queue", "nope")
    assert r.returncode == 2 and b"cafe queue: unknown subcommand 'nope'" in r.stderr, r.stderr



def test_help_fits_a_terminal_of_80_columns():
    # Lines of up to 108 columns (cafe queue --help's --db), most often a "(default ...)"
    # pushed past the edge: an 80-column terminal broke them in the middle of a word.
    for cmd in ([], ["titles"], ["title"], ["demo"], ["queue"], ["serve"]):
        out = cafe(*cmd, "--help").stdout.decode()
        wide = [line for line in out.splitlines() if len(line) > 80]
        assert not wide, (cmd, wide)
    # an option's text starts in the help's column, two spaces at least after its name, or
    # on the next line when the name is longer, as in GNU's --help: "--connect-timeout S
    # time limit of..." read as if S were a word of the text, and the text went out of line
    for cmd in ([], ["titles"], ["title"], ["demo"], ["queue"], ["serve"]):
        out = cafe(*cmd, "--help").stdout.decode()
        for line in out.splitlines():
            m = re.match(r"(  -\S, |      )--[a-z-]+( [A-Z]\S*)?", line)
            assert not m or line == m[0] or re.match(r".{23}  \S", line), (cmd, line)
    # a default that does not fit goes on a line of its own, in the help's column
    out = cafe("titles", "--help").stdout.decode()
    assert "\n" + " " * 25 + "(default 2097152)\n" in out, out


def test_version_is_the_same_line_everywhere():
    # `cafe titles --version` said "cafe 0.1.0", `cafe --version` "cafe 0.1.0 (libcurl ...)"
    # and `cafe serve --version` (like title, demo and queue) was an unknown option
    top = cafe("--version")
    assert top.returncode == 0 and b"(libcurl " in top.stdout, top
    for cmd in ("titles", "title", "demo", "queue", "serve"):
        sub = cafe(cmd, "--version")
        assert sub.returncode == 0 and sub.stdout == top.stdout, (cmd, top.stdout, sub)


def test_help_and_version_that_cannot_be_written_fail():
    # As `ls --help > /dev/full`: the text did not reach its reader, so not status 0.
    for cmd in (["--help"], ["--version"], ["titles", "--help"], ["title", "-h"],
                ["demo", "--help"], ["queue", "--help"], ["serve", "--help"]):
        with open("/dev/full", "wb") as full:
            r = subprocess.run([CAFE, *cmd], stdout=full, stderr=subprocess.PIPE, timeout=60)
        assert r.returncode == 2, (cmd, r.returncode, r.stderr)
        prefix = "cafe" if cmd[0].startswith("-") else "cafe " + cmd[0]
        assert r.stderr.decode() == f"{prefix}: writing standard output: No space left on " \
            "device\n", (cmd, r.stderr)

run_tests(globals())
