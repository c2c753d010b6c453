// openchair's back-care pages: plan, breaks, exercises, diary, posture. Vanilla JS, no build.
"use strict";

const $ = (id) => document.getElementById(id);
const PAGES = ["plan", "break", "exercises", "stats", "diary", "posture", "health"];
const PERSON_KEY = "openchair.person";
const care = {
  token: localStorage.getItem("openchair.token"),
  person: localStorage.getItem(PERSON_KEY),
  form: null,
  areas: new Set(),
  better: new Set(),
  worse: new Set(),
  waiting: null,
  timerEnd: 0,
  timer: null,
  poll: null,
};

if (!care.token) location.href = "/"; // pair first (the remote's first page)

async function api(method, path, body) {
  const r = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + care.token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) { location.href = "/"; }
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return { ok: r.ok, status: r.status, data };
}

async function blob(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + care.token } });
  return r.ok ? r.blob() : null;
}

function problem(res) {
  const d = res.data && res.data.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((e) => e.loc.filter((p) => p !== "body" && p !== "query").join(".") + ": " + e.msg).join("; ");
  return "the chair did not answer (" + res.status + ")";
}

function say(text) { $("care-msg").textContent = text || ""; }
const q = (params) => "?" + new URLSearchParams(params).toString();
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const hhmm = (iso) => iso.slice(11, 16);

// ---- who ------------------------------------------------------------------------------------

async function loadPeople() {
  const res = await api("GET", "/api/people");
  const sel = $("person");
  sel.replaceChildren();
  const people = res.ok ? res.data : [];
  for (const p of people) sel.append(new Option(p.name, p.name));
  if (!people.length) { say("Add a person on the remote's Person page first."); return; }
  if (!people.some((p) => p.name === care.person)) care.person = people[0].name;
  sel.value = care.person;
}
$("person").addEventListener("change", () => {
  care.person = $("person").value;
  localStorage.setItem(PERSON_KEY, care.person);
  care.waiting = null;
  route();
});

// ---- pages ----------------------------------------------------------------------------------

