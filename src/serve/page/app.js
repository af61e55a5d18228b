// The page of `cafe serve`. Every title and URL reaches the document through textContent,
// never as markup: a hostile title shows as text and runs nothing. Requests go to this
// origin only, by paths relative to the page's own (as its files are named in index.html):
// a reverse proxy may put the service under a path of its site (location /titles/), where
// "/v1/jobs" was the site's, not the service's.
"use strict";

const $ = (id) => document.getElementById(id);
let job = null;       // {id, total}
let samples = [];     // [{t, done}] for the throughput chart
let poller = null;

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const token = $("token").value.trim();
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

function say(text) { $("message").textContent = text || ""; }

async function api(path, opts) {
  const r = await fetch(path, Object.assign({}, opts, { headers: headers(opts && opts.headers) }));
  if (!r.ok) {
    let why = r.status + " " + r.statusText;
    try { why = (await r.json()).error || why; } catch (e) { /* not JSON */ }
    const err = new Error(why);
    err.status = r.status; // an answer, not a connection that failed
    throw err;
  }
  return r;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text;
  tr.appendChild(td);
  return td;
}

// The starts of the messages of records that are no failure: why a page has no title, or
// only a cut one (src/sinks/record.h, RECORD_WHY_*: the service counts them so). A JSON record
// has no field saying failed; the rest is record_failed's rule: an HTTP status of 400 or more,
// or a message of another kind.
const NOT_FAILURES = ["not HTML (", "body cut at --max-bytes ", "not well-formed XML (",
                      "title cut at "];

function isFailure(rec) {
  if (rec.error === null || rec.error === undefined) return false;
  if (rec.status >= 400) return true;
  return !NOT_FAILURES.some(p => rec.error.startsWith(p));
}

function addRow(n, rec) {
  const tr = document.createElement("tr");
  const failed = isFailure(rec);
  if (failed) tr.className = "failed";
  cell(tr, String(n), "n");
  cell(tr, rec.url || "");
  cell(tr, rec.status === null ? "" : String(rec.status), "s");
  if (rec.title === null || rec.title === undefined) cell(tr, "(no title)", "none");
  else cell(tr, rec.title, "t");
  cell(tr, rec.error || "", "e");
  $("results").tBodies[0].appendChild(tr);
}

// Records as they complete (order=done), as Server-Sent Events read with fetch() so that the
// token can go in a header; each event's id is the record's input position. Returns the
// job's state named by the last event ("end"), or null when the stream broke off and could
// not be taken up again.
//
// A stream cut off (a proxy's timeout, a network blip) left the table short of rows for
// good while the counts said "done": it is asked for again, as an EventSource would, with
// the id of the last event received (Last-Event-ID), from which the service goes on, so
// that no record comes twice. A few tries, further apart each time.
async function streamResults(id, at) {
  for (let tries = 0; ; tries++) {
    try {
      const state = await streamOnce(id, at);
      if (state !== null) return state;
    } catch (e) {
      if (e.status) throw e; // the service answered: no stream to take up
    }
    if (tries >= 8) return null;
    await new Promise(done => setTimeout(done, Math.min(250 * 2 ** tries, 5000)));
  }
}

async function streamOnce(id, at) {
  const extra = at.last === null ? {} : { "Last-Event-ID": String(at.last) };
  const r = await api("v1/jobs/" + id + "/results?format=sse&order=done", { headers: extra });
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = "", state = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return state;
    buf += dec.decode(value, { stream: true });
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const event = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let pos = null, data = null, name = null;
      for (const line of event.split("\n")) {
        if (line.startsWith("id: ")) pos = Number(line.slice(4));
        else if (line.startsWith("data: ")) data = line.slice(6);
        else if (line.startsWith("event: ")) name = line.slice(7);
      }
      if (name === "end") state = data;
      else if (pos !== null && data !== null) {
        addRow(pos + 1, JSON.parse(data));
        at.last = pos;
      }
    }
  }
}

function drawChart() {
  const c = $("chart"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const rates = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1000;
    rates.push(dt > 0 ? (samples[i].done - samples[i - 1].done) / dt : 0);
  }
  const max = Math.max(1, ...rates);
  g.strokeStyle = "#2d6a4f";
  g.lineWidth = 2;
  g.beginPath();
  rates.forEach((v, i) => {
    const x = rates.length > 1 ? (i / (rates.length - 1)) * (c.width - 4) + 2 : 2;
    const y = c.height - 14 - (v / max) * (c.height - 24);
    if (i) g.lineTo(x, y); else g.moveTo(x, y);
  });
  g.stroke();
  g.fillStyle = "#555";
  g.font = "12px sans-serif";
  g.fillText("titles/s (peak " + max.toFixed(1) + ")", 4, 12);
}

