#!/usr/bin/env python3
"""Headless Chromium as an oracle on the detection corpus: the document.title and
document.characterSet it gives each unlabeled page (Content-Type: text/html, no charset),
served over loopback under a host of the page's language's domain (www.example.ru...,
mapped to 127.0.0.1) and under 127.0.0.1 itself, next to cafe's title for the same page.

Usage: chromium.py CORPUS_DIR LIBCAFE_SO   Prints a markdown table; exit 77 without chromium
or python3-websocket."""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "util"))
from pageserver import PageServer  # noqa: E402

try:
    import websocket  # python3-websocket
except ImportError:
    print("skip: python3-websocket is not installed")
    sys.exit(77)

SHAPES = ["title", "sentence", "long", "head", "short"]


def serve(root):
    def page(path):
        path = os.path.join(root, os.path.basename(path.split("?")[0]))
        return (open(path, "rb").read(), "text/html") if os.path.isfile(path) else None
    return PageServer(page)


class Chromium:
    def __init__(self, binary, tmp):
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + tmp, "--remote-debugging-port=0",
             "--host-resolver-rules=MAP * 127.0.0.1", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for raw in self.proc.stderr:  # its readiness: the line that says it listens
            line = raw.decode("utf-8", "replace")
            if "DevTools listening on" in line:
                threading.Thread(target=self.proc.stderr.read, daemon=True).start()
                self.ws = websocket.create_connection(line[line.index("ws://"):].strip(),
                                                      timeout=120)
                break
        else:
            raise RuntimeError("chromium exited before listening")
        self.seq = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", {}, self.session)

    def call(self, method, params, session=None, wait_event=None):
        self.seq += 1
        msg = {"id": self.seq, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        result, event = None, wait_event is None
        while result is None or not event:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.seq:
                if "error" in reply:
                    raise RuntimeError(str(reply["error"]))
                result = reply["result"]
            elif wait_event and reply.get("method") == wait_event:
                event = True
        return result

    def load(self, url):
        self.call("Page.navigate", {"url": url}, self.session, "Page.loadEventFired")
        res = self.call("Runtime.evaluate", {
            "expression": "JSON.stringify([document.title, document.characterSet])",
            "returnByValue": True}, self.session)
        return json.loads(res["result"]["value"])

    def close(self):
        self.ws.close()
        self.proc.kill()
        self.proc.wait()


def cafe_title(lib, data, url):
    t = ctypes.c_void_p()
    assert lib.cafe_title_create(ctypes.byref(t), None) == 0
    lib.cafe_title_set_url(t, url.encode())
    lib.cafe_title_feed(t, data, len(data))
    lib.cafe_title_finish(t)
    s = lib.cafe_title_text(t, None)
    lib.cafe_title_free(t)
    return s.decode() if s is not None else None


def main():
    corpus, libpath = sys.argv[1], sys.argv[2]
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        print("skip: chromium is not installed")
        sys.exit(77)
    lib = ctypes.CDLL(libpath)
    lib.cafe_title_text.restype = ctypes.c_char_p
    lib.cafe_title_create.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p]
    for f in ("cafe_title_feed", "cafe_title_finish", "cafe_title_free", "cafe_title_text",
              "cafe_title_set_url"):
        getattr(lib, f).argtypes = [ctypes.c_void_p] + {
            "cafe_title_feed": [ctypes.c_char_p, ctypes.c_size_t],
            "cafe_title_text": [ctypes.c_void_p], "cafe_title_set_url": [ctypes.c_char_p],
        }.get(f, [])
    pages = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "index.tsv"),
                                                       encoding="utf-8")]
    server = serve(corpus)
    port = server.port
    tmp = tempfile.mkdtemp(prefix="cafe-chromium-")
    chrome = Chromium(binary, tmp)
    counts = {}  # (encoding, contender) -> [per shape]
    order = []
    try:
        for fname, enc, shape, tld, title in pages:
            if enc not in order:
                order.append(enc)
            data = open(os.path.join(corpus, fname), "rb").read()
            for who, host in (("chromium, 127.0.0.1", "127.0.0.1"),
                              ("chromium, www.example.TLD", "www.example." + tld)):
                url = "http://%s:%d/%s" % (host, port, fname)
                got, charset = chrome.load(url)
                c = counts.setdefault((enc, who), [0] * len(SHAPES))
                c[SHAPES.index(shape)] += got == title
            for who, url in (("cafe, 127.0.0.1", "http://127.0.0.1/"),
                             ("cafe, www.example.TLD", "http://www.example.%s/" % tld)):
                c = counts.setdefault((enc, who), [0] * len(SHAPES))
                c[SHAPES.index(shape)] += cafe_title(lib, data, url) == title
    finally:
        chrome.close()
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)
    who_all = ["chromium, 127.0.0.1", "chromium, www.example.TLD", "cafe, 127.0.0.1",
               "cafe, www.example.TLD"]
    print("True titles per encoding; each cell: %s\n" % " / ".join(SHAPES))
    print("| encoding | " + " | ".join(who_all) + " |")
    print("|---|" + "---|" * len(who_all))
    for enc in order:
        print("| %s | " % enc + " | ".join(" ".join(map(str, counts[(enc, w)])) for w in who_all)
              + " |")
    tot = [[sum(counts[(e, w)][s] for e in order) for s in range(len(SHAPES))] for w in who_all]
    print("| **all (of %d)** | " % len(pages) +
          " | ".join("**%d** (%s)" % (sum(t), " ".join(map(str, t))) for t in tot) + " |")


if __name__ == "__main__":
    main()
