"""The web page of `cafe serve` in a real browser: headless Chromium from Debian, driven over
the DevTools protocol (python3-websocket). It loads /, submits 200 URLs of the fixture (one
of them titled with markup that would run script if it were rendered as HTML), waits until
the table has 200 rows, checks that the hostile title shows as text and ran nothing, that
the page asked nothing of any other origin, and saves a screenshot (SERVE_SCREENSHOT, by
default in the build directory). Exits 77 (skip) without chromium or python3-websocket."""
import base64
import errno
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
try:
    import websocket
except ImportError:
    print("SKIP: python3-websocket is not installed")
    sys.exit(77)
CHROMIUM = shutil.which("chromium")
if not CHROMIUM:
    print("SKIP: chromium is not installed")
    sys.exit(77)

from servelib import Gate, ProxyNginx, Serve, post_job, small_files  # noqa: E402
from harness import Fixture, run_tests  # noqa: E402
from pageserver import PageServer  # noqa: E402

HOSTILE = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>"


def hostile_page(path):
    """One page whose title is markup (as text inside <title>, RCDATA: a browser's
    document.title is the literal string); /image is not HTML (a record that is no failure)."""
    if path == "/image":
        return b"\x89PNG\r\n\x1a\n", "image/png"
    body = f"<!DOCTYPE html><html><head><title>{HOSTILE}</title></head><body>x</body></html>"
    return body.encode(), "text/html; charset=utf-8"


class Browser:
    """Headless Chromium with a fresh profile; one page target driven over its websocket."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="cafe-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "--window-size=1200,1050", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            port = self._devtools_port()
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
            page = next(t for t in targets if t["type"] == "page")
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        except BaseException:  # no browser left running when it cannot be driven
            self.proc.kill()
            self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.next_id = 0
        self.events = []

    def _devtools_port(self):
        end = time.monotonic() + 60
        buf = b""
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stderr], [], [], 1)
            if r:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                assert chunk, "chromium exited: " + buf.decode(errors="replace")[-500:]
                buf += chunk
                for line in buf.decode(errors="replace").splitlines():
                    if "DevTools listening on ws://" in line:
                        return int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        raise AssertionError("chromium gave no DevTools address")

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                assert "error" not in msg, msg
                return msg.get("result", {})
            self.events.append(msg)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in r, r
        return r["result"].get("value")

    def wait_for(self, expr, timeout=90):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = self.eval(expr)
            if v:
                return v
            time.sleep(0.1)
        raise AssertionError(f"not true within {timeout} s: {expr}")

    def start_job(self, page, urls):
        """Opens the service's page at address page, fills its list with urls (a list, or
        lines already joined) and starts the job."""
        self.call("Page.navigate", url=page)
        self.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
        text = urls if isinstance(urls, str) else "\n".join(urls)
        self.eval(f"document.getElementById('urls').value = {json.dumps(text)}; 1")
        self.eval("document.getElementById('start').click(); 1")

    def held_at(self, gate):
        """Waits for the page's job to run and for its URL of gate to be held there."""
        self.wait_for("/running$/.test(document.getElementById('counts').textContent)")
        gate.wait_arrived(1)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


fx = Fixture("--sites", "5", "--size", "3000")
hostile = PageServer(hostile_page)
srv = Serve("--allow-private", "-q")
try:
    browser = Browser()
except BaseException:  # no cafe serve left behind listening when Chromium cannot start
    srv.stop()
    raise