const OVER = ["done", "cancelled", "interrupted"];

function showStatus(st) {
  job.state = st.state;
  $("progress").max = Math.max(1, st.total);
  $("progress").value = st.done;
  const eta = st.eta_s === null ? "" : ", about " + Math.ceil(st.eta_s) + " s left";
  $("counts").textContent = st.done + " / " + st.total + " (" + st.failed + " failed), " +
    st.rate.toFixed(1) + " titles/s" + eta + " — " + st.state;
  samples.push({ t: performance.now(), done: st.done });
  if (samples.length > 120) samples.shift();
  drawChart();
  // queued: resumed by a restart, waiting for --max-jobs; a DELETE cancels it unrun
  $("cancel").disabled = st.state !== "running" && st.state !== "queued";
  // A record it could not write (a full disk) or the database stopped the job: say why.
  if (st.error) say("The job stopped: " + st.error);
}

// The job's status every 500 ms while it runs. One that failed for a moment (a network
// blip, a proxy's 502 while its upstream was away) stopped the polling: the counts and the
// progress bar stayed where they were for the rest of the job, the failure's message beside
// a job that then ended well. Such a failure is asked again a little later, and its message
// goes once the status comes again; an answer that will not change (404, 401) ends it.
let statusFailure = null; // the message a failed status request left, while it stands

async function poll() {
  if (!job) return;
  const id = job.id;
  clearTimeout(poller); // one chain of polls, however many calls started one
  try {
    const st = await (await api("v1/jobs/" + id)).json();
    if (!job || job.id !== id) return; // another job was started meanwhile
    if (statusFailure !== null && $("message").textContent === statusFailure) say("");
    statusFailure = null;
    showStatus(st);
    if (["queued", "running", "cancelling"].includes(st.state)) poller = setTimeout(poll, 500);
  } catch (e) {
    if (!job || job.id !== id || job.interrupted) return; // a stopping service answers 503
    statusFailure = "status: " + e.message;
    say(statusFailure);
    if (!e.status || e.status >= 500 || e.status === 429) poller = setTimeout(poll, 2000);
  }
}

async function start() {
  say("");
  const text = $("urls").value;
  if (!text.trim()) { say("Paste some URLs first, or choose a file."); return; }
  $("start").disabled = true;
  try {
    const r = await api("v1/jobs", { method: "POST", body: text, headers: { "Content-Type": "text/plain" } });
    await show(await r.json());
  } catch (e) {
    say(e.message);
  } finally {
    $("start").disabled = false;
  }
}

// Shows job st (its status) and follows it. Its id goes into the page's address (#job=ID):
// the service lists no jobs, so a page reloaded (or its tab restored) had lost the job and
// its results for good; now it takes the job up again, as does a link to the address.
async function show(st) {
  job = { id: st.id, total: st.total };
  history.replaceState(null, "", "#job=" + st.id);
  samples = [];
  clearTimeout(poller);
  $("results").tBodies[0].textContent = "";
  $("job").hidden = false;
  showStatus(st);
  poll();
  await follow(st.id);
}

// A link to the page of a service behind --token, opened where the token was never given
// (a colleague's browser), said "missing or wrong token"; the token typed in then went
// nowhere, and the job stayed unshown until the page was loaded again. A token given while
// no job is shown takes the address's job up again.
async function reopen() {
  const m = /^#job=([0-9a-f]{16})$/.exec(location.hash);
  if (!m || job) return;
  $("start").disabled = true;
  try {
    const st = await (await api("v1/jobs/" + m[1])).json();
    say("");
    await show(st);
  } catch (e) {
    say("job " + m[1] + ": " + e.message);
  } finally {
    $("start").disabled = false;
  }
}

