// openchair remote: vanilla JS, no build step, nothing fetched from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";
const TOKEN_KEY = "openchair.token";
const PAGES = ["chair", "person", "history", "programs", "settings"];
const FOCUS_ZONES = ["neck", "shoulders", "upper-back", "mid-back", "lumbar", "sacrum"];
const SPINE_LABELS = ["C7", "T3", "T7", "T12", "L1", "L3", "L5", "S1"];

const app = {
  token: localStorage.getItem(TOKEN_KEY),
  pairRequest: null,
  ws: null,
  state: null,
  map: null,
  mapKey: "",
  programs: [],
};

// ---- API ----------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (app.token) headers.Authorization = "Bearer " + app.token;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 && path !== "/api/pair/confirm") { forget(); }
  return { ok: r.ok, status: r.status, data };
}

function problem(res) {
  const d = res.data && res.data.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((e) => e.loc.filter((p) => p !== "body").join(".") + ": " + e.msg).join("; ");
  return "the chair did not answer (" + res.status + ")";
}

async function command(path, body) {
  const res = await api("POST", path, body);
  $("cmd-msg").textContent = res.ok ? "" : problem(res);
  return res;
}

// ---- pairing ------------------------------------------------------------------------------

function forget() {
  app.token = null;
  localStorage.removeItem(TOKEN_KEY);
  if (app.ws) { app.ws.onclose = null; app.ws.close(); app.ws = null; }
  show("pair");
}

$("pair-ask").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await api("POST", "/api/pair/request", { device_name: $("pair-name").value });
  if (!res.ok) { $("pair-msg").textContent = problem(res); return; }
  app.pairRequest = res.data.request_id;
  $("pair-confirm").hidden = false;
  $("pair-msg").textContent = "The chair shows a code now; it is valid " +
    Math.round(res.data.expires_in_s / 60) + " minutes.";
  $("pair-code").focus();
});

$("pair-confirm").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await api("POST", "/api/pair/confirm", { request_id: app.pairRequest, code: $("pair-code").value });
  if (!res.ok) {
    $("pair-msg").textContent = problem(res);
    if (res.status === 410 || res.status === 404) { $("pair-confirm").hidden = true; }
    return;
  }
  app.token = res.data.token;
  localStorage.setItem(TOKEN_KEY, app.token);
  $("pair-msg").textContent = "";
  $("pair-confirm").hidden = true;
  location.hash = "#chair";
  route();
});

// ---- pages --------------------------------------------------------------------------------

function show(name) {
  for (const p of ["pair", ...PAGES]) $("page-" + p).hidden = p !== name;
  $("nav").hidden = name === "pair";
  $("stop").hidden = name === "pair";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === "#" + name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function route() {
  if (!app.token) { show("pair"); return; }
  const name = PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "chair";
  show(name);
  connect();
  if (name === "chair") loadTiles();
  if (name === "person") loadPerson();
  if (name === "history") loadHistory();
  if (name === "programs") loadPrograms();
  if (name === "settings") loadDevices();
}
window.addEventListener("hashchange", route);

// ---- the state stream ---------------------------------------------------------------------

function connect() {
  if (app.ws || !app.token) return;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/ws");
  app.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: app.token }));
  ws.onmessage = (ev) => render(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    app.ws = null;
    if (ev.code === 4401 || ev.code === 4403) { forget(); $("pair-msg").textContent = "This device is no longer paired: pair it again."; return; }
    $("st-state").textContent = "connection lost, retrying…";
    setTimeout(connect, 1000);
  };
}

