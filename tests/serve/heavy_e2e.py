"""Heavy tests of `cafe serve` (run by test_serve_heavy.sh in a fresh network namespace): a
large job's memory, and a shutdown during a job followed by a restart that resumes it.
Every wait is bounded; no check depends on speed."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from servelib import (PATIENCE, Gate, Serve, ended, half_sent, post_from,  # noqa: E402
                      post_job, settle, wait_job)
from harness import CAFE, Fixture, run_tests  # noqa: E402

fx = Fixture("--sites", "2", "--size", "2000")


def wait_done(srv, jid, n):
    """Waits (bounded) until job jid has n records."""
    end = time.monotonic() + PATIENCE
    while srv.json("GET", f"/v1/jobs/{jid}")[2]["done"] < n:
        assert time.monotonic() < end, f"fewer than {n} records in {PATIENCE} s"
        time.sleep(0.05)


def test_million_url_job_memory_stays_bounded():
    t0 = time.monotonic()
    # A million URLs that are each a record at once (an invalid host name: no network, no
    # waiting), so this measures the job's own bookkeeping: the list and its index, made in
    # full when the job is accepted, then the records, which go to the spool file, not to
    # memory. The first 100,000 are streamed back while the job runs, then it is cancelled
    # (fetching them all would only repeat the same work for a minute).
    # under the sanitizers memory is theirs (shadow, quarantine): fewer URLs, no bound
    sanitized = os.environ.get("CAFE_SANITIZE") in ("1", "ON", "TRUE")
    n = 100000 if sanitized else 1000000
    srv = Serve("-q", "--max-job-urls", str(n), "--max-body", str(64 << 20))
    try:
        base = srv.rss_kb()
        urls = [f"http://no such host/page/{i}" for i in range(n)]
        status, _, st = post_job(srv, urls)
        assert status == 202 and st["total"] == n, st
        accepted = srv.rss_kb() - base
        c = srv.conn()
        c.request("GET", f"/v1/jobs/{st['id']}/results")
        r = c.getresponse()
        count = 0
        for line in r:
            rec = json.loads(line)
            assert rec["url"] == urls[count] and rec["error"].startswith("invalid URL"), rec
            count += 1
            if count == n // 10:
                break
        c.close()
        assert srv.json("DELETE", f"/v1/jobs/{st['id']}")[0] in (200, 202)
        st = wait_job(srv, st["id"])
        assert st["done"] >= n // 10, st
        grown = srv.rss_kb() - base
        print(f"# {n} URLs: peak RSS grew by {accepted} kB when accepted "
              f"({accepted * 1024 / n:.0f} B/URL), {grown} kB after {st['done']} records, "
              f"{time.monotonic() - t0:.1f} s")
        assert sanitized or grown < 150 * 1024, f"peak RSS grew by {grown} kB"
    finally:
        srv.stop()


def test_shutdown_during_a_job_then_restart_resumes_it():
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    dbpath = os.path.join(d, "titles.sqlite")
    # --timeout: the gate's pages wait for the test, not for a fetch timeout
    args = ("-q", "--allow-private", "--shutdown-grace", "0.2", "--data-dir", d,
            "--db", f"sqlite:{dbpath}", "--timeout", "3600")
    srv = Serve(*args)
    gate = Gate()
    quick = [fx.url(0, f"/page/{i}") for i in range(20)]
    slow = [gate.url(f"/page/{i}") for i in range(20)]
    status, _, st = post_job(srv, quick + slow)
    assert status == 202 and st["durable"] is True, st
    jid = st["id"]
    _, _, done = post_job(srv, quick[:3])  # a finished job must survive the restart too
    wait_job(srv, done["id"])
    wait_done(srv, jid, 20)
    c = srv.conn()
    c.request("GET", f"/v1/jobs/{jid}/results")
    r = c.getresponse()
    sse = srv.conn()
    sse.request("GET", f"/v1/jobs/{jid}/results?format=sse")
    events = sse.getresponse()
    srv.stop(signal.SIGTERM)  # asserts a clean exit (0, no sanitizer report)
    body = r.read()  # the open stream was ended cleanly, with what was finished
    c.close()
    # not "cancelled": nobody cancelled it, and the restart below resumes it
    tail = events.read()[-64:]
    sse.close()
    assert tail.endswith(b"\n\nevent: end\ndata: interrupted\n\n"), tail
    before = body.splitlines()
    assert len(before) == 20, body[-200:]
    with open(os.path.join(d, f"job-{jid}.jsonl")) as f:
        seqs = sorted(int(line.split("\t", 1)[0]) for line in f)
    assert seqs == list(range(20)), seqs
    assert not os.path.exists(os.path.join(d, f"job-{jid}.end"))
    # restarted on the same directory: the finished job is there, the other one resumes
    # and fetches only what it lacked
    gate.open()
    srv = Serve(*args)
    try:
        st = wait_job(srv, jid)
        assert st["state"] == "done" and st["done"] == 40 and st["failed"] == 0, st
        assert srv.metric("cafe_serve_fetches_total") == 20
        _, _, body = srv.request("GET", f"/v1/jobs/{jid}/results")
        recs = [json.loads(x) for x in body.splitlines()]
        assert [x["url"] for x in recs] == quick + slow
        assert body.splitlines()[:20] == before
        st = srv.json("GET", f"/v1/jobs/{done['id']}")[2]
        assert st["state"] == "done" and st["done"] == 3, st
        # the database holds the job as one run, interrupted and continued: one row a URL
        assert db_rows(dbpath, jid) == ("done", sorted(quick + slow))
    finally:
        srv.stop()
        gate.close()


def test_a_json_list_is_the_same_list_after_a_restart():
    # job-ID.urls keeps the list one URL a line; a JSON string that no line can hold would be
    # read back as another list (a line break: two URLs; blank or "#...": none), and every
    # record after it would then stand beside the wrong URL, or be dropped
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    args = ("-q", "--allow-private", "--data-dir", d)
    json_type = {"Content-Type": "application/json"}
    a, b, c = fx.url(0, "/page/1"), fx.url(1, "/page/2"), fx.url(0, "/page/3")
    srv = Serve(*args)
    try:
        for bad in ([a + "\n" + b, c], [a + "\r" + b, c], [a, ""], [" \t", c], ["# a comment", c]):
            status, _, err = srv.json("POST", "/v1/jobs", body=json.dumps(bad), headers=json_type)
            assert status == 400 and "one URL" in err["error"], (bad, status, err)
        assert not [f for f in os.listdir(d) if f.endswith(".urls")], os.listdir(d)
        # spaces around a URL are trimmed, as on a text line: the same URL either way
        status, _, st = srv.json("POST", "/v1/jobs", body=json.dumps([a, f"  {b}\t", c]),
                                 headers=json_type)
        assert status == 202 and st["total"] == 3, st
        st = wait_job(srv, st["id"])
        _, _, body = srv.request("GET", f"/v1/jobs/{st['id']}/results")
    finally:
        srv.stop()
    assert [json.loads(x)["url"] for x in body.splitlines()] == [a, b, c], body
    srv = Serve(*args)
    try:
        again = srv.json("GET", f"/v1/jobs/{st['id']}")[2]
        assert again["total"] == 3 and again["done"] == 3 and again["ok"] == 3, again
        assert srv.request("GET", f"/v1/jobs/{st['id']}/results")[2] == body
    finally:
        srv.stop()


def test_a_nul_in_a_text_line_is_that_lines_bad_url_before_and_after_a_restart():
    # as in cafe titles: the line is one invalid URL, shown with U+FFFD for the NUL; not a
    # URL cut at the NUL (the rest of the line lost), nor two lines after a restart
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    args = ("-q", "--allow-private", "--data-dir", d, "--shutdown-grace", "0.2",
            "--timeout", "3600")
    a, b, c = fx.url(0, "/page/1"), fx.url(1, "/page/2"), fx.url(0, "/page/3")
    gate = Gate()
    body = (a + "\0" + b + "\n" + c + "\n" + gate.url("/held") + "\n").encode()
    srv = Serve(*args)
    try:
        status, _, st = srv.json("POST", "/v1/jobs", body=body,
                                 headers={"Content-Type": "text/plain"})
        assert status == 202 and st["total"] == 3, st
        wait_done(srv, st["id"], 2)
        gate.wait_arrived(1)
    finally:
        srv.stop()
    srv = Serve(*args)  # resumes the job: its list must be the same three lines
    try:
        gate.open()
        again = wait_job(srv, st["id"])
        assert again["total"] == 3 and again["done"] == 3, again
        _, _, out = srv.request("GET", f"/v1/jobs/{st['id']}/results")
        recs = [json.loads(x) for x in out.splitlines()]
        assert [x["url"] for x in recs] == [a + "\ufffd" + b, c, gate.url("/held")], recs
        assert recs[0]["error"] == "invalid URL: NUL byte in URL", recs[0]
        assert recs[1]["error"] is None and recs[2]["error"] is None, recs
    finally:
        srv.stop()
        gate.close()


def test_a_corrupted_spool_is_read_without_counting_what_is_no_record():
    # job-ID.jsonl damaged on disk: lines with no record after the tab (which the index
    # would take for "no record yet", and count again each time), a line that is no JSON
    # object, a sequence number past the list. None is a record: the job keeps at most one
    # record a URL, and fetches again those that have none.
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    jid = "0123456789abcdef"
    urls = ["http://no such host/a", "http://no such host/b"]
    with open(os.path.join(d, f"job-{jid}.urls"), "w") as f:
        f.write(f"# cafe serve job {jid} 1700000000.000000000\n" + "\n".join(urls) + "\n")
    with open(os.path.join(d, f"job-{jid}.jsonl"), "w") as f:
        f.write("0\t\n" * 5 + "1\tnot json\n" + "7\t{}\n")
    srv = Serve("-q", "--data-dir", d)
    try:
        st = wait_job(srv, jid)
        assert st["total"] == 2 and st["done"] == 2 and st["failed"] == 2, st
        _, _, body = srv.request("GET", f"/v1/jobs/{jid}/results")
        recs = [json.loads(x) for x in body.splitlines()]
        assert [x["url"] for x in recs] == urls, recs
    finally:
        srv.stop()


def spool_record(url, **fields):
    """A record of the shape the service writes into a job's spool."""
    rec = {"url": url, "final_url": url, "status": 200, "title": None, "content_type": None,
           "charset": None, "charset_source": None, "bytes": 0, "time_ms": 1, "attempts": 1,
           "error": None}
    rec.update(fields)
    return json.dumps(rec, separators=(",", ":"))