def test_page_fills_200_rows_and_hostile_title_stays_text():
    b = browser
    b.call("Network.enable")
    b.call("Page.enable")
    b.call("Page.navigate", url=srv.origin + "/")
    b.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
    # delays spread over 1.5 s so that the chart has a shape; a 404 and a dead port show
    # how errors look
    urls = [fx.url(i % 5, f"/page/{i}?delay={(i * 37) % 1500}") for i in range(196)]
    urls.insert(3, fx.url(0, "/status/404"))
    urls.insert(5, "http://127.0.0.1:1/refused")
    urls.insert(8, hostile.url("/hostile"))
    urls.insert(9, hostile.url("/image"))
    b.eval(f"document.getElementById('urls').value = {json.dumps(chr(10).join(urls))}; 1")
    b.eval("document.getElementById('start').click(); 1")
    b.wait_for("document.querySelectorAll('#results tbody tr').length === 200")
    b.wait_for("/200 \\/ 200 .* done$/.test(document.getElementById('counts').textContent)")
    # rows come as records complete; the # column is the input position
    rows = b.eval("[...document.querySelectorAll('#results tbody tr')]"
                  ".map(tr => [+tr.children[0].textContent, tr.children[1].textContent,"
                  " tr.children[3].textContent])")
    rows.sort()
    assert [r[0] for r in rows] == list(range(1, 201)), rows[:3]
    cells = [r[1:] for r in rows]
    assert [c[0] for c in cells] == urls, cells[:2]
    assert cells[0][1] == "Site 0 page 0 \u2014 cafe fixture", cells[0]
    assert cells[8][1] == HOSTILE, cells[8]
    errors = b.eval("[...document.querySelectorAll('#results tbody tr.failed td.e')]"
                    ".map(td => td.textContent)")
    assert len(errors) == 2 and "HTTP 404" in errors, errors
    # a record that is no failure (not HTML) says why, in the failures' column, not as one,
    # as the job's counts do not count it
    notes = b.eval("[...document.querySelectorAll('#results tbody tr:not(.failed) td.e')]"
                   ".map(td => td.textContent).filter(t => t)")
    assert notes == ["not HTML (image/png)"], notes
    assert b.eval("document.getElementById('counts').textContent").startswith("200 / 200 (2 failed)")
    # shown as text: no element was made from it, and neither handler nor script ran
    assert b.eval("document.querySelectorAll('#results img, #results script').length") == 0
    assert b.eval("typeof window.pwned") == "undefined"
    # every request of the page went to the service's own origin
    sent = [e["params"]["request"]["url"] for e in b.events
            if e.get("method") == "Network.requestWillBeSent"]
    assert sent and all(u.startswith(srv.origin + "/") for u in sent), sent
    b.eval("window.scrollTo(0, 0); 1")
    shot = b.call("Page.captureScreenshot", format="png")
    path = os.environ.get("SERVE_SCREENSHOT",
                          os.path.join(os.environ["CAFE_BUILD_DIR"], "serve-page.png"))
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print(f"# screenshot: {path}")


def test_page_knows_every_reason_that_is_no_failure():
    # app.js tells records that are no failure by their message's start, as
    # format_parse_json does with record.h's RECORD_WHY_* strings: a new one must reach both
    src = os.environ["CAFE_SOURCE_DIR"]
    with open(os.path.join(src, "src/sinks/record.h")) as f:
        reasons = re.findall(r'#define RECORD_WHY_\w+ (".*")', f.read())
    with open(os.path.join(src, "src/serve/page/app.js")) as f:
        js = f.read()
    assert len(reasons) >= 3, reasons
    missing = [r for r in reasons if r not in js]
    assert not missing, missing


def test_a_chosen_file_is_read_in_its_own_encoding():
    # File.text() read every file as UTF-8: a list in windows-1252 (older Windows tools) got
    # U+FFFD for its accented letters, and another URL was fetched; UTF-16 with its mark
    # (PowerShell 5's `>`, Notepad's "Unicode") is read by its mark, as the service reads it
    b = browser
    b.call("Page.navigate", url=srv.origin + "/")
    b.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
    urls = [fx.url(0, "/page/71"), fx.url(1, "/page/72?q=caf\u00e9")]
    text = "\r\n".join(urls) + "\r\n"
    d = tempfile.mkdtemp(prefix="cafe-page-")
    try:
        for name, data in (("utf16le.txt", b"\xff\xfe" + text.encode("utf-16-le")),
                           ("utf16be.txt", b"\xfe\xff" + text.encode("utf-16-be")),
                           ("utf8bom.txt", b"\xef\xbb\xbf" + text.encode()),
                           ("latin1.txt", text.encode("latin-1"))):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(data)
            b.eval("document.getElementById('urls').value = ''; 1")
            root = b.call("DOM.getDocument")["root"]["nodeId"]
            node = b.call("DOM.querySelector", nodeId=root, selector="#file")["nodeId"]
            b.call("DOM.setFileInputFiles", files=[path], nodeId=node)
            b.wait_for("document.getElementById('urls').value !== ''")
            got = b.eval("document.getElementById('urls').value")
            assert got == text.replace("\r\n", "\n"), (name, got)  # a textarea's line ends
        b.eval("document.getElementById('start').click(); 1")  # the last one, sent
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 2")
        titles = b.eval("[...document.querySelectorAll('#results tbody tr')]"
                        ".map(tr => [+tr.children[0].textContent, tr.children[3].textContent])")
        assert sorted(titles) == [[1, "Site 0 page 71 \u2014 cafe fixture"],
                                  [2, "Site 1 page 72 \u2014 cafe fixture"]], titles
    finally:
        shutil.rmtree(d)