const fmt = (v, unit, digits = 0) => (v === null || v === undefined ? "–" : v.toFixed(digits) + " " + unit);
function clock(s) { if (s === null || s === undefined) return ""; s = Math.max(0, Math.round(s)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }

function render(s) {
  app.state = s;
  $("st-state").textContent = s.state;
  $("st-program").textContent = s.program ? "· " + s.program.name : "";
  $("st-step").textContent = s.step ? (s.step.name || "step " + (s.step.index + 1)) + " · " + clock(s.time_left_s) + " left" : "";
  $("st-message").textContent = (s.person ? "Seated: " + s.person + ". " : "") + (s.message || "");
  $("ro-y").textContent = fmt(s.roller.y_mm, "mm");
  $("ro-depth").textContent = fmt(s.roller.depth_mm, "mm");
  $("ro-force").textContent = fmt(s.roller.force_n, "N");
  const back = s.heaters.back;
  $("ro-heat").textContent = back ? (back.on ? "on, " : "off, ") + fmt(back.temp_c, "°C", 1) : "–";
  $("ro-intensity").textContent = s.intensity ?? "–";
  $("int-value").textContent = s.intensity ?? "–";
  $("ro-focus").textContent = s.focus ?? "program's own";
  const paused = s.state === "paused";
  $("pause").textContent = paused ? "Resume" : "Pause";
  $("pause").setAttribute("aria-pressed", paused ? "true" : "false");
  const heatOn = !!(back && back.on);
  $("heat-btn").textContent = heatOn ? "Heat on" : "Heat off";
  $("heat-btn").setAttribute("aria-pressed", heatOn ? "true" : "false");
  $("reset").hidden = !s.latched;
  $("recline-now").textContent = s.recline.backrest_deg === null ? "" : "backrest " + Math.round(s.recline.backrest_deg) + "°, leg rest " + Math.round(s.recline.legrest_deg ?? 0) + "°";
  for (const b of document.querySelectorAll("#focus-buttons button")) b.setAttribute("aria-pressed", b.dataset.zone === s.focus ? "true" : "false");
  const key = (s.person || "") + "|" + s.state;
  if (key !== app.mapKey) { app.mapKey = key; loadMap(); }
  drawLive(s);
}

// ---- the live view ------------------------------------------------------------------------

const Y_TOP = 850, Y_BOTTOM = -150, H = 520;
const sy = (y) => ((Y_TOP - y) / (Y_TOP - Y_BOTTOM)) * H;

function el(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function loadMap() {
  const res = await api("GET", "/api/bodymap");
  if (!res.ok) return;
  app.map = res.data;
  drawMap();
  drawMapTable();
}

function drawMap() {
  drawBack($("zones"), $("spine"), true);
  drawBack($("p-zones"), $("p-spine"), false);
}

function drawBack(zones, spine, interactive) {
  const m = app.map; if (!m) return;
  zones.replaceChildren(); spine.replaceChildren();
  FOCUS_ZONES.forEach((z, i) => {
    if (!interactive) {
      const [lo, hi] = m.regions[z];
      zones.appendChild(el("rect", { x: 70, y: sy(hi), width: 160, height: Math.max(4, sy(lo) - sy(hi)), rx: 6, fill: "#fff", stroke: "#9a9a9a", "stroke-dasharray": "3 3" }));
      zones.appendChild(el("text", { x: i % 2 === 0 ? 74 : 226, y: sy(lo) - 4, "text-anchor": i % 2 === 0 ? "start" : "end", "font-size": 13 }, z));
      return;
    }
    const [lo, hi] = m.regions[z];
    const g = el("g", { class: "zone", tabindex: "0", role: "button", "data-zone": z, "aria-label": "Focus " + z });
    g.appendChild(el("rect", { x: 70, y: sy(hi), width: 160, height: Math.max(4, sy(lo) - sy(hi)), rx: 6 }));
    // neighbouring zones overlap (shoulders and upper back): their names alternate sides
    const left = i % 2 === 0;
    g.appendChild(el("text", { x: left ? 74 : 226, y: sy(lo) - 4, "text-anchor": left ? "start" : "end", "font-size": 13, fill: "#222" }, z));
    g.addEventListener("click", () => focusZone(z));
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); focusZone(z); } });
    zones.appendChild(g);
  });
  const lm = m.landmarks_y_mm;
  spine.appendChild(el("line", { x1: 150, y1: sy(lm.seat_crease), x2: 150, y2: sy(lm.C7 + 60), stroke: "#222", "stroke-width": 4, "stroke-linecap": "round" }));
  for (const n of SPINE_LABELS) {
    if (lm[n] === undefined) continue;
    spine.appendChild(el("line", { x1: 143, y1: sy(lm[n]), x2: 157, y2: sy(lm[n]), stroke: "#222", "stroke-width": 2 }));
    spine.appendChild(el("text", { x: 264, y: sy(lm[n]) + 4, "font-size": 11, fill: "#222" }, n));
  }
  const shY = sy(lm.shoulder);
  spine.appendChild(el("path", { d: `M 70 ${shY + 18} Q 150 ${shY - 10} 230 ${shY + 18}`, fill: "none", stroke: "#222", "stroke-width": 3 }));
  spine.appendChild(el("text", { x: 150, y: shY - 8, "text-anchor": "middle", "font-size": 11, fill: "#222" }, "shoulder line"));
  spine.appendChild(el("line", { x1: 40, y1: sy(0), x2: 260, y2: sy(0), stroke: "#555", "stroke-dasharray": "6 4" }));
  spine.appendChild(el("text", { x: 8, y: sy(0) - 4, "font-size": 11, fill: "#222" }, "seat"));
  if (!m.scanned) spine.appendChild(el("text", { x: 150, y: 16, "text-anchor": "middle", "font-size": 12, fill: "#222" }, "not scanned yet: rough map"));
  for (const y of m.tight_spots_y_mm || []) {
    spine.appendChild(el("text", { x: 112, y: sy(y) + 4, "font-size": 12, "font-weight": 700 }, "✱"));
  }
}

