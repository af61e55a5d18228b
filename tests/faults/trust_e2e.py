"""The default trust store (src/http/trust.c), end to end: `cafe titles` without --cacert
against nginx serving TLS with certificates of a test CA, in a private mount namespace whose
/etc/ssl/certs is a copy of the system's with the test CA added in one way or another. It
checks that the system's CAs are read lazily from the hashed directory where it can stand for
the bundle, that verification is as strict that way (untrusted, expired, wrong host), and
that the bundle is still used where the directory cannot stand for it."""
import json
import os
import shutil
import subprocess
import sys

from faultlib import TMP, CAFE, Skip, TlsNginx, run_tests, write_list
from harness import HeadServer, http_reply  # noqa: E402

sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "sinks"))
from mountns import PrivateMount  # noqa: E402

CERTS = "/etc/ssl/certs"
BUNDLE = "ca-certificates.crt"
if not os.path.isfile(os.path.join(CERTS, BUNDLE)):
    print(f"skip: no {CERTS}/{BUNDLE} (Debian's ca-certificates)")
    sys.exit(77)

www = os.path.join(TMP, "www")
os.makedirs(www)
with open(os.path.join(www, "t.html"), "w") as f:
    f.write("<title>trusted</title>")
tls = TlsNginx(www)
ca_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", tls.ca], check=True,
                         capture_output=True, text=True).stdout.strip()


def certs_dir(name, link=True, append=True, drop_links=False):
    """A copy of the system's /etc/ssl/certs: with the test CA under its hash link (link),
    appended to the bundle (append), or with no hash link at all (drop_links)."""
    d = os.path.join(TMP, name)
    shutil.copytree(CERTS, d, symlinks=True)
    if drop_links:
        for entry in os.listdir(d):
            if os.path.islink(os.path.join(d, entry)) and entry[-2:-1] == ".":
                os.remove(os.path.join(d, entry))
    shutil.copy(tls.ca, os.path.join(d, "cafe-test-ca.pem"))
    if link:
        os.symlink("cafe-test-ca.pem", os.path.join(d, ca_hash + ".0"))
    if append:
        with open(tls.ca) as src, open(os.path.join(d, BUNDLE), "a") as dst:
            dst.write(src.read())
    return d


def titles(d, kinds, *args, env=None):
    """`cafe titles --json` on the kinds' URLs with d as /etc/ssl/certs: each record's title
    or error, in order."""
    try:
        ns = PrivateMount(f'mount --bind "{d}" {CERTS}')
    except OSError as e:
        raise Skip(str(e))
    try:
        urls = [tls.url(k, "/t.html") for k in kinds]
        r = subprocess.run(ns.inside() + [CAFE, "titles", "-q", "--json", "--retries", "0", *args,
                                          write_list(urls)], capture_output=True, timeout=120,
                           env=dict(os.environ, **(env or {})))
    finally:
        ns.close()
    assert r.returncode == 0, r.stderr[-500:]
    recs = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [rec["url"] for rec in recs] == urls, recs
    return [rec["title"] or rec["error"] for rec in recs]


def test_lazy_directory_verifies_as_strictly():
    got = dict(zip(TlsNginx.KINDS, titles(certs_dir("lazy"), TlsNginx.KINDS)))
    assert got["good"] == "trusted", got
    assert "self-signed certificate" in got["selfsigned"], got
    assert "expired" in got["expired"], got
    assert "no alternative certificate subject name matches" in got["wronghost"], got
    assert "incomplete chain" in got["nochain"], got


def test_the_directory_is_what_is_read():
    # the test CA is in the directory only: trusted through the hash lookup alone
    good, selfsigned = titles(certs_dir("links-only", append=False), ["good", "selfsigned"])
    assert good == "trusted" and "not trusted" in selfsigned, (good, selfsigned)


def test_a_ca_appended_to_the_bundle_keeps_the_bundle():
    # the bundle has one certificate more than the directory has links: the bundle is read
    good, selfsigned = titles(certs_dir("appended", link=False), ["good", "selfsigned"])
    assert good == "trusted" and "not trusted" in selfsigned, (good, selfsigned)


def test_a_directory_without_links_keeps_the_bundle():
    got = titles(certs_dir("no-links", link=False, drop_links=True), ["good"])
    assert got == ["trusted"], got