def test_the_page_says_what_to_do_without_javascript():
    # with scripts off (NoScript, a browser's safest setting) the form showed, and its
    # button did nothing, without a word
    b = browser
    b.call("Emulation.setScriptExecutionDisabled", value=True)
    try:
        b.call("Page.navigate", url=srv.origin + "/")
        b.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
        text = b.eval("document.body.innerText")
        assert "needs JavaScript" in text and "/v1/jobs" in text, text
    finally:
        b.call("Emulation.setScriptExecutionDisabled", value=False)
    b.call("Page.navigate", url=srv.origin + "/")
    b.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
    assert "needs JavaScript" not in b.eval("document.body.innerText")


def test_csp_blocks_inline_script():
    b = browser
    # an inline script injected into the page must not run under the page's policy
    b.eval("var s = document.createElement('script'); s.textContent = 'window.inlineRan = 1';"
           " document.body.appendChild(s); 1")
    assert b.eval("typeof window.inlineRan") == "undefined"


class Cutter:
    """A loopback TCP proxy in front of the service that cuts, when told, the connections
    that carried a results stream (SSE): a reverse proxy's timeout, a network blip."""

    def __init__(self, port):
        self.port_to = port
        self.lock = threading.Lock()
        self.streams = []  # (client, upstream) sockets of connections that asked for SSE
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.port_to))
            except OSError:  # the service has stopped: the page's late poll
                c.close()
                continue
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src, dst, from_client):
        while True:
            try:
                d = src.recv(65536)
            except OSError:
                d = b""
            if not d:
                break
            if from_client and b"format=sse" in d:
                with self.lock:
                    self.streams.append((src, dst))
            try:
                dst.sendall(d)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            cut, self.streams = self.streams, []
        for pair in cut:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(cut)

    def close(self):
        self.listener.close()
        self.cut()