const CUSHIONS = {
  shoulder_left: ["shoulder", 40, -10], shoulder_right: ["shoulder", 244, -10],
  arm_left: ["T7", 40, 0], arm_right: ["T7", 244, 0],
  waist_left: ["L3", 40, 0], waist_right: ["L3", 244, 0],
  seat: ["seat_crease", 130, -70],
};

function drawLive(s) {
  const m = app.map; if (!m) return;
  const cush = $("cushions"); cush.replaceChildren();
  for (const [zone, [lmName, x, dy]] of Object.entries(CUSHIONS)) {
    const kpa = s.cushions_kpa[zone]; if (kpa === undefined) continue;
    const cy = sy(m.landmarks_y_mm[lmName] + dy) - 20;
    const w = zone === "seat" ? 40 : 16, h = 40;
    const fill = Math.max(0, Math.min(1, (kpa ?? 0) / 45));
    cush.appendChild(el("rect", { x, y: cy, width: w, height: h, fill: "#fff", stroke: "#333" }));
    cush.appendChild(el("rect", { x, y: cy + h * (1 - fill), width: w, height: h * fill, fill: "#6b8fc2", "data-cushion": zone }));
    if (fill > 0.02) cush.appendChild(el("text", { x: x + w / 2, y: cy - 3, "text-anchor": "middle", "font-size": 9 }, Math.round(kpa) + ""));
  }
  const heat = $("heat"); heat.replaceChildren();
  const back = s.heaters.back;
  if (back) {
    const lo = sy(m.landmarks_y_mm.S1), hi = sy(m.landmarks_y_mm.L1);
    if (back.on) heat.appendChild(el("rect", { x: 100, y: hi, width: 100, height: lo - hi, fill: "url(#heat-hatch)", opacity: 0.8 }));
    heat.appendChild(el("text", { x: 8, y: 16, "font-size": 12, "font-weight": back.on ? 700 : 400, fill: back.on ? "#8a3b00" : "#222" },
      (back.on ? "♨ heat ON " : "heat off ") + fmt(back.temp_c, "°C", 1)));
  }
  const r = $("rollers"); r.replaceChildren();
  if (s.roller.y_mm !== null) {
    const y = sy(s.roller.y_mm);
    const depth = s.roller.depth_mm ?? 0, force = s.roller.force_n ?? 0;
    const rad = 6 + depth / 8;
    const shade = Math.round(200 - Math.min(1, force / 80) * 170);
    const g = el("g", { id: "roller-mark", "data-y": s.roller.y_mm });
    for (const x of [128, 172]) g.appendChild(el("circle", { cx: x, cy: y, r: rad, fill: `rgb(${shade},${Math.round(shade * 0.6)},0)`, stroke: "#000", "stroke-width": 2 }));
    g.appendChild(el("line", { x1: 90, y1: y, x2: 210, y2: y, stroke: "#000", "stroke-width": 1, "stroke-dasharray": "2 2" }));
    g.appendChild(el("text", { x: 150, y: y - rad - 4, "text-anchor": "middle", "font-size": 12, "font-weight": 700 }, Math.round(force) + " N · " + Math.round(depth) + " mm"));
    r.appendChild(g);
  }
  for (const z of document.querySelectorAll("#zones .zone")) z.classList.toggle("focused", z.dataset.zone === s.focus);
}

// ---- chair controls -----------------------------------------------------------------------