function show(name) {
  for (const p of PAGES) $("page-" + p).hidden = p !== name;
  for (const a of document.querySelectorAll("#care-nav a")) {
    if (a.getAttribute("href") === "#" + name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function route() {
  const name = PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "plan";
  show(name);
  say("");
  if (!care.person) return;
  if (name === "plan") loadPlan();
  if (name === "exercises") loadExercises();
  if (name === "stats") loadStats();
  if (name === "diary") loadDiary();
  if (name === "posture") loadPosture();
  if (name === "health") loadHealth();
  if (name === "break" && care.poll) checkBreak();
}
window.addEventListener("hashchange", route);

// ---- exercises ------------------------------------------------------------------------------

function exerciseCard(x, tag) {
  const card = el(tag || "li", undefined, "card");
  card.dataset.exercise = x.id;
  card.append(el("h3", x.name));
  const pic = el("div", undefined, "pic");
  pic.innerHTML = x.svg; // drawn by openchair itself from the exercise's poses
  const svg = pic.querySelector("svg");
  if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", x.name + ": the movement"); }
  card.append(pic);
  card.append(el("p", x.summary));
  card.append(el("p", x.dose + " · " + x.areas.join(", ") + " · " + x.where.join(", "), "dose"));
  const steps = el("ol");
  for (const s of x.steps) steps.append(el("li", s));
  card.append(steps);
  for (const c of x.cautions) card.append(el("p", c, "caution"));
  return card;
}

async function loadExercises() {
  const res = await api("GET", "/api/exercises");
  if (!res.ok) { say(problem(res)); return; }
  $("ex-list").replaceChildren(...res.data.map((x) => exerciseCard(x)));
}

// ---- plan -----------------------------------------------------------------------------------

async function loadPlan() {
  const res = await api("GET", "/api/plan" + q({ person: care.person }));
  if (!res.ok) { say(problem(res)); return; }
  const p = res.data;
  $("plan-day").textContent = p.date + " · " + (p.work_day ? "work day" : "day off") + " · " + p.timezone;
  $("plan-items").replaceChildren(...p.items.map((i) => {
    const li = el("li");
    li.dataset.kind = i.kind;
    li.append(el("span", hhmm(i.start) + " ", "p-time"), el("span", i.title + " (" + i.minutes + " min)"));
    if (i.exercise_names.length) li.append(el("span", ": " + i.exercise_names.join(", ")));
    li.append(el("span", i.reason, "p-why"));
    return li;
  }));
  $("plan-notes").replaceChildren(...p.notes.map((n) => el("li", n)));
}

$("ics-btn").addEventListener("click", async () => {
  const b = await blob("/api/plan.ics");
  if (!b) { say("the calendar file could not be made"); return; }
  const a = el("a");
  a.href = URL.createObjectURL(b);
  a.download = "openchair-plan.ics";
  document.body.append(a);
  a.click();
  a.remove();
});

// ---- breaks ---------------------------------------------------------------------------------

$("notify-btn").addEventListener("click", async () => {
  if (!("Notification" in window)) { say("This browser cannot show notifications."); return; }
  await Notification.requestPermission();
  notifyRow();
});
function notifyRow() {
  $("notify-row").hidden = !("Notification" in window) || Notification.permission !== "default";
}

function notify(b) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const what = b.exercise_card ? b.exercise_card.name : "stand up, look away from the screen";
  const n = new Notification(b.kind === "long" ? "Time for a movement break" : "A short micro break", { body: what, tag: "openchair-break" });
  n.onclick = () => { window.focus(); location.hash = "#break"; };
}

// A posture nudge comes in the same poll as breaks, once; shown as the breaks are: a browser
// notification when allowed, and a line on top of every care page until dismissed.
function showNudge(n) {
  $("nudge-text").textContent = n.body;
  $("nudge").hidden = false;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const note = new Notification(n.title, { body: n.body, tag: "openchair-posture" });
  note.onclick = () => { window.focus(); };
}
$("nudge-close").addEventListener("click", () => { $("nudge").hidden = true; });

function tickTimer() {
  const left = Math.max(0, Math.round((care.timerEnd - Date.now()) / 1000));
  $("break-timer").textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  if (left === 0) { clearInterval(care.timer); care.timer = null; $("break-done").textContent = "Done ✓"; }
}

function showBreak(b) {
  const fresh = !care.waiting || care.waiting.id !== b.id;
  care.waiting = b;
  $("break-none").hidden = true;
  $("break-now").hidden = false;
  $("break-kind").textContent = b.kind === "long" ? "Time to move: " + Math.round(b.seconds / 60) + " minutes" : "Micro break: stand up and look into the distance";
  const card = $("break-card");
  if (fresh) {
    card.replaceChildren();
    if (b.exercise_card) card.append(exerciseCard(b.exercise_card, "div"));
    card.hidden = !b.exercise_card;
    care.timerEnd = Date.now() + b.seconds * 1000;
    $("break-done").textContent = "Done";
    if (care.timer) clearInterval(care.timer);
    care.timer = setInterval(tickTimer, 250);
    tickTimer();
    notify(b);
  }
  $("break-postpone").disabled = !!b.postpone_reason;
  $("break-postpone").textContent = "Postpone " + b.postpone_minutes + " min (" + b.postpones_left + " left)";
  $("break-postpone-why").textContent = b.postpone_reason ? "Postpone: " + b.postpone_reason : "";
  $("break-skip").disabled = !!b.skip_reason;
  $("break-skip").textContent = "Skip (" + b.skips_left + " left today)";
  $("break-skip-why").textContent = b.skip_reason ? "Skip: " + b.skip_reason : "";
}

function showNoBreak(data) {
  care.waiting = null;
  if (care.timer) { clearInterval(care.timer); care.timer = null; }
  $("break-now").hidden = true;
  $("break-none").hidden = false;
  $("break-next").textContent = data.next_due
    ? "No break now. The next one is due at " + new Date(data.next_due).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + "."
    : "No break now: outside your working hours.";
}

async function checkBreak() {
  if (!care.person) return;
  const res = await api("GET", "/api/breaks/next" + q({ person: care.person }));
  if (!res.ok) { say(problem(res)); return; }
  if (res.data.break) showBreak(res.data.break); else showNoBreak(res.data);
  if (res.data.nudge) showNudge(res.data.nudge);
  // a break comes to the front, except over a diary entry being written
  if (res.data.break && !["#break", "#diary"].includes(location.hash)) location.hash = "#break";
  return res.data.poll_s;
}

async function answer(action) {
  if (!care.waiting) return;
  const res = await api("POST", "/api/breaks/" + care.waiting.id + "/" + action, action === "done" ? { fully: care.timer === null } : undefined);
  if (!res.ok) { say(problem(res)); checkBreak(); return; }
  say("");
  if (res.data.break) showBreak(res.data.break); else showNoBreak(res.data);
}
$("break-done").addEventListener("click", () => answer("done"));
$("break-postpone").addEventListener("click", () => answer("postpone"));
$("break-skip").addEventListener("click", () => answer("skip"));

async function loadStats() {
  const res = await api("GET", "/api/breaks/stats" + q({ person: care.person }));
  if (!res.ok) { say(problem(res)); return; }
  const rows = res.data.slice().reverse().map((d) => {
    const tr = el("tr");
    const cells = [d.day, d.offered, d.done + d.partly + d.natural, d.postponed,
      d.skipped + (d.unhealthy ? " ⚠" : ""), Math.round(d.longest_sitting_minutes) + " min"];
    for (const c of cells) tr.append(el("td", String(c)));
    return tr;
  });
  if (!rows.length) { const tr = el("tr"); const td = el("td", "No breaks recorded yet."); td.colSpan = 6; tr.append(td); rows.push(tr); }
  $("stats-table").tBodies[0].replaceChildren(...rows);
}

// ---- diary ----------------------------------------------------------------------------------

function redFlagOnly(message) {
  // Nothing else on the page: the message and the one way back.
  $("care-header").hidden = true;
  $("care-main").hidden = true;
  $("rf-message").textContent = message;
  $("redflag-only").hidden = false;
  $("rf-seen").focus();
}

$("rf-seen").addEventListener("click", async () => {
  const res = await api("POST", "/api/diary/seen", { person: care.person });
  if (!res.ok) { $("rf-message").textContent = problem(res); return; }
  $("redflag-only").hidden = true;
  $("care-header").hidden = false;
  $("care-main").hidden = false;
  loadDiary();
});

function chips(box, names, chosen) {
  box.replaceChildren(...names.map((n) => {
    const b = el("button", n);
    b.type = "button";
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      if (chosen.has(n)) chosen.delete(n); else chosen.add(n);
      b.setAttribute("aria-pressed", String(chosen.has(n)));
    });
    return b;
  }));
}

