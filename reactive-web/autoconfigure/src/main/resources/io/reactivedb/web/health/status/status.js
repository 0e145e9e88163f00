// The live status page: state from /health/database/stream (a snapshot, then typed events), the
// live figures (pool use, lag) re-read from /health/database every REFRESH_MS while details are
// shown. Server data only ever reaches the page as text (textContent), never as markup.
"use strict";

(() => {
  const STREAM = "health/database/stream";
  const REPORT = "health/database";
  const REFRESH_MS = 5000;
  const MAX_EVENTS = 50;

  const state = {
    status: "UNKNOWN",
    details: false,
    at: 0,          // time of the newest snapshot or event applied (ms since the epoch)
    writer: null,
    endpoints: new Map(),
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function time(value) {
    const t = typeof value === "string" ? Date.parse(value) : NaN;
    return Number.isNaN(t) ? 0 : t;
  }

  function clock(ms) {
    return ms ? new Date(ms).toLocaleTimeString() : "";
  }

  // A Duration as Jackson writes it: ISO-8601 ("PT1.5S") or seconds as a number.
  function durationMillis(value) {
    if (typeof value === "number") {
      return value * 1000;
    }
    const match = typeof value === "string" && /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(value);
    if (!match) {
      return null;
    }
    return ((Number(match[1] || 0) * 60 + Number(match[2] || 0)) * 60 + Number(match[3] || 0)) * 1000;
  }

  function bytes(n) {
    if (n < 1024) {
      return n + " B";
    }
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let value = n;
    let unit = -1;
    do {
      value /= 1024;
      unit++;
    } while (value >= 1024 && unit < units.length - 1);
    return value.toFixed(1) + " " + units[unit];
  }

  function lagText(e) {
    if (!e.reachable || (e.configuredRole === "primary" && e.observedRole !== "replica")) {
      return "–";
    }
    const parts = [];
    if (typeof e.lagMillis === "number") {
      parts.push(e.lagMillis < 1000 ? Math.round(e.lagMillis) + " ms" : (e.lagMillis / 1000).toFixed(1) + " s");
    }
    if (typeof e.lagBytes === "number") {
      parts.push(bytes(e.lagBytes));
    }
    const text = parts.length ? parts.join(", ") : "unknown";
    return e.lagging ? text + " (over the limit)" : text;
  }

  function roleText(e) {
    if (e.observedRole && e.observedRole !== "unknown" && e.observedRole !== e.configuredRole) {
      return e.configuredRole + " (now " + e.observedRole + ")";
    }
    return e.configuredRole;
  }

  // --- applying what the server sends ---------------------------------------------------------

  function applySnapshot(report, fromStream) {
    const at = time(report.at);
    if (!fromStream && (!report.endpoints || at < state.at)) {
      return; // an older round than what the stream already told us
    }
    state.status = report.status;
    state.details = Array.isArray(report.endpoints);
    state.writer = report.writer || null;
    state.at = Math.max(state.at, at);
    state.endpoints = new Map();
    for (const e of report.endpoints || []) {
      state.endpoints.set(e.name, Object.assign({}, e));
    }
    render();
  }

  function endpoint(name) {
    if (!state.endpoints.has(name)) {
      state.endpoints.set(name, { name, configuredRole: "unknown", observedRole: "unknown", reachable: false });
    }
    return state.endpoints.get(name);
  }

  function lower(value) {
    return typeof value === "string" ? value.toLowerCase() : value;
  }

  // Each event changes the state it names and returns the line for the recent-events list.
  const handlers = {
    "endpoint-down": (d) => {
      Object.assign(endpoint(d.endpoint), { reachable: false, observedRole: "unknown", inRotation: false, error: d.reason, checkedAt: d.at });
      return d.endpoint + " down: " + d.reason;
    },
    "endpoint-up": (d) => {
      Object.assign(endpoint(d.endpoint), { reachable: true, observedRole: lower(d.role), error: null, checkedAt: d.at });
      return d.endpoint + " up as " + lower(d.role);
    },
    "role-changed": (d) => {
      endpoint(d.endpoint).observedRole = lower(d.to);
      return d.endpoint + " role " + lower(d.from) + " → " + lower(d.to);
    },
    "writer-changed": (d) => {
      state.writer = d.to || null;
      for (const e of state.endpoints.values()) {
        e.writable = e.name === state.writer;
      }
      return "writer " + (d.from || "none") + " → " + (d.to || "none");
    },
    "lag-exceeded": (d) => lag(d, true),
    "lag-recovered": (d) => lag(d, false),
    "pool-exhausted": (d) => {
      endpoint(d.endpoint).pool = d.pool;
      return d.endpoint + " pool exhausted: " + d.pool.acquired + " of " + d.pool.max + " in use, " + d.pool.pending + " waiting";
    },
    "split-brain": (d) => "split brain: " + (d.notInRecovery || []).join(", ") + " accept writes; writes stay on " + (d.writer || "none"),
    "breaker-state-changed": (d) => {
      endpoint(d.endpoint).breaker = d.to;
      return d.endpoint + " breaker " + d.from + " → " + d.to;
    },
    "component-status-changed": (d) => d.component + " " + d.from + " → " + d.to,
    "pooler-mismatch": (d) => d.endpoint + ": the pooler is not the one configured (SQLSTATE " + d.sqlState + ")",
    "status-changed": (d) => {
      state.status = d.to;
      return "status " + d.from + " → " + d.to;
    },
  };

  function lag(d, over) {
    const e = endpoint(d.endpoint);
    e.lagging = over;
    if (typeof d.lagBytes === "number") {
      e.lagBytes = d.lagBytes;
    }
    const millis = durationMillis(d.lagTime);
    if (millis !== null) {
      e.lagMillis = millis;
    }
    return d.endpoint + (over ? " lag over the limit: " : " lag within the limit: ") + lagText(e);
  }

  function applyEvent(kind, data) {
    const handler = handlers[kind];
    const line = handler ? handler(data) : kind;
    const at = time(data.at);
    state.at = Math.max(state.at, at);
    addEvent(at || Date.now(), kind, line);
    render();
  }

  // --- rendering ----------------------------------------------------------------------------

  function render() {
    const overall = $("overall");
    overall.textContent = state.status;
    overall.dataset.status = state.status;
    overall.className = "status " + state.status.toLowerCase();
    document.title = state.status + " · reactive-db";

    $("hidden").hidden = state.details;
    $("endpoints").hidden = !state.details;
    $("writer").textContent = state.details ? "Writes go to " + (state.writer || "no server (none is writable)") + "." : "";

    const rows = [];
    for (const e of state.endpoints.values()) {
      rows.push(row(e));
    }
    $("endpoints").tBodies[0].replaceChildren(...rows);
  }

  function row(e) {
    const tr = el("tr");
    tr.dataset.endpoint = e.name;
    const up = e.reachable === true;
    const cells = [
      ["name", e.name],
      ["role", roleText(e)],
      ["state", up ? "UP" : "DOWN", up ? "up" : "down"],
      ["lag", lagText(e)],
      ["pool", e.pool ? e.pool.acquired + " / " + e.pool.max + (e.pool.pending ? " (" + e.pool.pending + " waiting)" : "") : "–"],
      ["breaker", e.breaker || "–", e.breaker ? "breaker " + e.breaker.toLowerCase() : ""],
      ["checked", clock(time(e.checkedAt))],
    ];
    for (const [field, text, className] of cells) {
      const td = el("td", text, className);
      td.dataset.field = field;
      tr.append(td);
    }
    if (!up && e.error) {
      tr.title = e.error;
    }
    return tr;
  }

  function addEvent(at, kind, line) {
    const list = $("events");
    const item = el("li", null, "event " + kind);
    item.dataset.kind = kind;
    item.append(el("time", clock(at)), el("span", " " + line));
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) {
      list.lastElementChild.remove();
    }
    $("no-events").hidden = true;
  }

  function streamState(text, className) {
    const node = $("stream");
    node.textContent = "stream: " + text;
    node.className = "stream " + className;
  }

  // --- wiring -------------------------------------------------------------------------------

  function connect() {
    const source = new EventSource(STREAM);
    source.addEventListener("open", () => streamState("live", "live"));
    source.addEventListener("error", () => {
      // EventSource reconnects by itself; the server starts the new stream with a snapshot.
      streamState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting…", "lost");
    });
    source.addEventListener("snapshot", (message) => applySnapshot(JSON.parse(message.data), true));
    for (const kind of Object.keys(handlers)) {
      source.addEventListener(kind, (message) => applyEvent(kind, JSON.parse(message.data)));
    }
  }

  async function refresh() {
    if (!state.details || document.hidden) {
      return; // without details the stream carries all there is (the status)
    }
    try {
      const response = await fetch(REPORT, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok || response.status === 503) {
        applySnapshot(await response.json(), false);
      }
    } catch (e) {
      // The stream reports lost connections; a missed refresh only leaves the figures older.
    }
  }

  connect();
  setInterval(refresh, REFRESH_MS);
})();