def test_cacert_replaces_the_system_store():
    # the test CA is trusted by the system here, but --cacert names another CA alone
    other = os.path.join(TMP, "other-ca.pem")
    shutil.copy(os.path.join(tls.dir, "selfsigned.pem"), other)
    good, selfsigned = titles(certs_dir("cacert"), ["good", "selfsigned"], "--cacert", other)
    assert "not trusted" in good and selfsigned == "trusted", (good, selfsigned)


def test_each_thread_has_the_store():
    # every record checked: with the kinds as keys, the first good one would go unseen
    got = titles(certs_dir("threads"), ["good", "selfsigned", "good"], "--threads", "2")
    assert got[0] == got[2] == "trusted" and "not trusted" in got[1], got


def env_titles(env, kinds, *args):
    """`cafe titles --json` on the kinds' URLs with env added to the environment (no private
    mount: the test CA is not the system's): (exit status, stderr, each title or error). A
    kind that is a URL already is taken as it is."""
    urls = [k if "://" in k else tls.url(k, "/t.html") for k in kinds]
    clean = {k: v for k, v in os.environ.items()
             if k not in ("CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")}
    r = subprocess.run([CAFE, "titles", "-q", "--json", "--retries", "0", *args, write_list(urls)],
                       capture_output=True, timeout=120, env=dict(clean, **env))
    recs = [json.loads(line) for line in r.stdout.decode().splitlines()]
    return r.returncode, r.stderr.decode(), [rec["title"] or rec["error"] for rec in recs]


def test_ca_variables_are_read_as_curl_reads_them():
    # Behind a TLS-inspecting proxy, or for an internal CA, users set SSL_CERT_FILE (OpenSSL's,
    # read by curl, Go's httpx, lychee, Python) or CURL_CA_BUNDLE (curl's, requests'): curl
    # trusted the site and cafe failed every HTTPS URL as "not trusted", with exit status 0.
    other = os.path.join(TMP, "other-ca.pem")
    shutil.copy(os.path.join(tls.dir, "selfsigned.pem"), other)
    rc, err, got = env_titles({}, ["good"])
    assert rc == 0 and "not trusted" in got[0], (rc, err, got)
    rc, err, got = env_titles({"SSL_CERT_FILE": tls.ca}, ["good", "selfsigned"])
    assert rc == 0 and got[0] == "trusted" and "not trusted" in got[1], (rc, err, got)
    # curl's order: CURL_CA_BUNDLE before SSL_CERT_FILE, --cacert before both
    rc, err, got = env_titles({"CURL_CA_BUNDLE": tls.ca, "SSL_CERT_FILE": other}, ["good"])
    assert rc == 0 and got == ["trusted"], (rc, err, got)
    rc, err, got = env_titles({"CURL_CA_BUNDLE": tls.ca}, ["good", "selfsigned"],
                              "--cacert", other)
    assert rc == 0 and "not trusted" in got[0] and got[1] == "trusted", (rc, err, got)


def test_a_stale_ca_variable_fails_the_https_urls_alone():
    # A variable naming no CA file (left from a proxy set-up long gone) stopped every run at
    # start, an http-only list's too, where curl fails the HTTPS transfers alone. A warning
    # at start names the variable; each HTTPS URL's record says the CA file cannot be loaded.
    plain = HeadServer(lambda head: http_reply(b"<title>plain</title>"))
    missing = os.path.join(TMP, "no-such-ca.pem")
    try:
        for name, path, why in (("SSL_CERT_FILE", missing, "no such file"),
                                ("CURL_CA_BUNDLE", os.path.join(tls.dir, "ca.key"),
                                 "no PEM certificate")):
            rc, err, got = env_titles({name: path}, [plain.url("/"), "good"])
            assert rc == 0 and got[0] == "plain", (name, rc, err, got)
            assert "cannot load the CA certificates" in got[1] and path in got[1], (name, got)
            assert err.startswith(f"cafe titles: warning: {name}: {why}") and path in err, err
            print(f"# {name}: {got[1]}")
        # the variable's file is named as every file name in a message is, shell-quoted as ls
        # quotes one: a name with an ESC or a U+202E drove the terminal or reordered the line
        hostile = os.path.join(TMP, "it's\x1b[31m\u202e.pem")
        rc, err, got = env_titles({"SSL_CERT_FILE": hostile}, [plain.url("/")])
        assert rc == 0 and got == ["plain"], (rc, err, got)
        assert "\x1b" not in err and "\u202e" not in err and err.count("\n") == 1, err
        assert "$'\\033'" in err and "$'\\342\\200\\256'" in err, err
    finally:
        plain.close()


