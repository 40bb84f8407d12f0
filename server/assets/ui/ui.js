// The campaignd inspector: plain JavaScript over the sandbox API of the
// port that serves it. It polls every second while "live" is checked.
"use strict";

const state = {
  token: sessionStorage.getItem("campaignd-admin-token"),
  workspace: null,
  tab: "campaigns",
  campaign: null,
  delivery: null,
  request: null,
};

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    $("token-bar").hidden = false;
    throw new Error("the sandbox API needs this server's admin token");
  }
  const text = await response.text();
  const value = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${value && value.message ? value.message : text}`);
  }
  return value;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

// A row the keyboard can reach and open with Enter or Space.
function clickableRow(tbody, id, selected, open) {
  const row = document.createElement("tr");
  row.dataset.id = id;
  row.tabIndex = 0;
  if (selected) row.className = "selected";
  row.addEventListener("click", open);
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      open();
    }
  });
  tbody.appendChild(row);
  return row;
}

// Replaces a table's rows, keeping the focused row focused.
function fill(table, build) {
  const tbody = $(table).querySelector("tbody");
  const focused = document.activeElement && tbody.contains(document.activeElement)
    ? document.activeElement.dataset.id : null;
  tbody.replaceChildren();
  build(tbody);
  if (focused) {
    const again = tbody.querySelector(`tr[data-id="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

const short = (iso) => (iso ? iso.replace("T", " ").replace("Z", "") : "");

async function showClock() {
  const clock = await api("GET", "/clock");
  $("clock-now").textContent = short(clock.now);
  $("clock-mode").textContent = clock.mode;
  // A virtual clock is advanced; the wall clock can be frozen and unfrozen.
  $("advance-form").hidden = clock.mode !== "virtual";
  $("freeze").hidden = clock.mode !== "real";
  $("unfreeze").hidden = clock.mode !== "frozen";
}

async function showWorkspaces() {
  const { items } = await api("GET", "/workspaces");
  const list = $("workspaces");
  const focused = document.activeElement && list.contains(document.activeElement)
    ? document.activeElement.dataset.id : null;
  list.replaceChildren();
  for (const workspace of items) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = workspace.id;
    button.textContent = `${workspace.name} (${workspace.dialect})`;
    button.setAttribute("aria-current", String(workspace.id === state.workspace));
    button.addEventListener("click", () => chooseWorkspace(workspace.id, workspace.name));
    item.appendChild(button);
    list.appendChild(item);
    if (workspace.id === focused) button.focus();
  }
}

function chooseWorkspace(id, name) {
  state.workspace = id;
  state.campaign = null;
  state.delivery = null;
  state.request = null;
  $("workspace-title").textContent = `${name} — ${id}`;
  $("tabs").hidden = false;
  $("timeline").hidden = true;
  $("delivery-detail").hidden = true;
  $("request-detail").hidden = true;
  chooseTab(state.tab);
}

function chooseTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("[role=tab]")) {
    const selected = button.dataset.tab === tab;
    button.setAttribute("aria-selected", String(selected));
    $(`panel-${button.dataset.tab}`).hidden = !selected;
  }
  refresh();
}

async function showCampaigns() {
  const { items } = await api("GET", `/workspaces/${encodeURIComponent(state.workspace)}/campaigns`);
  fill("campaigns", (tbody) => {
    for (const c of items) {
      const row = clickableRow(tbody, c.id, c.id === state.campaign, () => {
        state.campaign = c.id;
        refresh();
      });
      cell(row, c.id);
      cell(row, c.name);
      cell(row, c.status, `status-${c.status}`);
      cell(row, c.prospectCount);
      cell(row, c.counters.queued);
      cell(row, c.counters.inFlight);
      cell(row, c.counters.delivered);
      cell(row, c.counters.failed);
    }
  });
  if (state.campaign) await showTimeline();
}

async function showTimeline() {
  const id = encodeURIComponent(state.campaign);
  const [prospects, sends] = await Promise.all([
    api("GET", `/campaigns/${id}/prospects`),
    api("GET", `/sends?campaignId=${id}`),
  ]);
  $("timeline").hidden = false;
  $("timeline-campaign").textContent = state.campaign;
  const count = (key) => sends.items.filter((s) => s.state === key).length;
  const outcome = (key) => prospects.items.filter((p) => p.status === key).length;
  $("timeline-summary").textContent =
    `queued ${count("queued")}, in flight ${count("in_flight")}, sent ${count("delivered")}, ` +
    `failed ${count("failed")}; prospects bounced ${outcome("bounced")}, replied ${outcome("replied")}`;
  fill("prospects", (tbody) => {
    for (const p of prospects.items) {
      const row = document.createElement("tr");
      cell(row, p.id);
      cell(row, p.email || p.phone || p.linkedinUrl);
      cell(row, p.status, `status-${p.status}`);
      cell(row, p.position);
      tbody.appendChild(row);
    }
  });
  fill("sends", (tbody) => {
    for (const s of sends.items) {
      const row = document.createElement("tr");
      cell(row, s.id);
      cell(row, s.prospectId);
      cell(row, s.step);
      cell(row, s.channel);
      cell(row, s.state, `state-${s.state}`);
      cell(row, short(s.dueAt));
      cell(row, short(s.startedAt));
      cell(row, short(s.finishedAt));
      tbody.appendChild(row);
    }
  });
}

