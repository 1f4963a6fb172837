// The mock's dashboard: every figure comes from the admin API (/_mock/...), nothing else.
(function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("mock-admin-token") || "";
  let latestRequest = 0;
  const shownPerTenant = 200;

  function say(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  // One admin call; an error answer (the API's envelope) becomes an Error with its message.
  async function admin(method, path, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const answer = await fetch(config.prefix + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await answer.json().catch(() => null);
    if (answer.status === 401) $("token-box").hidden = false;
    if (!answer.ok) {
      const detail = data && (data.detail || data.message) ? data.detail || data.message : answer.statusText;
      throw new Error(`${method} ${config.prefix}${path}: ${answer.status} ${detail}`);
    }
    return data;
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  function renderSessions(state) {
    const filter = $("filter").value.trim().toLowerCase();
    const byTenant = new Map();
    for (const session of state.sessions) {
      if (filter && !JSON.stringify(session).toLowerCase().includes(filter)) continue;
      const tenant = config.tenancy.map((member) => session[member]).join(" / ") || "(all)";
      if (!byTenant.has(tenant)) byTenant.set(tenant, []);
      byTenant.get(tenant).push(session);
    }
    const box = $("sessions");
    box.replaceChildren();
    for (const [tenant, sessions] of [...byTenant.entries()].sort()) {
      const title = document.createElement("div");
      title.className = "tenant";
      title.textContent = `${tenant}: ${sessions.length} session${sessions.length === 1 ? "" : "s"}`;
      box.appendChild(title);
      const table = document.createElement("table");
      table.className = "sessions";
      table.dataset.tenant = tenant;
      const head = table.createTHead().insertRow();
      for (const name of [...config.columns, ...config.children]) head.appendChild(document.createElement("th")).textContent = name;
      const body = table.createTBody();
      sessions.sort((a, b) => String(b[config.columns[config.columns.length - 1]]).localeCompare(String(a[config.columns[config.columns.length - 1]])));
      for (const session of sessions.slice(0, shownPerTenant)) {
        const row = body.insertRow();
        row.dataset.id = session[config.id];
        for (const name of config.columns) cell(row, typeof session[name] === "object" && session[name] !== null ? JSON.stringify(session[name]) : session[name], name === config.id ? "code" : "");
        for (const name of config.children) cell(row, (session[name] || []).length);
      }
      box.appendChild(table);
      if (sessions.length > shownPerTenant) {
        const more = document.createElement("p");
        more.textContent = `and ${sessions.length - shownPerTenant} more (filter to find them)`;
        box.appendChild(more);
      }
    }
  }

  function renderRequests(journal) {
    const body = $("requests").tBodies[0];
    if (journal.capacity === 0) {
      body.replaceChildren();
      cell(body.insertRow(), "The journal is off (--journal-size 0).");
      return;
    }
    body.replaceChildren();
    for (const entry of journal.requests) {
      const row = body.insertRow();
      cell(row, entry.id);
      cell(row, entry.time.replace("T", " ").replace("Z", ""));
      cell(row, entry.method);
      cell(row, entry.path + (entry.query ? `?${entry.query}` : ""), "code");
      cell(row, entry.status, entry.status ? `status-${String(entry.status)[0]}` : "");
      cell(row, entry.duration_ms.toFixed(1));
      cell(row, (entry.notes || []).join("; "));
    }
    latestRequest = journal.latest;
  }

  function renderControls(controls) {
    const form = $("controls");
    if (form.contains(document.activeElement)) return; // not while the user is typing
    form.min_ms.value = controls.latency ? controls.latency.min_ms : "";
    form.max_ms.value = controls.latency ? controls.latency.max_ms : "";
    form.fault_rate.value = controls.fault_rate;
    form.fault_timing.value = controls.fault_timing;
    form.rate_limit.value = controls.rate_limit || "";
    const own = Object.entries(controls.operations || {}).filter(([, values]) => Object.values(values).some((v) => v !== null));
    $("operations").textContent = own.length ? JSON.stringify(Object.fromEntries(own), null, 1) : "none: every operation as above";
  }

  async function refresh() {
    try {
      const [state, journal, controls] = await Promise.all([
        admin("GET", "/state"), admin("GET", "/requests?limit=25"), admin("GET", "/controls"),
      ]);
      renderSessions(state);
      renderRequests(journal);
      renderControls(controls);
      $("clock").textContent = `Clock: ${new Date(Date.now() + state.clock.offset_s * 1000).toISOString()}` +
        (state.clock.offset_s ? ` (advanced by ${state.clock.offset_s} s)` : "");
      document.body.dataset.loaded = "true";
    } catch (error) {
      say(error.message, true);
    }
  }

  async function act(label, work) {
    try {
      const result = await work();
      say(`${label}${result ? `: ${result}` : ""}`);
      await refresh();
    } catch (error) {
      say(error.message, true);
    }
  }

  $("reset").onclick = () => act("Reset", async () => `${(await admin("POST", "/reset")).sessions} sessions`);
  $("save").onclick = () => act("Saved", async () => {
    const state = await admin("GET", "/state");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(state, null, 1)], { type: "application/json" }));
    link.download = "mock-state.json";
    link.click();
    window.lastSavedState = state; // for whoever drives the page
    return `${state.sessions.length} sessions in mock-state.json`;
  });
  $("restore").onchange = (event) => act("Restored", async () => {
    const file = event.target.files[0];
    const state = JSON.parse(await file.text());
    event.target.value = "";
    return `${(await admin("PUT", "/state", state)).sessions} sessions from ${file.name}`;
  });
  $("advance-10").onclick = () => act("Clock advanced", async () => `${(await admin("POST", "/clock", { advance_s: 10 })).offset_s} s ahead`);
  $("advance-60").onclick = () => act("Clock advanced", async () => `${(await admin("POST", "/clock", { advance_s: 60 })).offset_s} s ahead`);
  $("clear-requests").onclick = () => act("Journal cleared", async () => `${(await admin("DELETE", "/requests")).cleared} requests`);
  $("controls").onsubmit = (event) => {
    event.preventDefault();
    const form = event.target;
    const min = form.min_ms.value, max = form.max_ms.value;
    const change = {
      latency: min === "" && max === "" ? null : { min_ms: Number(min || max), max_ms: Number(max || min) },
      fault_rate: Number(form.fault_rate.value || 0),
      fault_timing: form.fault_timing.value,
      rate_limit: form.rate_limit.value.trim() || null,
    };
    document.activeElement.blur();
    act("Controls applied", async () => { await admin("PATCH", "/controls", change); return ""; });
  };
  $("filter").oninput = () => refresh();
  $("token-use").onclick = () => {
    token = $("token").value;
    sessionStorage.setItem("mock-admin-token", token);
    $("token-box").hidden = true;
    refresh();
  };

  refresh();
  setInterval(() => { if ($("auto").checked && !document.hidden) refresh(); }, 2000);
})();