def test_well_formed_json_that_is_not_the_lines_record_is_damage_too():
    # a damaged spool may hold JSON that parses: a whole record of another line's URL, an
    # object of another shape with the right URL, a record with its url twice. None of them
    # is the line's record (taken, it stood in the results beside the wrong URL): each URL is
    # done again. A record of the line's own URL is kept, not fetched again.
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    jid = "0123456789abcdee"
    urls = [f"http://no such host/{c}" for c in "abcde"]
    with open(os.path.join(d, f"job-{jid}.urls"), "w") as f:
        f.write(f"# cafe serve job {jid} 1700000000.000000000\n" + "\n".join(urls) + "\n")
    twice = spool_record(urls[2], title="twice")
    with open(os.path.join(d, f"job-{jid}.jsonl"), "w") as f:
        f.write("0\t" + spool_record(urls[1], title="not a's") + "\n")
        f.write("1\t" + json.dumps({"url": urls[1], "title": "another shape"}) + "\n")
        f.write("2\t" + twice[:-1] + ',"url":"' + urls[2] + '"}\n')
        f.write("3\t" + spool_record(urls[3], status="200") + "\n")
        f.write("4\t" + spool_record(urls[4], title="kept") + "\n")
    srv = Serve("-q", "--data-dir", d)
    try:
        st = wait_job(srv, jid)
        # the four damaged lines fetched again (each an invalid URL: failed), e's kept
        assert st["total"] == 5 and st["done"] == 5, st
        assert st["failed"] == 4 and st["ok"] == 1, st
        _, _, body = srv.request("GET", f"/v1/jobs/{jid}/results")
        recs = [json.loads(x) for x in body.splitlines()]
        assert [x["url"] for x in recs] == urls, recs
        assert [x["title"] for x in recs] == [None] * 4 + ["kept"], recs
    finally:
        srv.stop()


