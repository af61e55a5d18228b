"""Drives headless Chromium (DevTools protocol) and Firefox (WebDriver BiDi) as oracles of
document.title, and asks libcafe (ctypes) for its titles of the same pages: shared by the
browser tests (encodings.py, structure.py).

serve(cases) serves cases [(charset label, body bytes)] at /c/<index> with that charset in
Content-Type, and an index page whose run(n) loads them in eight iframes and returns every
document.title; chromium_titles and firefox_titles run it in their browser.

An iframe inherits its parent's encoding, and the browsers guess an undeclared page's only
when it is loaded top-level, from its bytes and its URL's domain: chromium_top_level and
firefox_top_level load each URL of a list as the page itself, with every host name mapped to
127.0.0.1 (Chromium's --host-resolver-rules, Firefox's network.dns.forceResolve), so
http://www.example.ru:PORT/ reaches a loopback server. Run them under tests/netns.sh: then
nothing else is reachable whatever a browser tries."""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
from pageserver import PageServer  # noqa: E402

try:
    import websocket  # python3-websocket
except ImportError:
    print("skip: python3-websocket is not installed")
    sys.exit(77)

# The WHATWG encodings of one byte a character (the Encoding Standard's order)
SINGLE_BYTE = ["ibm866", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6",
               "iso-8859-7", "iso-8859-8", "iso-8859-8-i", "iso-8859-10", "iso-8859-13",
               "iso-8859-14", "iso-8859-15", "iso-8859-16", "koi8-r", "koi8-u", "macintosh",
               "windows-874", "windows-1250", "windows-1251", "windows-1252", "windows-1253",
               "windows-1254", "windows-1255", "windows-1256", "windows-1257", "windows-1258",
               "x-mac-cyrillic", "x-user-defined"]


def iframe_index(charset, result):
    """The index page whose run(n) loads /c/0 .. /c/n-1 in eight iframes, each the next page
    not yet taken, and returns the JSON list of `result` (a JavaScript expression of the
    page's document, d) for each."""
    return (f"<!DOCTYPE html><meta charset={charset}><body><script>async function run(n) {{"
            "const out = []; let next = 0;"
            "async function worker() { const f = document.createElement('iframe');"
            "document.body.appendChild(f); while (next < n) { const i = next++;"
            "await new Promise(r => { f.onload = r; f.src = '/c/' + i; });"
            f"const d = f.contentDocument; out[i] = {result}; }} }}"
            "await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));"
            "return JSON.stringify(out); }</script>").encode()


def serve(cases):
    index = iframe_index("utf-8", "d.title")

    def page(path):
        if path.startswith("/c/"):
            label, body = cases[int(path[3:])]
            return body, "text/html; charset=" + label
        return index, "text/html; charset=utf-8"
    return PageServer(page)


def read_line_with(proc, needle):
    """Reads the browser's stderr until the line that says it listens (its readiness)."""
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace")
        if needle in line:
            # keep reading what it says, or it blocks once the pipe is full
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return line[line.index("ws://"):].strip()
    raise RuntimeError("browser exited before listening")


def chromium_session(binary, tmp, extra=()):
    """Starts Chromium; returns (process, websocket, call, session of a blank tab)."""
    proc = subprocess.Popen([binary, "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--user-data-dir=" + tmp, "--remote-debugging-port=0"] +
                            list(extra) + ["about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ws = websocket.create_connection(read_line_with(proc, "DevTools listening on"),
                                         timeout=600)
        seq = [0]

        def call(method, params, session=None):
            seq[0] += 1
            msg = {"id": seq[0], "method": method, "params": params}
            if session:
                msg["sessionId"] = session
            ws.send(json.dumps(msg))
            while True:
                reply = json.loads(ws.recv())
                if reply.get("id") == seq[0]:
                    if "error" in reply:
                        raise RuntimeError(str(reply["error"]))
                    return reply["result"]

        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        call("Page.enable", {}, session)
        return proc, ws, call, session
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def chromium_titles(binary, url, n, tmp):
    proc, ws, call, session = chromium_session(binary, tmp)
    try:
        call("Page.navigate", {"url": url}, session)
        # wait until the index page's run() exists, then run it
        expr = "new Promise(r => { const go = () => typeof run === 'function' ? r(run(%d)) :" \
               " setTimeout(go, 10); go(); })" % n
        res = call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                        "returnByValue": True}, session)
        ws.close()
        return json.loads(res["result"]["value"])
    finally:
        proc.kill()
        proc.wait()


# [URL, the value of expr] once the document has loaded (a top-level load: "complete" is its
# load event)
LOADED = ("new Promise(r => { const go = () => document.readyState === 'complete' ?"
          " r([location.href, %s]) : setTimeout(go, 10); go(); })")


