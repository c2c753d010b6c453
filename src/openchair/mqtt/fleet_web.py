"""The fleet dashboard page: one HTML page and its JSON, served on this machine only.

The standard library's threaded HTTP server is enough for an operator's screen; it serves the
summary bytes the watcher refreshes (a reference read, no lock, no view access from this thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>openchair fleet</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2733;background:#f6f7f9}
h1{font-size:1.4rem;margin:0 0 .3rem}
#counts{display:flex;gap:.8rem;flex-wrap:wrap;margin:.8rem 0}
.card{background:#fff;border-radius:8px;padding:.6rem 1rem;box-shadow:0 1px 3px #0002}
.card b{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 3px #0002}
th,td{padding:.45rem .7rem;text-align:left;border-bottom:1px solid #e4e7eb}
th{background:#eef1f4;font-weight:600}
.off td{color:#8a94a0} .fault{color:#b3261e;font-weight:600}
.state{padding:.1rem .5rem;border-radius:1rem;background:#e4e7eb}
.running,.finishing{background:#cfe8d6} .paused{background:#fff0c2}
.offline{background:#f3d0cd} .stopped,.fault-state{background:#f7dcd9}
#meta{color:#5f6b78;font-size:.85rem}
</style></head><body>
<h1>openchair fleet</h1>
<div id="meta">connecting…</div>
<div id="counts"></div>
<table><thead><tr><th>chair</th><th>state</th><th>seated</th><th>program</th>
<th>fault</th><th>sessions today</th><th>last seen (UTC)</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const ENT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"};
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ENT[c]);
const ago = s => s > 3 ? ` (${esc(s)} s ago)` : "";
async function tick() {
  try {
    const r = await fetch("api/fleet", {cache: "no-store"});
    const f = await r.json();
    const c = f.counts || {};
    document.getElementById("counts").innerHTML = [
      ["chairs", c.chairs], ["online", c.online], ["in a session", c.in_session],
      ["seated", c.seated], ["faults", c.faults], ["sessions today", c.sessions_today]
    ].map(([k, v]) => `<div class="card"><b>${esc(v)}</b>${k}</div>`).join("");
    const b = f.broker || {};
    const lag = f.lag_ms && f.lag_ms.p99 != null ? ` · lag p99 ${f.lag_ms.p99} ms` : "";
    document.getElementById("meta").textContent =
      `${b.url} · ${b.connected ? "connected" : "not connected " + (b.error || "")}${lag}`;
    document.getElementById("rows").innerHTML = (f.chairs || []).map(ch => {
      const st = ch.state || "unknown";
      const cls = st === "fault" ? "fault-state" : st;
      return `<tr class="${ch.online ? "" : "off"}"><td>${esc(ch.chair)}</td>` +
        `<td><span class="state ${esc(cls)}">${esc(st)}</span></td>` +
        `<td>${ch.seated == null ? "–" : ch.seated ? "yes" : "no"}</td>` +
        `<td>${esc(ch.program || "–")}</td>` +
        `<td class="${ch.fault ? "fault" : ""}">${esc(ch.fault || "–")}</td>` +
        `<td>${esc(ch.sessions_today)}</td>` +
        `<td>${esc(ch.last_seen ? ch.last_seen.slice(11, 19) : "never")}${ago(ch.silent_s)}</td>` +
        `</tr>`;
    }).join("");
  } catch (e) {
    document.getElementById("meta").textContent = "dashboard not reachable: " + e;
  }
}
tick(); setInterval(tick, 1000);
</script></body></html>
"""


def serve_dashboard(
    snapshot: Callable[[], bytes], host: str = "127.0.0.1", port: int = 8765
) -> ThreadingHTTPServer:
    """Start the page on ``host:port`` in a daemon thread; ``shutdown()`` the result to stop."""
    page = PAGE.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                self._send(page, "text/html; charset=utf-8")
            elif path == "/api/fleet":
                self._send(snapshot(), "application/json")
            else:
                self.send_error(404, "not here: try / or /api/fleet")

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None  # quiet: the console is for the operator

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fleet-dashboard", daemon=True).start()
    return server