function focusZone(z) { command("/api/session/focus", { zone: app.state && app.state.focus === z ? null : z }); }
$("stop").addEventListener("click", () => command("/api/session/stop"));
$("int-up").addEventListener("click", () => command("/api/session/intensity", { delta: 1 }));
$("int-down").addEventListener("click", () => command("/api/session/intensity", { delta: -1 }));
$("pause").addEventListener("click", () => command(app.state && app.state.state === "paused" ? "/api/session/resume" : "/api/session/pause"));
$("heat-btn").addEventListener("click", () => command("/api/session/heat", { on: $("heat-btn").getAttribute("aria-pressed") !== "true" }));
$("sh-up").addEventListener("click", () => command("/api/session/shoulder", { mm: 10 }));
$("sh-down").addEventListener("click", () => command("/api/session/shoulder", { mm: -10 }));
$("reset").addEventListener("click", () => command("/api/session/reset"));
for (const b of document.querySelectorAll("[data-recline]")) {
  b.addEventListener("click", () => command("/api/recline", { preset: b.dataset.recline }));
}
for (const z of FOCUS_ZONES) {
  const b = document.createElement("button");
  b.textContent = z; b.dataset.zone = z; b.setAttribute("aria-pressed", "false");
  b.addEventListener("click", () => focusZone(z));
  $("focus-buttons").appendChild(b);
}

async function loadTiles() {
  const res = await api("GET", "/api/programs");
  if (!res.ok) return;
  app.programs = res.data;
  const ul = $("tiles"); ul.replaceChildren();
  for (const p of res.data) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.dataset.program = p.id;
    b.innerHTML = '<span class="t-name"></span><span class="t-min"></span><span class="t-desc"></span>';
    b.querySelector(".t-name").textContent = p.name;
    b.querySelector(".t-min").textContent = p.minutes + " min" + (p.builtin ? "" : " · your own");
    b.querySelector(".t-desc").textContent = p.description;
    b.setAttribute("aria-label", "Start " + p.name + ", " + p.minutes + " minutes: " + p.description);
    b.addEventListener("click", () => command("/api/session/start", { program: p.id }));
    li.appendChild(b); ul.appendChild(li);
  }
}

// ---- person -------------------------------------------------------------------------------

async function loadPerson() {
  const res = await api("GET", "/api/people");
  const sel = $("seat-select"); sel.replaceChildren();
  const guest = document.createElement("option"); guest.value = ""; guest.textContent = "a guest"; sel.appendChild(guest);
  if (res.ok) for (const p of res.data) { const o = document.createElement("option"); o.value = p.name; o.textContent = p.name; sel.appendChild(o); }
  if (app.state && app.state.person) sel.value = app.state.person;
  loadMap();
}
function drawMapTable() {
  const m = app.map; if (!m) return;
  $("map-caption").textContent = (m.person ? m.person + ": " : "") + (m.scanned ? "scanned body map" : "not scanned yet (a rough map)") + ", landmarks in mm above the seat crease";
  const tb = $("map-table").querySelector("tbody"); tb.replaceChildren();
  for (const [n, y] of Object.entries(m.landmarks_y_mm)) {
    const tr = document.createElement("tr");
    tr.innerHTML = "<th scope='row'></th><td></td>";
    tr.firstChild.textContent = n; tr.lastChild.textContent = y.toFixed(0);
    tb.appendChild(tr);
  }
}
$("seat-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const v = $("seat-select").value;
  const res = await api("POST", "/api/seat", { name: v || null });
  $("person-msg").textContent = res.ok ? (v || "A guest") + " is seated." : problem(res);
  app.mapKey = ""; 
});
$("add-person").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await api("POST", "/api/people", { name: $("new-person").value });
  $("person-msg").textContent = res.ok ? res.data.name + " added." : problem(res);
  if (res.ok) { $("new-person").value = ""; loadPerson(); }
});
$("scan-btn").addEventListener("click", async () => {
  const res = await api("POST", "/api/scan");
  $("person-msg").textContent = res.ok ? res.data.reason : problem(res);
});

// ---- history ------------------------------------------------------------------------------

function weekStart(d) { const x = new Date(d); x.setUTCHours(0, 0, 0, 0); x.setUTCDate(x.getUTCDate() - ((x.getUTCDay() + 6) % 7)); return x; }