def chromium_top_level(binary, urls, tmp, expr="document.title", failed=RuntimeError):
    """Each URL loaded top-level in one tab, host names mapped to 127.0.0.1: the value of the
    expression expr on each page. A page that does not load raises, or gives `failed` where
    that is not RuntimeError."""
    proc, ws, call, session = chromium_session(binary, tmp,
                                               ["--host-resolver-rules=MAP * 127.0.0.1"])
    try:
        out = []
        for url in urls:
            call("Page.navigate", {"url": url}, session)
            # Page.navigate answers before the page has loaded: ask until the document is
            # the new one (the old one's context may go away while asked)
            for _ in range(10000):
                try:
                    res = call("Runtime.evaluate", {"expression": LOADED % expr,
                                                    "awaitPromise": True,
                                                    "returnByValue": True}, session)
                except RuntimeError:
                    continue
                href, value = res["result"]["value"]
                if href == url:
                    break
            else:
                if failed is RuntimeError:
                    raise RuntimeError("chromium did not load " + url)
                value = failed
            out.append(value)
        ws.close()
        return out
    finally:
        proc.kill()
        proc.wait()


def firefox_session(binary, tmp, prefs=()):
    """Starts Firefox with a profile in tmp; returns (process, websocket, call, context)."""
    with open(os.path.join(tmp, "user.js"), "w") as f:
        for pref in ["browser.shell.checkDefaultBrowser", "app.update.enabled",
                     "datareporting.policy.dataSubmissionEnabled", "toolkit.telemetry.enabled",
                     "network.captive-portal-service.enabled", "browser.safebrowsing.malware.enabled"]:
            f.write('user_pref("%s", false);\n' % pref)
        for name, value in prefs:
            f.write("user_pref(%s, %s);\n" % (json.dumps(name), json.dumps(value)))
    proc = subprocess.Popen([binary, "--headless", "--no-remote", "--profile", tmp,
                             "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ws = websocket.create_connection(read_line_with(proc, "WebDriver BiDi listening on") +
                                         "/session", timeout=600,
                                         suppress_origin=True)
        seq = [0]

        def call(method, params):
            seq[0] += 1
            ws.send(json.dumps({"id": seq[0], "method": method, "params": params}))
            while True:
                reply = json.loads(ws.recv())
                if reply.get("id") == seq[0]:
                    if reply.get("type") == "error":
                        raise RuntimeError(reply.get("message", str(reply)))
                    return reply["result"]

        call("session.new", {"capabilities": {}})
        context = call("browsingContext.getTree", {})["contexts"][0]["context"]
        return proc, ws, call, context
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def firefox_titles(binary, url, n, tmp):
    proc, ws, call, context = firefox_session(binary, tmp)
    try:
        call("browsingContext.navigate", {"context": context, "url": url, "wait": "complete"})
        res = call("script.evaluate", {"expression": "run(%d)" % n, "awaitPromise": True,
                                       "target": {"context": context}})
        ws.close()
        return json.loads(res["result"]["value"])
    finally:
        proc.kill()
        proc.wait()


# Firefox reloads an undeclared page whose encoding its detector named late (not the one it
# began with): the first navigation ends in NS_BINDING_ABORTED, or its "complete" never comes
NAVIGATION_S = 20


def firefox_loaded(call, context, expr):
    """[location.href, the value of expr] once the document in context has loaded."""
    for _ in range(100):
        try:
            res = call("script.evaluate", {"expression": LOADED % expr, "awaitPromise": True,
                                           "target": {"context": context},
                                           "resultOwnership": "none"})
            return [unwrap(v) for v in res["result"]["value"]]
        except RuntimeError:
            continue  # the document went away while asked (the reload)
    raise RuntimeError("firefox: no document loaded")


def firefox_top_level(binary, urls, tmp, expr="document.title", failed=RuntimeError):
    """Each URL loaded top-level in one tab, host names resolved to 127.0.0.1, plain http
    kept: the value of expr on each page, as chromium_top_level gives it."""
    proc, ws, call, context = firefox_session(binary, tmp, [
        ("network.dns.forceResolve", "127.0.0.1"), ("network.trr.mode", 5),
        ("network.proxy.type", 0), ("dom.security.https_first", False),
        ("dom.security.https_first_schemeless", False)])
    try:
        out = []
        for url in urls:
            ws.settimeout(NAVIGATION_S)
            try:
                call("browsingContext.navigate", {"context": context, "url": url,
                                                  "wait": "complete"})
            except websocket.WebSocketTimeoutException:
                pass  # replaced by a reload: its document is awaited below
            except RuntimeError as e:
                if "NS_BINDING_ABORTED" not in str(e):  # not the reload's abort
                    if failed is RuntimeError:
                        raise
                    out.append(failed)
                    continue
            finally:
                ws.settimeout(600)
            href, value = firefox_loaded(call, context, expr)
            if href != url:
                raise RuntimeError("firefox is at %s, not %s" % (href, url))
            out.append(value)
        ws.close()
        return out
    finally:
        proc.kill()
        proc.wait()


def unwrap(v):
    """A BiDi remote value as Python: arrays as lists."""
    return [unwrap(x) for x in v["value"]] if v["type"] == "array" else v.get("value")


def title_lib(lib_path):
    """libcafe through ctypes, with the title extractor's calls typed."""
    lib = ctypes.CDLL(lib_path)
    lib.cafe_title_create.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p]
    lib.cafe_title_set_url.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.cafe_title_mode_of.argtypes = [ctypes.c_char_p]
    lib.cafe_title_set_mode.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.cafe_title_feed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.cafe_title_finish.argtypes = [ctypes.c_void_p]
    lib.cafe_title_text.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
    lib.cafe_title_text.restype = ctypes.c_void_p
    lib.cafe_title_free.argtypes = [ctypes.c_void_p]
    lib.cafe_title_encoding.argtypes = [ctypes.c_void_p]
    lib.cafe_title_encoding.restype = ctypes.c_char_p
    return lib


