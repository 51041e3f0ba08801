// billreel studio: the page. Reads the studio's JSON API, draws frames on demand while
// scrubbing, plays the preview video, and redraws on every reload the server pushes.
"use strict";
const $ = (id) => document.getElementById(id);
const ui = {
  storyboard: $("storyboard"), format: $("format"), formatPick: $("format-pick"),
  customer: $("customer"), customers: $("customers"), status: $("status"),
  frame: $("frame"), player: $("player"), frameError: $("frame-error"),
  play: $("play"), time: $("time"), videoStatus: $("video-status"),
  scenes: $("scenes"), captions: $("captions"), scrub: $("scrub"),
  problems: $("problems"), page: $("page"),
};
// The choice and what the server said of it.
const choice = { storyboard: "", id: "", format: "" };
let info = null;
let t = 0;
// One frame request at a time; the newest time asked waits for it.
let inFlight = false, pendingT = null;

function query(extra) {
  const q = new URLSearchParams({ storyboard: choice.storyboard, id: choice.id });
  if (choice.format) q.set("format", choice.format);
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q.toString();
}
async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function say(text) { ui.status.textContent = text; }

async function loadStoryboards() {
  const s = await getJson("/api/storyboards");
  ui.storyboard.replaceChildren(...s.storyboards.map((n) => new Option(n, n)));
  choice.storyboard = choice.storyboard || s.first;
  ui.storyboard.value = choice.storyboard;
}

async function searchCustomers(q) {
  const r = await getJson("/api/customers?" + new URLSearchParams({ q, limit: 30 }));
  ui.customers.replaceChildren(...r.customers.map((c) => {
    const o = document.createElement("option");
    o.value = c.id;
    o.label = `${c.name} (line ${c.line})`;
    return o;
  }));
  return r;
}

// Loads the state of the current choice and redraws everything from it.
async function load() {
  if (!choice.id) return;
  try {
    info = await getJson("/api/state?" + query());
  } catch (e) {
    info = null;
    showProblems([{ severity: "error", message: e.message }]);
    return;
  }
  ui.formatPick.hidden = info.formats.length === 0;
  if (info.formats.length) {
    ui.format.replaceChildren(...info.formats.map((f) => new Option(f, f)));
    ui.format.value = choice.format || info.formats[0];
  }
  if (info.width) document.querySelector(".screen").style.aspectRatio = `${info.width} / ${info.height}`;
  ui.scrub.max = info.duration;
  ui.scrub.step = info.fps ? (1 / info.fps).toFixed(5) : "0.0333";
  t = Math.min(t, info.duration);
  ui.scrub.value = t;
  drawTimeline();
  showProblems(info.problems);
  ui.page.src = info.page ? pageUrl() : "about:blank";
  stopPlaying();
  showFrame(t);
}

function pageUrl() {
  const part = encodeURIComponent;
  return `/page/${part(choice.storyboard)}/${part(choice.format || "-")}/${part(choice.id)}/index.html?v=${info.version}`;
}

function drawTimeline() {
  const span = (list, track, label) => track.replaceChildren(...list.map((x) => {
    const el = document.createElement("span");
    el.style.left = (100 * x.start / info.duration) + "%";
    el.style.width = (100 * (x.end - x.start) / info.duration) + "%";
    el.textContent = el.title = label(x);
    return el;
  }));
  span(info.scenes, ui.scenes, (s) => s.id);
  span(info.captions, ui.captions, (c) => c.text);
}

function showProblems(list) {
  if (!list.length) {
    const li = document.createElement("li");
    li.className = "ok";
    li.textContent = "No problems for this customer.";
    ui.problems.replaceChildren(li);
    return;
  }
  ui.problems.replaceChildren(...list.map((p) => {
    const li = document.createElement("li");
    li.className = p.severity;
    const where = document.createElement("div");
    where.className = "where";
    const file = p.file ? p.file.split("/").pop() : "";
    where.textContent = [p.severity, file && p.line ? `${file} line ${p.line}` + (p.column ? `, column ${p.column}` : "") : file, p.path]
      .filter(Boolean).join(" · ");
    const msg = document.createElement("div");
    msg.textContent = p.message;
    li.append(where, msg);
    if (p.excerpt != null) {
      const code = document.createElement("code");
      code.textContent = `${p.line} | ${p.excerpt}`;
      li.append(code);
    }
    if (p.hint) {
      const h = document.createElement("div");
      h.className = "hint";
      h.textContent = "hint: " + p.hint;
      li.append(h);
    }
    return li;
  }));
}