def test_a_second_service_on_the_same_directory_is_refused():
    # two services on one --data-dir would both resume its unfinished jobs and write their
    # spools at the same offsets, each over the other's records, and forget each other's
    # files under --jobs-kept: the second one is refused, and the first goes on
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    gate = Gate()
    args = ("-q", "--allow-private", "--shutdown-grace", "0.2", "--timeout", "3600")
    srv = Serve(*args, "--data-dir", d)
    try:
        status, _, st = post_job(srv, [gate.url("/held")])
        assert status == 202, st
        gate.wait_arrived(1)
        for more in ((), ("--db", f"sqlite:{d}/x.sqlite", "--data-dir", d)):
            second = subprocess.Popen([CAFE, "serve", "--listen", "127.0.0.1:0", *args,
                                       "--data-dir", d, *more],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            # its first line, or the end of its output when it exits: never a wait on a
            # service that started after all
            line = second.stdout.readline()
            if line:
                second.kill()
            out, err = second.communicate(timeout=PATIENCE)
            assert second.returncode == 2 and line + out == b"", (second.returncode, line, err)
            assert f"{d} is in use by another cafe serve".encode() in err, err
        assert srv.json("GET", f"/v1/jobs/{st['id']}")[2]["state"] == "running"
    finally:
        srv.stop()
        gate.close()
    srv = Serve(*args, "--data-dir", d)  # the lock went with the first one
    try:
        assert srv.request("GET", f"/v1/jobs/{st['id']}")[0] == 200
    finally:
        srv.stop()


def finish(c, stopping=True):
    """Ends c's head; the answer's status and body, read to the close (Connection: close,
    as a stopping service answers; stopping=False: the stop may not have begun yet)."""
    head, body = ended(c)
    assert not stopping or b"\r\nConnection: close\r\n" in head, head
    return int(head.split()[1]), body


def listening(port):
    """Whether a socket of this network namespace listens on TCP port (IPv4)."""
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return any(r[3] == "0A" and int(r[1].rsplit(":", 1)[1], 16) == port for r in rows)


def wait_refused(srv):
    """Waits (bounded) until the service's listening socket is closed: its stop began. Read
    from the kernel's table, not by connecting: a connection made as the listener closes is
    reset (ECONNRESET out of create_connection, not ECONNREFUSED), in its backlog unaccepted."""
    end = time.monotonic() + PATIENCE
    while time.monotonic() < end:
        if not listening(srv.port):
            return
        time.sleep(0.01)
    raise AssertionError("the service still accepts connections")


def test_a_delete_during_the_shutdown_grace_cancels_the_job_for_good():
    # the service stops (SIGTERM), its jobs get --shutdown-grace to finish; a client that
    # cancels one then, on a connection it had open, was answered 503 and the cancel lost:
    # the job was interrupted, and the restart resumed it
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    gate = Gate()
    args = ("-q", "--allow-private", "--data-dir", d, "--timeout", "3600")
    srv = Serve(*args, "--shutdown-grace", "5")
    try:
        status, _, st = post_job(srv, [gate.url("/held")])
        assert status == 202, st
        gate.wait_arrived(1)
        # under way at the stop (an idle connection is closed then, as the listener)
        c = half_sent(srv, f"DELETE /v1/jobs/{st['id']}")
        srv.proc.send_signal(signal.SIGTERM)
        wait_refused(srv)  # the stop has begun
        status, body = finish(c)
        assert status == 200 and json.loads(body)["state"] in ("cancelling", "cancelled"), (
            status, body)
        _, err = srv.proc.communicate(timeout=PATIENCE)  # the stop goes on by itself
        assert srv.proc.returncode == 0 and b"Sanitizer" not in err, err[-2000:]
    finally:
        if srv.proc.poll() is None:  # not srv.stop(): a second SIGTERM ends it at once
            srv.proc.kill()
            srv.proc.communicate()
    srv = Serve(*args)
    try:
        again = srv.json("GET", f"/v1/jobs/{st['id']}")[2]
        assert again["state"] == "cancelled", again
    finally:
        srv.stop()
        gate.close()


def test_a_delete_after_the_shutdown_grace_cancels_the_job_for_good():
    # past --shutdown-grace the service interrupts its jobs and still answers, for a moment,
    # on connections open then; a DELETE of an interrupted job was answered 200 with
    # "interrupted", and the restart resumed the job its user had cancelled. It ends
    # cancelled (its database run too), as a DELETE during the grace ends it. A job of two
    # URLs, one done: the record kept, the other URL never fetched again.
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    dbpath = os.path.join(d, "titles.sqlite")
    gate = Gate()
    args = ("-q", "--allow-private", "--db", f"sqlite:{dbpath}", "--timeout", "3600")
    # --header-timeout: the half-sent looks wait unanswered until popped; at the default
    # 10 s the first made expired on a loaded machine (made 200 in turn, popped last first)
    # and were closed unanswered (CI of stop 45)
    srv = Serve(*args, "--shutdown-grace", "0.2", "--header-timeout", "3600")
    try:
        status, _, st = post_job(srv, [gate.url("/held"), fx.url(0, "/page/1")])
        assert status == 202, st
        gate.wait_arrived(1)
        wait_done(srv, st["id"], 1)
        # under way at the stop (an idle connection is closed then, as the listener): the
        # DELETE, and the status requests that tell when the grace is over and the job
        # interrupted, one each 50 ms (the grace is 0.2 s; the job's end may take seconds
        # on a loaded machine: 200 cover 10 s at least)
        c = half_sent(srv, f"DELETE /v1/jobs/{st['id']}")
        looks = [half_sent(srv, f"GET /v1/jobs/{st['id']}") for _ in range(200)]
        srv.proc.send_signal(signal.SIGTERM)
        while json.loads(finish(looks.pop(), stopping=False)[1])["state"] != "interrupted":
            assert looks, "the job was not interrupted"
            time.sleep(0.05)
        for look in looks:
            look.close()
        status, body = finish(c)
        body = json.loads(body)
        assert status == 200 and body["state"] == "cancelled", (status, body)
        assert body["restart"] == "kept on disk: a restart shows it again", body
        _, err = srv.proc.communicate(timeout=PATIENCE)  # the stop goes on by itself
        assert srv.proc.returncode == 0 and b"Sanitizer" not in err, err[-2000:]
    finally:
        if srv.proc.poll() is None:  # not srv.stop(): a second SIGTERM ends it at once
            srv.proc.kill()
            srv.proc.communicate()
    assert db_rows(dbpath, st["id"]) == ("cancelled", [fx.url(0, "/page/1")])
    srv = Serve(*args)
    try:
        again = srv.json("GET", f"/v1/jobs/{st['id']}")[2]
        assert again["state"] == "cancelled" and again["done"] == 1, again
    finally:
        srv.stop()
        gate.close()
    assert gate.arrived == 1, gate.arrived  # the held URL was not fetched again


def test_a_jobs_error_that_is_not_utf8_is_still_in_its_status():
    # the error a job ended with may not be UTF-8: a database's message (in its server's
    # language) cut to the room kept for it in the middle of a character, as the end mark
    # then holds it, or a mark damaged on disk. jansson refused the string, and the status
    # of the job had no "error" at all: cancelled, with no word of why.
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    cut = ("database: " + "\u00e9" * 300).encode()[:599]  # as the service cuts it: half an é
    errors = {"00000000000000c1": (cut, "database: " + "\u00e9" * 294 + "\ufffd"),
              "00000000000000c2": (b"caf\xe9 \xff", "caf\ufffd \ufffd")}
    for jid, (error, _) in errors.items():
        with open(os.path.join(d, f"job-{jid}.urls"), "w") as f:
            f.write(f"# cafe serve job {jid} 1700000000.000000000\nhttp://no such host/\n")
        with open(os.path.join(d, f"job-{jid}.end"), "wb") as f:
            f.write(b"cancelled 10 0\n" + error + b"\n")
    srv = Serve("-q", "--data-dir", d)
    try:
        for jid, (_, want) in errors.items():
            status, _, st = srv.json("GET", f"/v1/jobs/{jid}")
            assert status == 200 and st["state"] == "cancelled", st
            assert st.get("error") == want, (jid, st)
    finally:
        srv.stop()


def test_a_job_file_that_cannot_be_read_leaves_its_job_unloaded():
    # a list that cannot be read is not an empty list (a job of no URL, done at once and so
    # marked for good), and an end mark that cannot be read is not an absent one (a cancelled
    # job resumed): the job is left alone, and said so
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    nolist, noend = "00000000000000aa", "00000000000000bb"
    os.mkdir(os.path.join(d, f"job-{nolist}.urls"))
    with open(os.path.join(d, f"job-{noend}.urls"), "w") as f:
        f.write(f"# cafe serve job {noend} 1700000000.000000000\nhttp://no such host/\n")
    os.mkdir(os.path.join(d, f"job-{noend}.end"))
    srv = Serve("-q", "--data-dir", d)
    try:
        for jid in (nolist, noend):
            status, _, st = srv.json("GET", f"/v1/jobs/{jid}")
            assert status == 404, st
    finally:
        _, _, err = srv.stop()
    for jid in (nolist, noend):
        assert f"cannot load job {jid}".encode() in err, err
    assert sorted(os.listdir(d)) == ["cafe-serve.lock", f"job-{nolist}.urls",
                                     f"job-{noend}.end", f"job-{noend}.jsonl",
                                     f"job-{noend}.urls"], os.listdir(d)


def test_a_torn_list_is_no_list_and_files_are_written_whole():
    # a list cut by a crash in the middle of its writing ends without its newline: read back
    # it was a shorter list, whose last line, a cut URL, was fetched as a URL of the job.
    # The service writes its files whole (a .tmp renamed into place) and removes the .tmp a
    # crash left; a torn list it finds is left unloaded, and said so.
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    jid = "00000000000000dd"
    with open(os.path.join(d, f"job-{jid}.urls"), "w") as f:
        f.write(f"# cafe serve job {jid} 1700000000.000000000\nhttp://no such host/a\nhttp://no s")
    with open(os.path.join(d, f"job-{jid}.run.tmp"), "w") as f:
        f.write("12")
    srv = Serve("--data-dir", d)
    try:
        assert srv.request("GET", f"/v1/jobs/{jid}")[0] == 404
        _, _, st = post_job(srv, ["not a url"])
        wait_job(srv, st["id"])
        # written whole: no .tmp left behind, the list and end mark in place
        assert sorted(f for f in os.listdir(d) if st["id"] in f) == [
            f"job-{st['id']}.end", f"job-{st['id']}.jsonl", f"job-{st['id']}.urls"]
    finally:
        _, _, err = srv.stop()
    assert f"job-{jid}.urls is torn".encode() in err and f"cannot load job {jid}".encode() in err
    assert not [f for f in os.listdir(d) if f.endswith(".tmp")], os.listdir(d)


def test_the_oldest_jobs_go_first_after_a_restart_too():
    # --jobs-kept forgets the oldest finished job for each new one; after a restart the jobs
    # come back from the directory in whatever order it lists them, and must still go in the
    # order they were made
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    args = ("-q", "--data-dir", d, "--jobs-kept", "6")
    srv = Serve(*args)
    try:
        ids = []
        for i in range(6):  # invalid URLs: each job is done at once, with no fetch
            ids.append(wait_job(srv, post_job(srv, [f"not a url {i}"])[2]["id"])["id"])
        # over: a restart shows it, nothing of it is resumed (a running job's says resumes)
        st = srv.json("GET", f"/v1/jobs/{ids[0]}")[2]
        assert st["restart"] == "kept on disk: a restart shows it again", st
    finally:
        srv.stop()
    srv = Serve(*args)
    try:
        for i, old in enumerate(ids):
            _, _, st = post_job(srv, [f"not a url either {i}"])
            wait_job(srv, st["id"])
            kept = [j for j in ids if srv.request("GET", f"/v1/jobs/{j}")[0] == 200]
            assert kept == ids[i + 1:], (i, kept, ids)
    finally:
        srv.stop()


def test_a_restart_keeps_whose_each_job_is():
    # a job loaded at a restart belonged to no client: one that held --max-client-jobs
    # resumed jobs could post as many more, and its own new jobs went before its old ones
    # under --jobs-kept
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    args = ("-q", "--allow-private", "--data-dir", d, "--shutdown-grace", "0.2", "--timeout",
            "3600", "--max-jobs", "4", "--max-client-jobs", "2")
    gate = Gate()
    srv = Serve(*args)
    try:
        for i in range(2):
            assert post_from(srv, "127.0.0.2", [gate.url(f"/{i}")])[0] == 202
        gate.wait_arrived(2)
    finally:
        srv.stop(signal.SIGTERM)
    srv = Serve(*args)
    try:
        status, _, err = post_from(srv, "127.0.0.2", [gate.url("/2")])
        assert status == 429 and err["error"].startswith("127.0.0.2 has 2 jobs"), err
        assert post_from(srv, "127.0.0.3", [gate.url("/3")])[0] == 202
    finally:
        srv.stop(signal.SIGTERM)
        gate.close()
    # a list file of an older version, without a client in its head line: nobody's, and its
    # first URL still its first URL
    jid = "00000000000000d1"
    with open(os.path.join(d, f"job-{jid}.urls"), "w") as f:
        f.write(f"# cafe serve job {jid} 1700000000.000000000\nhttp://no such host/1\n")
    srv = Serve(*args)
    try:
        st = wait_job(srv, jid)
        assert st["total"] == 1 and st["done"] == 1, st
        _, _, rec = srv.json("GET", f"/v1/jobs/{jid}/results")
        assert rec["url"] == "http://no such host/1", rec
    finally:
        srv.stop()


def test_a_lower_jobs_kept_after_a_restart_is_kept_to():
    # made under --jobs-kept 64, restarted under 2: the oldest finished jobs go at once (each
    # held its list in memory), not one for each new job
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    srv = Serve("-q", "--data-dir", d)
    try:
        ids = []
        for i in range(5):  # invalid URLs: each job is done at once, with no fetch
            ids.append(wait_job(srv, post_job(srv, [f"not a url {i}"])[2]["id"])["id"])
    finally:
        srv.stop()
    srv = Serve("-q", "--data-dir", d, "--jobs-kept", "2")
    try:
        kept = [j for j in ids if srv.request("GET", f"/v1/jobs/{j}")[0] == 200]
        assert kept == ids[3:], (kept, ids)
        _, _, st = post_job(srv, ["not a url either"])
        wait_job(srv, st["id"])
        kept = [j for j in ids if srv.request("GET", f"/v1/jobs/{j}")[0] == 200]
        assert kept == ids[4:], (kept, ids)
        assert len([f for f in os.listdir(d) if f.endswith(".urls")]) == 2, os.listdir(d)
    finally:
        srv.stop()


def test_a_restart_resumes_no_more_jobs_at_once_than_max_jobs():
    # 10 unfinished jobs on disk, restarted under --max-jobs 4: the 4 oldest run, the others
    # wait (queued) and start as those end, as a POST beyond the limit would be refused
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    args = ("-q", "--allow-private", "--shutdown-grace", "0.2", "--data-dir", d,
            "--timeout", "3600")
    gate = Gate()
    srv = Serve(*args, "--max-jobs", "10", "--max-client-jobs", "10")
    try:
        ids = []
        for i in range(10):
            status, _, st = post_job(srv, [gate.url(f"/job/{i}")])
            assert status == 202, st
            ids.append(st["id"])
    finally:
        srv.stop(signal.SIGTERM)

    def states():
        return [srv.json("GET", f"/v1/jobs/{j}")[2]["state"] for j in ids]

    def stream(jid):  # a job's SSE results, in completion order as the page reads them
        c = srv.conn()
        c.request("GET", f"/v1/jobs/{jid}/results?format=sse&order=done")
        r = c.getresponse()
        assert r.status == 200
        return c, r

    srv = Serve(*args, "--max-jobs", "4")
    try:
        assert states() == ["running"] * 4 + ["queued"] * 6, states()
        assert srv.metric("cafe_serve_jobs_running") == 4
        assert srv.metric("cafe_serve_jobs_queued") == 6
        status, hdrs, _ = post_job(srv, [gate.url("/new")])  # the queued ones go first
        assert status == 429 and hdrs["retry-after"] == "5", status
        # a DELETE of a queued job cancels it at once, without running it
        status, _, st = srv.json("DELETE", f"/v1/jobs/{ids[9]}")
        assert status == 200 and st["state"] == "cancelled" and st["done"] == 0, st
        _, _, tail = srv.request("GET", f"/v1/jobs/{ids[9]}/results?format=sse")
        assert tail == b"event: end\ndata: cancelled\n\n", tail
        assert srv.metric("cafe_serve_jobs_queued") == 5
        c, events = stream(ids[8])  # waits: the job has not run
    finally:
        srv.stop(signal.SIGTERM)
    tail = events.read()
    c.close()
    assert tail == b"event: end\ndata: interrupted\n\n", tail  # stopped while queued
    srv = Serve(*args, "--max-jobs", "4")
    try:
        assert states() == ["running"] * 4 + ["queued"] * 5 + ["cancelled"], states()
        c, events = stream(ids[8])
        gate.open()
        for j in ids[:9]:
            st = wait_job(srv, j)
            assert st["state"] == "done" and st["done"] == 1 and st["failed"] == 0, st
        body = events.read().decode()
        c.close()
        assert body.startswith("id: 0\ndata: ") and "/job/8" in body, body
        assert body.endswith("\n\nevent: end\ndata: done\n\n"), body
        assert srv.metric("cafe_serve_jobs_running") == 0
        assert srv.metric("cafe_serve_jobs_queued") == 0
        assert srv.metric("cafe_serve_fetches_total") == 9  # never the cancelled job's URL
    finally:
        srv.stop()
        gate.close()


def test_a_queued_job_is_not_said_resumed_until_it_runs():
    # three unfinished jobs on disk, restarted under --max-jobs 1: the log says the oldest is
    # resumed, the two others queued; stopped before they run, they never were resumed
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    gate = Gate()
    ids = [f"00000000000000c{i}" for i in range(3)]
    for i, jid in enumerate(ids):
        with open(os.path.join(d, f"job-{jid}.urls"), "w") as f:
            f.write(f"# cafe serve job {jid} 1700000000.00000000{i}\n{gate.url(f'/{i}')}\n")
    srv = Serve("--allow-private", "--shutdown-grace", "0.2", "--data-dir", d, "--max-jobs",
                "1", "--timeout", "3600")
    try:
        gate.wait_arrived(1)
        assert [srv.json("GET", f"/v1/jobs/{j}")[2]["state"] for j in ids] == [
            "running", "queued", "queued"]
    finally:
        _, _, err = srv.stop()
        gate.close()
    log = err.decode()
    assert f"resuming job {ids[0]} (0 of 1 URLs done)" in log, log
    for jid in ids[1:]:
        assert f"resuming job {jid}" not in log, log
        assert f"job {jid} queued (0 of 1 URLs done)" in log, log


def db_rows(path, jid):
    """The status of job jid's run in the database, and its URLs, sorted."""
    import sqlite3
    db = sqlite3.connect(path)
    runs = [(r, st) for r, st, o in db.execute("SELECT run_id, status, options FROM runs")
            if json.loads(o)["job"] == jid]
    assert len(runs) == 1, runs
    urls = sorted(u for (u,) in db.execute("SELECT url FROM titles WHERE run_id = ?",
                                           (runs[0][0],)))
    db.close()
    return runs[0][1], urls


def test_a_cancelled_jobs_run_says_cancelled_in_the_database():
    # a DELETE ends a job for good: its run in the database must say so, not "interrupted"
    # (which a restart continues), whether the job was running or still queued after a
    # restart, its run from before the restart then left as it was
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    dbpath = os.path.join(d, "titles.sqlite")
    args = ("-q", "--allow-private", "--shutdown-grace", "0.2", "--db", f"sqlite:{dbpath}",
            "--timeout", "3600")
    gate = Gate()
    srv = Serve(*args, "--max-jobs", "3", "--max-client-jobs", "3")
    try:
        ids = [post_job(srv, [gate.url(f"/{i}"), fx.url(0, f"/page/{i}")])[2]["id"]
               for i in range(3)]
        gate.wait_arrived(3)
        for jid in ids:
            wait_done(srv, jid, 1)
    finally:
        srv.stop(signal.SIGTERM)
    assert [db_rows(dbpath, j)[0] for j in ids] == ["interrupted"] * 3
    import sqlite3
    db = sqlite3.connect(dbpath)  # a batch a crash lost: the spool has the record
    assert db.execute("DELETE FROM titles WHERE url = ?", (fx.url(0, "/page/1"),)).rowcount == 1
    db.commit()
    db.close()
    srv = Serve(*args, "--max-jobs", "1")  # the oldest runs, the two others wait
    try:
        assert [srv.json("GET", f"/v1/jobs/{j}")[2]["state"] for j in ids] == [
            "running", "queued", "queued"]
        for jid in (ids[1], ids[0]):  # a queued one, then the running one
            assert srv.json("DELETE", f"/v1/jobs/{jid}")[0] == 200
            assert wait_job(srv, jid)["state"] == "cancelled"
    finally:
        srv.stop(signal.SIGTERM)
        gate.close()
    runs = [db_rows(dbpath, j) for j in ids]
    assert [r[0] for r in runs] == ["cancelled", "cancelled", "interrupted"], runs
    for i, (_, urls) in enumerate(runs):  # the records they have, one row each
        assert urls == [fx.url(0, f"/page/{i}")], runs


def test_a_queued_jobs_run_left_running_by_a_kill_says_interrupted_at_the_next_stop():
    # killed, the service left its jobs' runs "running"; restarted under --max-jobs 1, the
    # queued jobs' runs stayed so while they waited, and after a stop before they ran, for
    # good: "running" with no end, for runs nobody runs
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    dbpath = os.path.join(d, "titles.sqlite")
    args = ("-q", "--allow-private", "--shutdown-grace", "0.2", "--db", f"sqlite:{dbpath}",
            "--timeout", "3600")
    gate = Gate()
    srv = Serve(*args, "--max-jobs", "3", "--max-client-jobs", "3")
    try:
        ids = [post_job(srv, [gate.url(f"/{i}")])[2]["id"] for i in range(3)]
        gate.wait_arrived(3)
    finally:
        srv.proc.kill()
        srv.proc.communicate(timeout=60)
    assert [db_rows(dbpath, j)[0] for j in ids] == ["running"] * 3
    srv = Serve(*args, "--max-jobs", "1")
    try:
        assert [srv.json("GET", f"/v1/jobs/{j}")[2]["state"] for j in ids] == [
            "running", "queued", "queued"]
    finally:
        srv.stop(signal.SIGTERM)
        gate.close()
    assert [db_rows(dbpath, j)[0] for j in ids] == ["interrupted"] * 3


def test_killed_during_a_job_then_the_database_alone_resumes_it():
    # --db sqlite:PATH and nothing else: the jobs' files live beside the database
    d = tempfile.mkdtemp(prefix="cafe-serve-")
    dbpath = os.path.join(d, "titles.sqlite")
    args = ("-q", "--allow-private", "--db", f"sqlite:{dbpath}", "--timeout", "3600")
    srv = Serve(*args)
    gate = Gate()
    quick = [fx.url(1, f"/page/{i}") for i in range(30)]
    slow = [gate.url(f"/page/{i}") for i in range(8)]
    urls = quick[:15] + slow + quick[15:]
    status, _, st = post_job(srv, urls)
    assert status == 202 and st["durable"] is True, st
    jid = st["id"]
    wait_done(srv, jid, 30)
    import sqlite3

    def committed():  # of the three rows deleted below: records reach the database after
        db = sqlite3.connect(dbpath)  # the spool, in batches (a loaded machine killed the
        try:  # service before they had, and the deletion below found none)
            return db.execute("SELECT count(*) FROM titles WHERE url IN (?, ?, ?)",
                              quick[3:6]).fetchone()[0]
        finally:
            db.close()
    n = settle(committed, lambda n: n == 3)
    assert n == 3, n
    srv.proc.kill()  # no shutdown at all: whatever the database had not committed is lost
    srv.proc.communicate(timeout=60)
    assert os.path.exists(os.path.join(d, "titles.sqlite.jobs", f"job-{jid}.urls"))
    # a batch the kill lost: records in the job's spool that the database never committed
    db = sqlite3.connect(dbpath)
    run = [r for r, o in db.execute("SELECT run_id, options FROM runs")
           if json.loads(o)["job"] == jid][0]
    assert db.execute("DELETE FROM titles WHERE run_id = ? AND url IN (?, ?, ?)",
                      (run, *quick[3:6])).rowcount == 3
    db.commit()
    db.close()
    gate.open()
    srv = Serve(*args)
    try:
        st = wait_job(srv, jid)
        assert st["state"] == "done" and st["done"] == len(urls) and st["failed"] == 0, st
        assert srv.metric("cafe_serve_fetches_total") == len(slow)  # only what it lacked
        _, _, body = srv.request("GET", f"/v1/jobs/{jid}/results")
        assert [json.loads(x)["url"] for x in body.splitlines()] == urls
        assert db_rows(dbpath, jid) == ("done", sorted(urls))
    finally:
        srv.stop()
        gate.close()


run_tests(globals(), cleanup=[fx.close])