def hashed_ca_dir(name):
    """A CA directory in OpenSSL's hashed layout (c_rehash's) holding the test CA, and a CA
    file of another CA (the self-signed server's): (the directory, the file)."""
    d = os.path.join(TMP, name)
    os.makedirs(d)
    shutil.copy(tls.ca, os.path.join(d, "test-ca.pem"))
    os.symlink("test-ca.pem", os.path.join(d, ca_hash + ".0"))
    other = d + "-other.pem"
    shutil.copy(os.path.join(tls.dir, "selfsigned.pem"), other)
    return d, other


def test_ssl_cert_dir_is_read_as_curl_reads_it():
    # SSL_CERT_DIR (OpenSSL's hashed directory, c_rehash's layout) was not read, where curl's
    # tool takes it as its CApath (and Go, Python, lychee read it): an internal CA installed
    # that way was trusted by curl and "not trusted" for cafe.
    d, other = hashed_ca_dir("cert-dir")
    rc, err, got = env_titles({"SSL_CERT_DIR": d}, ["good", "selfsigned"])
    assert rc == 0 and got[0] == "trusted" and "not trusted" in got[1], (rc, err, got)
    # a list of directories, as OpenSSL reads it; SSL_CERT_FILE's CAs beside the directory's
    rc, err, got = env_titles({"SSL_CERT_DIR": TMP + "/none:" + d, "SSL_CERT_FILE": other},
                              ["good", "selfsigned"])
    assert rc == 0 and got == ["trusted", "trusted"], (rc, err, got)
    # curl's order: CURL_CA_BUNDLE alone, --cacert alone, -k none of them
    rc, err, got = env_titles({"SSL_CERT_DIR": d, "CURL_CA_BUNDLE": other}, ["good"])
    assert rc == 0 and "not trusted" in got[0], (rc, err, got)
    rc, err, got = env_titles({"SSL_CERT_DIR": d}, ["good"], "--cacert", other)
    assert rc == 0 and "not trusted" in got[0], (rc, err, got)
    # a directory that is not there: a warning naming it, and nothing trusted through it
    rc, err, got = env_titles({"SSL_CERT_DIR": TMP + "/none"}, ["good"])
    assert rc == 0 and "not trusted" in got[0], (rc, err, got)
    assert err.startswith(f"cafe titles: warning: SSL_CERT_DIR: no such directory: "
                          f"{TMP}/none "), err


def test_capath_is_read_as_curls():
    # curl's --capath DIR (hashed, c_rehash's layout; several separated by ':') was an
    # unknown option: a CA directory could be given through SSL_CERT_DIR alone.
    d, other = hashed_ca_dir("capath-dir")
    rc, err, got = env_titles({}, ["good", "selfsigned"], "--capath", d)
    assert rc == 0 and got[0] == "trusted" and "not trusted" in got[1], (rc, err, got)
    # beside --cacert's file; curl's variables are not read then
    rc, err, got = env_titles({}, ["good", "selfsigned"], "--capath", d, "--cacert", other)
    assert rc == 0 and got == ["trusted", "trusted"], (rc, err, got)
    rc, err, got = env_titles({"SSL_CERT_FILE": other, "CURL_CA_BUNDLE": other},
                              ["selfsigned"], "--capath", d)
    assert rc == 0 and "not trusted" in got[0], (rc, err, got)
    # a directory not there is refused at start, as --cacert's missing file is
    rc, err, got = env_titles({}, ["good"], "--capath", TMP + "/none")
    assert rc == 2 and got == [] and "--capath: no such directory" in err, (rc, err, got)
    # so is none at all (--capath "$DIR", DIR unset), as --cacert '' is: taken, it set
    # curl's variables aside, and the CA SSL_CERT_FILE named was trusted no more
    for empty in ("", ":"):
        rc, err, got = env_titles({"SSL_CERT_FILE": other}, ["selfsigned"], "--capath", empty)
        assert rc == 2 and got == [] and "--capath: no directory" in err, (empty, rc, err, got)