def test_a_results_stream_cut_off_is_taken_up_again_where_it_stopped():
    # The page read the results stream once: cut off (a proxy's timeout, a network blip),
    # its table kept the rows it had, the rest never came, and the counts said "done"
    # beside a table short of rows. It reconnects, saying the last event it got
    # (Last-Event-ID), and gets each record once.
    gate = Gate()
    own = Serve("-q", "--allow-private", "--timeout", "3600")
    cutter = Cutter(own.port)
    try:
        b = browser
        origin = f"http://127.0.0.1:{cutter.port}"
        urls = [fx.url(1, "/page/1"), fx.url(1, "/page/2"), gate.url("/a"), gate.url("/b")]
        b.start_job(origin + "/", urls)
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 2")
        gate.wait_arrived(2)
        assert cutter.cut() == 1
        gate.open()
        b.wait_for("/4 \\/ 4 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("!document.getElementById('start').disabled")  # its stream has ended
        rows = b.eval("[...document.querySelectorAll('#results tbody tr')]"
                      ".map(tr => +tr.children[0].textContent)")
        assert sorted(rows) == [1, 2, 3, 4], rows
        assert b.eval("document.getElementById('message').textContent") == ""
    finally:
        cutter.close()
        own.stop()
        gate.close()


class Flaky(Cutter):
    """A Cutter that, when told (fail), answers the next status request of a job itself, 502
    as a proxy in front answers while its upstream is away for a moment, and counts the
    status requests after it."""

    def __init__(self, port):
        self.fail = False
        self.failed = threading.Event()
        self.after = 0  # status requests forwarded after the one failed
        self.more = threading.Event()
        super().__init__(port)

    def _pump(self, src, dst, from_client):
        if not from_client:
            return super()._pump(src, dst, from_client)
        while True:
            try:
                d = src.recv(65536)
            except OSError:
                d = b""
            if not d:
                break
            status = re.match(rb"GET /v1/jobs/[0-9a-f]{16} ", d) is not None
            with self.lock:
                if status and self.fail:
                    self.fail = False
                    src.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\n\r\n")
                    self.failed.set()
                    break
                if status and self.failed.is_set():
                    self.after += 1
                    self.more.set()
            try:
                dst.sendall(d)
            except OSError:
                break
        for c in (src, dst):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_a_status_request_that_failed_once_does_not_stop_the_counts():
    # one status request answered 502 (a proxy whose upstream was away for a moment, a
    # network blip): the page stopped asking, its counts and progress bar stayed where they
    # were for the rest of the job, and "status: 502 Bad Gateway" stayed beside a job that
    # then ended well
    gate = Gate()
    own = Serve("-q", "--allow-private", "--timeout", "3600")
    flaky = Flaky(own.port)
    try:
        b = browser
        urls = "\n".join([fx.url(2, "/page/8"), gate.url("/blip")])
        b.start_job(f"http://127.0.0.1:{flaky.port}/", urls)
        b.held_at(gate)
        with flaky.lock:
            flaky.fail = True
        assert flaky.failed.wait(90)
        assert flaky.more.wait(90), "no status request after the one that failed"
        gate.open()
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("!document.getElementById('start').disabled")
        message = b.eval("document.getElementById('message').textContent")
        assert message == "", message
    finally:
        flaky.close()
        own.stop()
        gate.close()


def test_a_download_pressed_while_the_job_runs_says_that_it_comes_at_the_end():
    # the file is the job's whole results, saved once the job is over: pressed while a URL
    # was held, the button did nothing to be seen until the job's end
    gate = Gate()
    own = Serve("-q", "--allow-private", "--timeout", "3600")
    try:
        b = browser
        b.start_job(own.origin + "/", "\n".join([fx.url(1, "/page/3"), gate.url("/held")]))
        b.held_at(gate)
        b.eval("document.getElementById('csv').click(); 1")
        message = b.wait_for("document.getElementById('message').textContent")
        assert message == ("The CSV file comes when the job is over: it holds every record."), (
            message)
        gate.open()
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("document.getElementById('message').textContent === ''")
        # once the job is over, the file comes at once: nothing to say
        b.eval("document.getElementById('jsonl').click(); 1")
        assert b.eval("document.getElementById('message').textContent") == ""
    finally:
        own.stop()
        gate.close()


def test_the_csv_file_for_a_spreadsheet_starts_with_a_byte_order_mark():
    # Excel reads a CSV file without UTF-8's byte order mark in the system's legacy code page
    # (windows-1252): every title with an accent or in another script was mojibake there.
    # The CSV button's file (for a spreadsheet) starts with the mark; the JSONL one does not
    # (JSON Lines has none).
    title = "Caf\u00e9 \u65e5\u672c"
    site = PageServer(lambda path: (f"<title>{title}</title>".encode(), "text/html; charset=utf-8"))
    saved = tempfile.mkdtemp(prefix="cafe-downloads-")
    try:
        b = browser
        b.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=saved)
        b.start_job(srv.origin + "/", f"http://127.0.0.1:{site.port}/t")
        b.wait_for("/1 \\/ 1 .* done$/.test(document.getElementById('counts').textContent)")
        files = {}
        for button, ext in (("csv", ".csv"), ("jsonl", ".jsonl")):
            b.eval(f"document.getElementById('{button}').click(); 1")
            end = time.monotonic() + 90
            while not files.get(ext) and time.monotonic() < end:
                done = [f for f in os.listdir(saved) if f.endswith(ext)]
                files[ext] = done and open(os.path.join(saved, done[0]), "rb").read()
                time.sleep(0.1)
            assert files.get(ext), (ext, os.listdir(saved))
        csv = files[".csv"]
        assert csv.startswith(b"\xef\xbb\xbfurl,final_url,") and title.encode() in csv, csv
        assert files[".jsonl"].startswith(b"{") and title.encode() in files[".jsonl"], files
    finally:
        browser.call("Browser.setDownloadBehavior", behavior="default")
        site.close()
        shutil.rmtree(saved, ignore_errors=True)