function showFrame(at) {
  t = at;
  ui.time.textContent = at.toFixed(2) + " s";
  if (!info || !info.renders) {
    ui.frame.removeAttribute("src");
    ui.frameError.hidden = false;
    ui.frameError.textContent = info ? "This customer's video does not render: see the problems." : "";
    return;
  }
  ui.frameError.hidden = true;
  if (inFlight) { pendingT = at; return; }
  inFlight = true;
  const version = info.version;
  const url = "/api/frame?" + query({ t: at.toFixed(4), v: version });
  const img = new Image();
  img.onload = () => {
    ui.frame.src = img.src;
    ui.frame.alt = `Frame at ${at.toFixed(2)} s`;
    // What is on screen, for tests and tools: version and time.
    document.body.dataset.shown = `${version}@${at.toFixed(4)}`;
    next();
  };
  img.onerror = async () => {
    const r = await fetch(url).then((r) => r.json()).catch(() => ({}));
    ui.frameError.hidden = false;
    ui.frameError.textContent = r.error || "The frame could not be drawn.";
    next();
  };
  img.src = url;
  function next() {
    inFlight = false;
    if (pendingT !== null) { const p = pendingT; pendingT = null; showFrame(p); }
  }
}

// Playback: the preview video, made on the first press and kept until the next reload.
let playing = false;
async function play() {
  if (!info || !info.renders) return;
  playing = true;
  ui.play.textContent = "❚❚";
  ui.play.setAttribute("aria-label", "Pause (space)");
  let s;
  for (;;) {
    try { s = await getJson("/api/video?" + query()); } catch (e) { s = { status: "failed", message: e.message }; }
    if (!playing) return;
    if (s.status !== "rendering") break;
    ui.videoStatus.textContent = "Making the preview video…";
    await new Promise((r) => setTimeout(r, 400));
  }
  if (s.status === "failed") { ui.videoStatus.textContent = "No preview video: " + s.message; stopPlaying(); return; }
  ui.videoStatus.textContent = `Preview video (made in ${s.secs.toFixed(1)} s)`;
  const src = "/api/video/" + s.file;
  if (!ui.player.src.endsWith(src)) ui.player.src = src;
  ui.player.currentTime = t >= info.duration - 0.05 ? 0 : t;
  ui.player.hidden = false;
  ui.frame.hidden = true;
  await ui.player.play().catch(() => {});
  requestAnimationFrame(follow);
}
function follow() {
  if (!playing) return;
  t = ui.player.currentTime;
  ui.scrub.value = t;
  ui.time.textContent = t.toFixed(2) + " s";
  if (ui.player.ended) { stopPlaying(); showFrame(t); return; }
  requestAnimationFrame(follow);
}
function stopPlaying() {
  if (!playing) return;
  playing = false;
  ui.player.pause();
  ui.player.hidden = true;
  ui.frame.hidden = false;
  ui.play.textContent = "▶";
  ui.play.setAttribute("aria-label", "Play (space)");
}

ui.scrub.addEventListener("input", () => { stopPlaying(); showFrame(Number(ui.scrub.value)); });
ui.scrub.addEventListener("keydown", (e) => {
  // Page Up/Down: one second (the range's own keys step one frame).
  if (e.key === "PageUp" || e.key === "PageDown") {
    e.preventDefault();
    const v = Math.min(info ? info.duration : 0, Math.max(0, Number(ui.scrub.value) + (e.key === "PageUp" ? 1 : -1)));
    ui.scrub.value = v;
    stopPlaying();
    showFrame(v);
  }
});
ui.play.addEventListener("click", () => (playing ? (stopPlaying(), showFrame(t)) : play()));
document.addEventListener("keydown", (e) => {
  if (e.key === " " && !["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(document.activeElement.tagName)) {
    e.preventDefault();
    ui.play.click();
  }
});
ui.storyboard.addEventListener("change", () => { choice.storyboard = ui.storyboard.value; choice.format = ""; load(); });
ui.format.addEventListener("change", () => { choice.format = ui.format.value; load(); });
let searchTimer = null;
ui.customer.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const r = await searchCustomers(ui.customer.value);
    // A known id typed or picked from the list is chosen at once.
    if (r.customers.some((c) => c.id === ui.customer.value)) choose(ui.customer.value);
  }, 120);
});
ui.customer.addEventListener("change", () => choose(ui.customer.value));
function choose(id) {
  if (!id || id === choice.id) return;
  choice.id = id;
  say(`Customer ${id}`);
  load();
}

// The server's pushes: every saved file moves the version on.
function listen() {
  const events = new EventSource("/api/events");
  events.addEventListener("reload", (e) => {
    say(`Reloaded at ${new Date().toLocaleTimeString()} (version ${e.data})`);
    load();
  });
}

(async () => {
  await loadStoryboards();
  const r = await searchCustomers("");
  if (r.customers.length) {
    choice.id = r.customers[0].id;
    ui.customer.value = choice.id;
  }
  say(`${r.total} customers`);
  listen();
  await load();
})();