def test_ca_variables_naming_the_system_bundle_keep_the_system_store():
    # Many systems set SSL_CERT_FILE and CURL_CA_BUNDLE to the system's bundle for every
    # program: that is the system store, still read lazily from the directory (here the test
    # CA is in the directory alone: the bundle taken as --cacert would not trust it).
    bundle = os.path.join(CERTS, BUNDLE)
    got = titles(certs_dir("env-bundle", append=False), ["good", "selfsigned"],
                 env={"SSL_CERT_FILE": bundle, "CURL_CA_BUNDLE": bundle})
    assert got[0] == "trusted" and "not trusted" in got[1], got


def ca_clean_env(env):
    return dict({k: v for k, v in os.environ.items()
                 if k not in ("CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")}, **env)


def serve_titles(env, kinds, *args):
    """`cafe serve` with env added to the environment, asked GET /v1/title for each kind's
    URL: each title or error, in order."""
    sys.path.insert(0, os.path.join(os.environ["CAFE_SOURCE_DIR"], "tests", "serve"))
    from urllib.parse import quote
    from servelib import Serve
    s = Serve("--allow-private", "-q", "--retries", "0", *args, env=ca_clean_env(env))
    try:
        got = []
        for k in kinds:
            _, _, rec = s.json("GET", "/v1/title?url=" + quote(tls.url(k, "/t.html"), safe=""))
            got.append(rec["title"] or rec["error"])
    finally:
        s.stop()
    return got


def serve_refused(env, *args):
    """`cafe serve` expected to refuse to start: (exit status, stderr)."""
    r = subprocess.run([CAFE, "serve", "--listen", "127.0.0.1:0", "--allow-private", *args],
                       capture_output=True, timeout=60, env=ca_clean_env(env))
    return r.returncode, r.stderr.decode()


def test_serve_reads_the_ca_variables_and_cacert_as_titles_does():
    # `cafe serve` read neither curl's variables nor had --cacert: behind a TLS-inspecting
    # proxy or for an internal CA, every HTTPS title failed as "not trusted".
    other = os.path.join(TMP, "other-ca-serve.pem")
    shutil.copy(os.path.join(tls.dir, "selfsigned.pem"), other)
    got = serve_titles({}, ["good"])
    assert "not trusted" in got[0], got
    got = serve_titles({"SSL_CERT_FILE": tls.ca}, ["good", "selfsigned"])
    assert got[0] == "trusted" and "not trusted" in got[1], got
    got = serve_titles({"CURL_CA_BUNDLE": tls.ca, "SSL_CERT_FILE": other}, ["good"])
    assert got == ["trusted"], got
    got = serve_titles({"CURL_CA_BUNDLE": tls.ca}, ["good", "selfsigned"], "--cacert", other)
    assert "not trusted" in got[0] and got[1] == "trusted", got
    got = serve_titles({}, ["good"], "--cacert", tls.ca)
    assert got == ["trusted"], got
    # SSL_CERT_DIR and --capath, as cafe titles reads them (--capath was unknown)
    d = os.path.join(TMP, "serve-cert-dir")
    os.makedirs(d)
    shutil.copy(tls.ca, os.path.join(d, "test-ca.pem"))
    os.symlink("test-ca.pem", os.path.join(d, ca_hash + ".0"))
    got = serve_titles({"SSL_CERT_DIR": d}, ["good", "selfsigned"])
    assert got[0] == "trusted" and "not trusted" in got[1], got
    got = serve_titles({}, ["good", "selfsigned"], "--capath", d)
    assert got[0] == "trusted" and "not trusted" in got[1], got
    # a variable naming no CA file fails the HTTPS titles, not the service's start
    missing = os.path.join(TMP, "no-such-ca.pem")
    got = serve_titles({"SSL_CERT_FILE": missing}, ["good"])
    assert "cannot load the CA certificates" in got[0], got
    rc, err = serve_refused({}, "--cacert", os.path.join(tls.dir, "ca.key"))
    assert rc == 2 and "no PEM certificate" in err, (rc, err)


run_tests(globals(), cleanup=(tls.close,))