async function showDeliveries() {
  const workspace = encodeURIComponent(state.workspace);
  const hooks = await api("GET", `/workspaces/${workspace}/webhooks`);
  const ids = new Set(hooks.items.map((h) => h.id));
  const { items } = await api("GET", "/deliveries");
  const mine = items.filter((d) => ids.has(d.webhookId));
  fill("deliveries", (tbody) => {
    for (const d of mine) {
      const row = clickableRow(tbody, d.id, d.id === state.delivery, () => {
        state.delivery = d.id;
        refresh();
      });
      const last = d.attempts[d.attempts.length - 1];
      cell(row, d.id);
      cell(row, d.event);
      cell(row, d.state, `state-${d.state}`);
      cell(row, d.attempts.length);
      cell(row, last ? (last.status || last.error) : "");
      cell(row, short(d.nextAttemptAt));
      const action = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Redeliver";
      button.className = "redeliver";
      button.addEventListener("click", async (event) => {
        event.stopPropagation();
        await act(() => api("POST", `/deliveries/${encodeURIComponent(d.id)}/redeliver`));
      });
      action.appendChild(button);
      row.appendChild(action);
    }
  });
  const chosen = mine.find((d) => d.id === state.delivery);
  $("delivery-detail").hidden = !chosen;
  if (chosen) {
    $("delivery-id").textContent = chosen.id;
    $("attempts").replaceChildren(...chosen.attempts.map((a) => {
      const item = document.createElement("li");
      item.textContent = `${short(a.at)}: ${a.status ? `answered ${a.status}` : `failed: ${a.error}`}`;
      return item;
    }));
    $("delivery-body").textContent = chosen.body;
  }
}

async function showRequests() {
  const workspace = encodeURIComponent(state.workspace);
  const { items } = await api("GET", `/workspaces/${workspace}/requests?limit=200`);
  fill("requests", (tbody) => {
    for (const r of items) {
      const row = clickableRow(tbody, String(r.id), r.id === state.request, () => {
        state.request = r.id;
        refresh();
      });
      cell(row, r.id);
      cell(row, short(r.at));
      cell(row, r.method);
      cell(row, r.path);
      cell(row, r.status);
      cell(row, `${(r.latencyMicros / 1000).toFixed(2)} ms`);
    }
  });
  const chosen = items.find((r) => r.id === state.request);
  $("request-detail").hidden = !chosen;
  if (chosen) {
    $("request-line").textContent = `${chosen.method} ${chosen.path} → ${chosen.status}`;
    $("request-headers").textContent = Object.entries(chosen.requestHeaders)
      .map(([k, v]) => `${k}: ${v}`).join("\n");
    $("request-body").textContent = chosen.requestBody;
    $("response-body").textContent = chosen.responseBody;
  }
}

// Runs an action, then refreshes; a failure is shown, not thrown.
async function act(action) {
  try {
    await action();
    $("status").textContent = "";
  } catch (error) {
    $("status").textContent = error.message;
  }
  await refresh();
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    await showClock();
    await showWorkspaces();
    if (state.workspace) {
      if (state.tab === "campaigns") await showCampaigns();
      if (state.tab === "webhooks") await showDeliveries();
      if (state.tab === "requests") await showRequests();
    }
    $("status").textContent = "";
  } catch (error) {
    $("status").textContent = error.message;
  } finally {
    refreshing = false;
  }
}

async function showFaceDocs() {
  try {
    const ports = await api("GET", "/ui/ports.json");
    const links = ports.apis.filter((a) => a.name !== "sandbox").map((a) => {
      const link = document.createElement("a");
      link.href = `${a.origin}/docs`;
      link.textContent = a.name;
      return link;
    });
    $("face-docs").replaceChildren(...links.flatMap((l) => [l, " "]));
  } catch (error) {
    $("status").textContent = error.message;
  }
}

$("advance-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const seconds = Number($("advance-seconds").value);
  act(() => api("POST", "/clock/advance", { seconds }));
});
$("freeze").addEventListener("click", () => act(() => api("POST", "/clock/freeze")));
$("unfreeze").addEventListener("click", () => act(() => api("POST", "/clock/unfreeze")));
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("token").value;
  sessionStorage.setItem("campaignd-admin-token", state.token);
  $("token-bar").hidden = true;
  refresh();
  showFaceDocs();
});
$("clear-requests").addEventListener("click", () =>
  act(() => api("POST", `/workspaces/${encodeURIComponent(state.workspace)}/requests/clear`)));
for (const button of document.querySelectorAll("[role=tab]")) {
  button.addEventListener("click", () => chooseTab(button.dataset.tab));
}
setInterval(() => {
  if ($("live").checked) refresh();
}, 1000);
refresh();
showFaceDocs();