function areasText() {
  const labels = care.form.regions.filter((r) => care.areas.has(r.id)).map((r) => r.label);
  $("areas-chosen").textContent = labels.length ? "Chosen: " + labels.join(", ") : "Nothing chosen.";
}

async function buildForm() {
  const res = await api("GET", "/api/diary/form");
  if (!res.ok) { say(problem(res)); return; }
  care.form = res.data;
  $("diary-back").innerHTML = care.form.svg; // drawn by openchair; each region a path
  for (const path of $("diary-back").querySelectorAll("[data-region]")) {
    path.setAttribute("tabindex", "0");
    path.setAttribute("role", "button");
    const label = care.form.regions.find((r) => r.id === path.dataset.region).label;
    path.setAttribute("aria-label", label);
    path.setAttribute("aria-pressed", "false");
    const toggle = () => {
      const id = path.dataset.region;
      if (care.areas.has(id)) care.areas.delete(id); else care.areas.add(id);
      path.classList.toggle("selected", care.areas.has(id));
      path.setAttribute("aria-pressed", String(care.areas.has(id)));
      areasText();
    };
    path.addEventListener("click", toggle);
    path.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); } });
  }
  areasText();
  chips($("better"), care.form.factors, care.better);
  chips($("worse"), care.form.factors, care.worse);
  const box = $("red-flags");
  for (const f of care.form.red_flags) {
    const label = el("label");
    const box1 = el("input");
    box1.type = "checkbox";
    box1.name = f.id;
    box1.id = "rf-" + f.id;
    label.htmlFor = box1.id;
    label.append(box1, el("span", f.ask));
    box.append(label);
  }
}

$("pain").addEventListener("input", () => { $("pain-out").textContent = $("pain").value; });