def test_a_job_the_service_stopped_is_said_to_resume_at_a_restart():
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    gate = Gate()
    stopping = Serve("-q", "--allow-private", "--data-dir", d, "--shutdown-grace", "0.2",
                     "--timeout", "3600")
    stopped = False
    try:
        b = browser
        urls = "\n".join([fx.url(0, "/page/1"), gate.url("/held")])
        b.start_job(stopping.origin + "/", urls)
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 1")
        gate.wait_arrived(1)
        stopping.stop()  # SIGTERM: the job is interrupted, not cancelled
        stopped = True
        # (a status request in the meantime may have been answered 503 first)
        b.wait_for("document.getElementById('message').textContent"
                   ".startsWith('The service stopped before the job finished')")
        # restarted on its address (a deploy): the page follows the job on, each row once,
        # where it stayed at the stop's count until reloaded, which forgot the job
        stopping = Serve("-q", "--allow-private", "--data-dir", d, "--timeout", "3600",
                         "--listen", f"127.0.0.1:{stopping.port}")
        stopped = False
        gate.open()
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)")
        # the counts come from the status, the rows from the stream: each in its own time
        b.wait_for("document.querySelectorAll('#results tbody tr').length >= 2")
        rows = b.eval("[...document.querySelectorAll('#results tbody tr')]"
                      ".map(tr => +tr.children[0].textContent)")
        assert sorted(rows) == [1, 2], rows
        assert b.eval("document.getElementById('message').textContent") == ""
        # reloaded, the page had lost the job (the service lists none): its address names it
        assert b.eval("location.hash").startswith("#job="), b.eval("location.hash")
        b.call("Page.reload")
        b.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 2")
        b.wait_for("!document.getElementById('start').disabled")
        rows = b.eval("[...document.querySelectorAll('#results tbody tr')]"
                      ".map(tr => tr.children[1].textContent)")
        assert sorted(rows) == sorted(urls.split("\n")), rows
    finally:
        if not stopped:
            stopping.stop()
        gate.close()
        shutil.rmtree(d)


def test_a_job_the_service_was_killed_during_is_followed_after_the_restart():
    # killed (SIGKILL, a crash), the service sent no end event: the page retried its stream
    # for some 20 s, then stopped following the job, status and rows, for good, though a
    # restart resumed the job
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    gate = Gate()
    args = ("-q", "--allow-private", "--data-dir", d, "--timeout", "3600")
    own = Serve(*args)
    try:
        b = browser
        urls = "\n".join([fx.url(0, "/page/3"), gate.url("/killed")])
        b.start_job(own.origin + "/", urls)
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 1")
        gate.wait_arrived(1)
        own.proc.kill()
        own.proc.wait()
        b.wait_for("document.getElementById('message').textContent"
                   ".startsWith('The connection to the service was lost')", timeout=120)
        own = Serve(*args, "--listen", f"127.0.0.1:{own.port}")
        gate.open()
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("document.querySelectorAll('#results tbody tr').length >= 2")
        rows = b.eval("[...document.querySelectorAll('#results tbody tr')]"
                      ".map(tr => +tr.children[0].textContent)")
        assert sorted(rows) == [1, 2], rows
        assert b.eval("document.getElementById('message').textContent") == ""
    finally:
        if own.proc.returncode is None:  # not the killed one
            own.stop()
        gate.close()
        shutil.rmtree(d)