// The job's results until it is over. The service stopped: its status is not served any more
// (503), and the job resumes only when the service is started again with its --data-dir.
// The page said so and left it there: after a restart (a deploy, systemctl restart) the job
// ran on, but the table and the counts stayed where the stop left them until the page was
// reloaded, which forgot the job. It waits for the service to come back (its status
// answered again) and follows the job on, the stream taken up after the last record it had.
async function follow(id) {
  const at = { last: null };
  for (;;) {
    // null: the stream broke off and could not be taken up for a while, with no end event
    // (a service killed or crashed, then restarted by systemd; a long network cut): the
    // page stopped following there, its status poll too, the job running on unseen
    const state = await streamResults(id, at);
    if (state !== "interrupted" && state !== null) { poll(); return; }
    job.interrupted = true;
    clearTimeout(poller);
    say(state === null
      ? "The connection to the service was lost. Waiting for the service to come back\u2026"
      : "The service stopped before the job finished (interrupted): a restart with " +
        "--data-dir resumes it. Waiting for the service to come back\u2026");
    $("cancel").disabled = true;
    $("start").disabled = false; // another list may go meanwhile: this wait then ends
    const st = await back(id);
    if (!st) return;
    job.interrupted = false;
    say("");
    showStatus(st);
    poll();
  }
}

// The job's status once the service answers again with the job running (or queued, or over:
// its stream then ends at once); null when the restarted service does not have it.
// (An interrupted job's status comes from the service still stopping: it is waited past.)
async function back(id) {
  for (let tries = 0; ; tries++) {
    await new Promise(done => setTimeout(done, Math.min(500 * 2 ** tries, 5000)));
    if (!job || job.id !== id) return null; // another job was started meanwhile
    try {
      const st = await (await api("v1/jobs/" + id)).json();
      if (st.state !== "interrupted") return st;
    } catch (e) {
      if (e.status === 404) {
        say("The service restarted without the job: it was not kept (no --data-dir).");
        return null;
      }
      // 503 (still stopping) or no answer (not started yet): wait on
    }
  }
}

// A chosen file's text. File.text() is UTF-8 by the File API: a list saved in a legacy
// encoding (windows-1252, as older Windows tools save text) came into the box with U+FFFD
// for each accented letter, and the URL sent was another one (caf%EF%BF%BD, not café); and
// what a browser makes of UTF-16's byte order mark (Notepad's "Unicode", PowerShell 5's `>`)
// is its own. So the mark picks UTF-16 (LE or BE), as the service reads a list sent with
// curl, and a file that is not UTF-8 is read as windows-1252, as browsers read legacy text.
async function readList(f) {
  const b = new Uint8Array(await f.arrayBuffer());
  if (b[0] === 0xff && b[1] === 0xfe) return new TextDecoder("utf-16le").decode(b);
  if (b[0] === 0xfe && b[1] === 0xff) return new TextDecoder("utf-16be").decode(b);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b); // drops a UTF-8 mark
  } catch (e) {
    return new TextDecoder("windows-1252").decode(b);
  }
}

// A download is the job's whole file: the service sends it as the records come, and the
// browser saves it only once it has ended, with the job. Pressed while the job ran, the
// button did nothing to be seen until then (minutes, or for good with a held page): the
// page says that the file comes at the job's end, and takes the words back once it came.
// bom: the file starts with UTF-8's byte order mark, as the CSV file for a spreadsheet
// must: Excel reads a CSV file without one in the system's legacy code page (windows-1252),
// and every title with an accent or in another script came out as mojibake ("CafÃ©").
async function download(fmt, ext, bom) {
  if (!job) return;
  const waiting = OVER.includes(job.state) ? null
    : "The " + ext.toUpperCase() + " file comes when the job is over: it holds every record.";
  if (waiting) say(waiting);
  try {
    const r = await api("v1/jobs/" + job.id + "/results?format=" + fmt);
    const blob = await r.blob();
    const url = URL.createObjectURL(bom ? new Blob(["\ufeff", blob], { type: blob.type }) : blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = "cafe-" + job.id + "." + ext;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    if (waiting && $("message").textContent === waiting) say("");
  } catch (e) {
    say("download: " + e.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = sessionStorage.getItem("cafe-token") || "";
  $("token").addEventListener("change", () => {
    sessionStorage.setItem("cafe-token", $("token").value);
    reopen();
  });
  $("start").addEventListener("click", start);
  $("cancel").addEventListener("click", async () => {
    try { await api("v1/jobs/" + job.id, { method: "DELETE" }); } catch (e) { say(e.message); }
  });
  $("jsonl").addEventListener("click", () => download("jsonl", "jsonl"));
  // The CSV button's file is opened in a spreadsheet: a title a page wrote as a formula
  // ("=HYPERLINK(...)") gets a ' in front (CSV injection), and the file a byte order mark.
  $("csv").addEventListener("click", () => download("csv-safe", "csv", true));
  $("file").addEventListener("change", async () => {
    const f = $("file").files[0];
    if (f) $("urls").value = await readList(f);
  });
  reopen();
});