$("diary-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const flags = {};
  for (const b of $("red-flags").querySelectorAll("input")) flags[b.name] = b.checked;
  const stiff = $("stiffness").value;
  const body = {
    person: care.person,
    pain: Number($("pain").value),
    areas: [...care.areas],
    stiffness_min: stiff === "" ? null : Number(stiff),
    better: [...care.better],
    worse: [...care.worse],
    notes: $("notes").value,
    red_flags: flags,
  };
  const res = await api("POST", "/api/diary", body);
  if (!res.ok) { say(problem(res)); return; }
  if (res.data.show_only === "red_flag") { redFlagOnly(res.data.message); return; }
  $("diary-saved").textContent = "Saved.";
  $("diary-saved").className = "okmsg";
  $("diary-form").reset();
  $("pain-out").textContent = "0";
  care.areas.clear(); care.better.clear(); care.worse.clear();
  for (const p of $("diary-back").querySelectorAll("[data-region]")) { p.classList.remove("selected"); p.setAttribute("aria-pressed", "false"); }
  for (const b of document.querySelectorAll(".chips button")) b.setAttribute("aria-pressed", "false");
  areasText();
  loadTrend();
});

async function loadTrend() {
  const res = await api("GET", "/api/diary/insight" + q({ person: care.person }));
  if (res.ok) $("trend-msg").textContent = res.data.trend.message;
  const b = await blob("/api/diary/insight.png" + q({ person: care.person }));
  if (b) { $("trend-img").src = URL.createObjectURL(b); $("trend-img").hidden = false; }
}

async function loadDiary() {
  const st = await api("GET", "/api/diary/status" + q({ person: care.person }));
  if (st.ok && st.data.red_flag_hold) {
    redFlagOnly("Your diary noted a sign that needs medical advice. " + st.data.held_reason);
    return;
  }
  if (!care.form) await buildForm();
  loadTrend();
}

// ---- posture --------------------------------------------------------------------------------