def test_a_link_to_a_job_opened_without_the_token_shows_it_once_the_token_is_given():
    # a colleague opens the link to a job of a service behind --token: "missing or wrong
    # token", and the token typed in then went nowhere until the page was loaded again
    own = Serve("-q", "--token", "s3cret")
    try:
        status, _, st = post_job(own, ["http://no such host/x"],
                                 headers={"Authorization": "Bearer s3cret"})
        assert status == 202, st
        b = browser
        b.call("Page.navigate", url=f"{own.origin}/#job={st['id']}")
        b.wait_for("document.readyState === 'complete' && !!document.getElementById('start')")
        b.wait_for("document.getElementById('message').textContent"
                   f".startsWith('job {st['id']}: missing or wrong token')")
        b.eval("const t = document.getElementById('token'); t.value = 's3cret';"
               " t.dispatchEvent(new Event('change')); 1")
        b.wait_for("/1 \\/ 1 .* done$/.test(document.getElementById('counts').textContent)")
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 1")
        assert b.eval("document.getElementById('message').textContent") == ""
    finally:
        own.stop()


def test_the_page_behind_a_reverse_proxy_starts_and_cancels_its_job():
    # nginx in front of a tokenless service, set up as its docs say (Host: localhost): the
    # browser's POST and DELETE carry Origin, the proxy's address, which is not the Host the
    # service sees, and both were refused 403 ("a request from another origin's page"), the
    # page useless behind any proxy that names the service otherwise (or TLS: https://)
    gate = Gate()
    own = Serve("-q", "--allow-private", "--timeout", "3600")
    proxy = ProxyNginx(own.port)
    try:
        b = browser
        urls = "\n".join([fx.url(0, "/page/5"), gate.url("/behind")])
        b.start_job(f"http://127.0.0.1:{proxy.port}/", urls)
        b.wait_for("document.getElementById('message').textContent ||"
                   " /running$/.test(document.getElementById('counts').textContent)")
        message = b.eval("document.getElementById('message').textContent")
        assert message == "", message
        gate.wait_arrived(1)
        b.eval("document.getElementById('cancel').click(); 1")
        b.wait_for("document.getElementById('message').textContent ||"
                   " /cancelled$/.test(document.getElementById('counts').textContent)")
        message = b.eval("document.getElementById('message').textContent")
        assert message == "", message
    finally:
        proxy.close()
        own.stop()
        gate.close()


def test_the_page_under_a_path_of_a_reverse_proxy_runs_its_job():
    # a service put under a path of a site (nginx: location /titles/, proxy_pass to the
    # service's root): the page asked for /app.js and /app.css and called /v1/jobs, the
    # site's root, not its own path: no script, no style, a button that did nothing
    import shutil as sh
    from harness import Nginx, Skip
    if not sh.which("nginx"):
        raise Skip("nginx is not installed")
    own = Serve("-q", "--allow-private")
    proxy = Nginx(server=lambda port: f"""server {{
    listen 127.0.0.1:{port};
    location /titles/ {{
      proxy_pass http://127.0.0.1:{own.port}/;
      proxy_http_version 1.1;
      proxy_set_header Host localhost;
    }}
  }}""")
    try:
        b = browser
        urls = [fx.url(3, "/page/11"), fx.url(4, "/page/12")]
        b.start_job(f"http://127.0.0.1:{proxy.port}/titles/", urls)
        b.wait_for("/2 \\/ 2 .* done$/.test(document.getElementById('counts').textContent)",
                   timeout=30)
        b.wait_for("document.querySelectorAll('#results tbody tr').length === 2")
        # its style too: the rules of app.css apply
        assert b.eval("getComputedStyle(document.getElementById('start')).color") \
            == "rgb(255, 255, 255)"
        message = b.eval("document.getElementById('message').textContent")
        assert message == "", message
    finally:
        proxy.close()
        own.stop()


def test_a_job_stopped_by_a_write_error_says_why():
    # the spool may hold a few records only: the job stops, and the page says why
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    small = Serve("-q", "--data-dir", d, preexec_fn=small_files(4096))
    try:
        b = browser
        urls = "\n".join(f"http://no such host/{i}" for i in range(100))
        b.start_job(small.origin + "/", urls)
        b.wait_for("/cancelled$/.test(document.getElementById('counts').textContent)")
        message = b.wait_for("document.getElementById('message').textContent")
        assert message == "The job stopped: " + os.strerror(errno.EFBIG), message
    finally:
        small.stop()
        shutil.rmtree(d)


run_tests(globals(), cleanup=[browser.close, lambda: srv.stop(), hostile.close, fx.close])