async function loadHistory() {
  const res = await api("GET", "/api/history?limit=500");
  if (!res.ok) return;
  const rows = res.data.slice().reverse();
  const tb = $("hist-table").querySelector("tbody"); tb.replaceChildren();
  for (const h of rows.slice(0, 50)) {
    const tr = document.createElement("tr");
    for (const v of [new Date(h.started_at).toLocaleString(), h.program_name, (h.duration_s / 60).toFixed(1), h.outcome]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    tb.appendChild(tr);
  }
  // minutes per week, the last 8 weeks
  const now = weekStart(new Date());
  const weeks = [];
  for (let i = 7; i >= 0; i--) { const w = new Date(now); w.setUTCDate(w.getUTCDate() - 7 * i); weeks.push({ start: w, min: 0 }); }
  for (const h of res.data) {
    const ws = weekStart(h.started_at).getTime();
    const w = weeks.find((x) => x.start.getTime() === ws);
    if (w) w.min += h.duration_s / 60;
  }
  const svg = $("hist-plot");
  for (const c of Array.from(svg.children)) if (c.tagName !== "title") c.remove();
  const max = Math.max(10, ...weeks.map((w) => w.min));
  weeks.forEach((w, i) => {
    const h = (w.min / max) * 120, x = 20 + i * 37;
    svg.appendChild(el("rect", { x, y: 135 - h, width: 28, height: h, fill: "#0b4f9c" }));
    svg.appendChild(el("text", { x: x + 14, y: 130 - h, "text-anchor": "middle", "font-size": 10 }, w.min ? w.min.toFixed(w.min < 10 ? 1 : 0) : ""));
    svg.appendChild(el("text", { x: x + 14, y: 150, "text-anchor": "middle", "font-size": 9 }, (w.start.getUTCMonth() + 1) + "/" + w.start.getUTCDate()));
  });
  svg.appendChild(el("line", { x1: 15, y1: 135, x2: 315, y2: 135, stroke: "#000" }));
  svg.appendChild(el("text", { x: 15, y: 10, "font-size": 10 }, "minutes of massage per week (week starting)"));
}

// ---- programs -----------------------------------------------------------------------------

async function loadPrograms() {
  const res = await api("GET", "/api/programs");
  if (!res.ok) return;
  const sel = $("prog-select"); const keep = sel.value; sel.replaceChildren();
  for (const p of res.data) { const o = document.createElement("option"); o.value = p.id; o.textContent = p.name + " (" + p.minutes + " min)"; sel.appendChild(o); }
  if (keep) sel.value = keep;
  showProgram();
}
async function showProgram() {
  const id = $("prog-select").value; if (!id) return;
  const res = await api("GET", "/api/programs/" + encodeURIComponent(id));
  if (!res.ok) { $("prog-view").textContent = problem(res); return; }
  const p = res.data;
  const lines = [p.name + " — " + p.minutes + " min", p.description, ""];
  (p.program.step || []).forEach((s, i) => {
    lines.push((i + 1) + ". " + (s.name || "") + " " + (s.seconds ? s.seconds + " s" : "") + " " + (s.technique || "") + " on " + (s.zone || "") + (s.depth !== undefined ? ", depth " + s.depth : ""));
  });
  lines.push("", "Time per zone: " + Object.entries(p.seconds_by_zone).map(([z, t]) => z + " " + (t / 60).toFixed(1) + " min").join(", "));
  $("prog-view").textContent = lines.join("\n");
}
$("prog-select").addEventListener("change", showProgram);
$("upload-file").addEventListener("change", async () => {
  const f = $("upload-file").files[0]; if (f) $("upload-text").value = await f.text();
});
$("upload-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await api("POST", "/api/programs", { toml: $("upload-text").value });
  const out = $("upload-result"); out.replaceChildren();
  if (res.ok) {
    const p = document.createElement("p"); p.className = "okmsg";
    p.textContent = res.data.program.name + " kept: it is now among the programs.";
    out.appendChild(p); loadPrograms(); return;
  }
  const errors = (res.data && res.data.errors) || [problem(res)];
  const h = document.createElement("p"); h.textContent = errors.length + " problem" + (errors.length > 1 ? "s" : "") + " (line: step: field):";
  const ul = document.createElement("ul"); ul.className = "errors";
  for (const e of errors) { const li = document.createElement("li"); li.textContent = e; ul.appendChild(li); }
  out.append(h, ul);
});

// ---- settings -----------------------------------------------------------------------------

async function loadDevices() {
  const res = await api("GET", "/api/devices");
  if (!res.ok) return;
  const ul = $("device-list"); ul.replaceChildren();
  for (const d of res.data) {
    const li = document.createElement("li");
    li.textContent = d.name + (d.this_device ? " (this device)" : "") + ", paired " + d.created_at.slice(0, 10) + " ";
    const b = document.createElement("button"); b.textContent = "Revoke"; b.setAttribute("aria-label", "Revoke " + d.name);
    b.addEventListener("click", async () => {
      const r = await api("DELETE", "/api/devices/" + d.id);
      $("settings-msg").textContent = r.ok ? d.name + " revoked." : problem(r);
      if (r.ok && d.this_device) forget(); else loadDevices();
    });
    li.appendChild(b); ul.appendChild(li);
  }
}

route();