const SVGNS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) { const e = document.createElementNS(SVGNS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }

function timeline(day) {
  // The hours of the day that hold sitting, two-hourly ticks; each stretch of sitting a bar
  // (an hour or more without a break drawn dark and hatched), in this browser's local time.
  const W = 360, H = 60;
  const t0 = new Date(day.date + "T00:00:00").getTime() / 1000;
  const hours = day.streaks.flatMap((s) => [(s.start_s - t0) / 3600, (s.end_s - t0) / 3600]);
  let h0 = hours.length ? Math.max(0, Math.floor(Math.min(...hours)) - 1) : 0;
  let h1 = hours.length ? Math.min(24, Math.ceil(Math.max(...hours)) + 1) : 24;
  if (h1 - h0 < 8) { h1 = Math.min(24, h0 + 8); h0 = Math.max(0, h1 - 8); }
  h0 -= h0 % 2;
  const x = (s) => 4 + Math.max(0, Math.min(W - 8, (((s - t0) / 3600 - h0) / (h1 - h0)) * (W - 8)));
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "timeline", role: "img", "aria-label": "Sitting stretches on " + day.date });
  const defs = svgEl("defs", {});
  const pat = svgEl("pattern", { id: "long-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  pat.append(svgEl("rect", { width: 6, height: 6, fill: "#a34700" }), svgEl("rect", { width: 2, height: 6, fill: "#5c2800" }));
  defs.append(pat);
  svg.append(defs);
  for (let h = h0; h <= h1; h += 2) {
    const hx = x(t0 + h * 3600);
    svg.append(svgEl("line", { x1: hx, x2: hx, y1: 6, y2: 40, stroke: "#bbb" }));
    const t = svgEl("text", { x: hx, y: 54, "font-size": 11, fill: "#444", "text-anchor": h === h0 ? "start" : h >= h1 - 1 ? "end" : "middle" });
    t.textContent = String(h).padStart(2, "0") + ":00";
    svg.append(t);
  }
  for (const s of day.streaks) {
    const long = s.min >= 60;
    const r = svgEl("rect", { x: x(s.start_s), y: 10, width: Math.max(1, x(s.end_s) - x(s.start_s) - 1), height: 26, fill: long ? "url(#long-hatch)" : "#0b4f9c" });
    r.dataset.minutes = String(Math.round(s.min));
    const title = svgEl("title", {});
    title.textContent = "sitting " + Math.round(s.min) + " min" + (long ? " (an hour or more without a break)" : "");
    r.append(title);
    svg.append(r);
  }
  return svg;
}

async function loadPosture() {
  const res = await api("GET", "/api/posture/days" + q({ person: care.person }));
  if (!res.ok) { say(problem(res)); return; }
  const box = $("posture-days");
  if (!res.data.length) { box.replaceChildren(el("p", "No posture data yet: run openchair posture watch.")); return; }
  box.replaceChildren(...res.data.slice().reverse().slice(0, 7).map((d) => {
    const div = el("div", undefined, "day");
    div.append(el("h3", d.date));
    div.append(timeline(d));
    div.append(el("p", "Bars: stretches of sitting. Hatched: an hour or more without a break.", "muted legend"));
    const dl = el("dl");
    for (const [k, v] of [["Sitting", d.sitting_min], ["Slouched", d.slouched_min], ["Away", d.away_min],
      ["Longest stretch", d.longest_streak_min]]) {
      const w = el("div"); w.append(el("dt", k), el("dd", Math.round(v) + " min")); dl.append(w);
    }
    const w = el("div"); w.append(el("dt", "Nudges"), el("dd", String(d.nudges))); dl.append(w);
    div.append(dl);
    return div;
  }));
}

// ---- health check ---------------------------------------------------------------------------

function showChanges(st) {
  const box = $("health-result");
  const r = st.restrictions;
  const lines = [];
  for (const [p, why] of Object.entries(r.programs_out)) lines.push("No " + p + " program: " + why);
  for (const [t, why] of Object.entries(r.techniques_out)) lines.push("No " + t + ": " + why);
  if (r.depth_cap !== null) lines.push("Rollers at most " + r.depth_cap + " mm deep: " + r.depth_reason);
  if (r.heat !== null) lines.push((r.heat === "off" ? "No heat" : "Heat at most " + r.heat + " °C") + ": " + r.heat_reason);
  for (const [z, why] of Object.entries(r.air_zones_off)) lines.push("No air cushions at " + z + ": " + why);
  const list = el("ul");
  for (const l of lines) list.append(el("li", l));
  const parts = [];
  if (!st.screened) parts.push(el("p", "Not answered yet."));
  else parts.push(el("p", lines.length || r.holds.length ? "What your answers change:" : "Your answers change nothing: the chair is yours."), list);
  for (const h of r.holds) {
    const p = el("p", h.message, "caution");
    const b = el("button", "This is so now: lift the hold");
    b.type = "button";
    b.addEventListener("click", async () => {
      const res = await api("POST", "/api/screening/hold-lifted", { person: care.person, question: h.question });
      if (!res.ok) { say(problem(res)); return; }
      showChanges(res.data);
    });
    parts.push(p, b);
  }
  box.replaceChildren(...parts);
}

async function loadHealth() {
  const [form, st] = await Promise.all([api("GET", "/api/screening/form"), api("GET", "/api/diary/status" + q({ person: care.person }))]);
  if (!form.ok) { say(problem(form)); return; }
  if (!st.ok) { say(problem(st)); return; }
  $("health-intro").textContent = form.data.intro;
  const answers = (st.data.screening && st.data.screening.answers) || {};
  const box = $("health-questions");
  box.querySelectorAll("label, p").forEach((e) => e.remove());
  for (const qn of form.data.questions) {
    const label = el("label");
    const input = el("input");
    input.type = "checkbox";
    input.name = qn.id;
    input.id = "hq-" + qn.id;
    input.checked = !!answers[qn.id];
    label.htmlFor = input.id;
    label.append(input, el("span", qn.ask));
    box.append(label, el("p", qn.why, "muted why-asked"));
  }
  showChanges(st.data);
}

$("health-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const answers = {};
  for (const b of $("health-questions").querySelectorAll("input")) answers[b.name] = b.checked;
  const res = await api("POST", "/api/screening", { person: care.person, answers });
  if (!res.ok) { say(problem(res)); return; }
  showChanges(res.data);
  $("health-result").scrollIntoView({ block: "start" });
});

// ---- start ----------------------------------------------------------------------------------

(async () => {
  notifyRow();
  await loadPeople();
  await route();
  if (!care.person) return;
  const every = await checkBreak(); // breaks arrive on every care page
  if (every) care.poll = setInterval(checkBreak, Math.max(200, every * 1000));
})();