def title_done(lib, t):
    """Finishes extractor t and frees it: its (title, encoding)."""
    lib.cafe_title_finish(t)
    n = ctypes.c_size_t()
    p = lib.cafe_title_text(t, ctypes.byref(n))
    out = (ctypes.string_at(p, n.value).decode("utf-8") if p else "",
           lib.cafe_title_encoding(t).decode())
    lib.cafe_title_free(t)
    return out


def cafe_titles(lib_path, cases, encodings=None):
    """cafe's title of each case: (label, body) declared in Content-Type, or (None, body, url)
    undeclared, fetched from url (its domain a hint for the detection). Each page's encoding
    is appended to the list `encodings` when one is given."""
    lib = title_lib(lib_path)
    out = []
    for label, body, *url in cases:
        t = ctypes.c_void_p()
        ct = ("text/html; charset=" + label).encode() if label is not None else None
        if lib.cafe_title_create(ctypes.byref(t), ct):
            raise RuntimeError("cafe_title_create failed")
        if url:
            lib.cafe_title_set_url(t, url[0].encode())
        lib.cafe_title_feed(t, body, len(body))
        title, enc = title_done(lib, t)
        out.append(title)
        if encodings is not None:
            encodings.append(enc)
    return out


def find(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def both_browsers():
    """(chromium, firefox): Debian's binaries; None, with the skip said, when one is missing
    (the caller exits 77)."""
    chromium, firefox = find("chromium", "chromium-browser"), find("firefox-esr", "firefox")
    if not chromium or not firefox:
        print("skip: needs Debian's chromium and firefox-esr")
        return None
    return chromium, firefox


def compare(cases, chrome, fox, ours, describe):
    """Counts the pages where both browsers agree and cafe does not, printing the first 20
    (describe(label, body) names a page) and a summary; returns that count."""
    agreed = differ = browsers_differ = 0
    for (label, body), c, f, o in zip(cases, chrome, fox, ours):
        if c != f:
            browsers_differ += 1
            continue
        agreed += 1
        if o != c:
            differ += 1
            if differ <= 20:
                first = next((i for i in range(min(len(o), len(c))) if o[i] != c[i]),
                             min(len(o), len(c)))
                print("%s: browsers %r, cafe %r (from character %d)" % (
                    describe(label, body), c[max(0, first - 3):first + 5],
                    o[max(0, first - 3):first + 5], first))
    print("%d pages: browsers agree on %d, disagree on %d; cafe differs from them on %d" % (
        len(cases), agreed, browsers_differ, differ))
    return differ


def both_titles(chromium, firefox, url, n):
    """What each browser's top-level script at url gives for its n pages: (Chromium's,
    Firefox's), with the time each took printed."""
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        start = time.monotonic()
        chrome = chromium_titles(chromium, url, n, t1)
        middle = time.monotonic()
        fox = firefox_titles(firefox, url, n, t2)
        print("%d pages: chromium %.1f s, firefox %.1f s" % (
            n, middle - start, time.monotonic() - middle))
    return chrome, fox


def run(lib_path, cases, describe):
    """The whole test: both browsers' titles of cases, then cafe's, compared. Exit code: 0
    agreed, 1 differed, 77 a browser is missing. CAFE_BROWSER_DUMP=FILE keeps every title."""
    found = both_browsers()
    if not found:
        return 77
    chromium, firefox = found
    server = serve(cases)
    url = server.url("/")
    chrome, fox = both_titles(chromium, firefox, url, len(cases))
    server.close()
    ours = cafe_titles(lib_path, cases)
    if os.environ.get("CAFE_BROWSER_DUMP"):
        with open(os.environ["CAFE_BROWSER_DUMP"], "w") as f:
            json.dump([[label, body.hex(), c, x, o] for (label, body), c, x, o in
                       zip(cases, chrome, fox, ours)], f)
    return 1 if compare(cases, chrome, fox, ours, describe) else 0
