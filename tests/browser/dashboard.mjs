// Drives the mock's dashboard in headless Chromium as a person would: reads the sessions and the
// requests, applies a latency, advances the clock, restores a saved state from a file, resets.
// Usage: node dashboard.mjs <chromium> <mock URL> <token> <sessions path> <saved state file>.
// Prints one JSON object of what it saw.
import puppeteer from "puppeteer-core";

const [executablePath, base, token, sessionsPath, savedFile] = process.argv.slice(2);
const browser = await puppeteer.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
const seen = { errors: [], requests: [] };
const api = (path, init = {}) => fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...(init.headers || {}) } });
const admin = async (path) => (await fetch(`${base}/_mock${path}`)).json();
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  page.on("pageerror", (error) => seen.errors.push(String(error)));
  page.on("request", (request) => seen.requests.push(request.url()));
  await page.goto(`${base}/_mock/`, { waitUntil: "networkidle0" });
  await page.waitForSelector("body[data-loaded=true]");
  const rows = () => page.$$eval("table.sessions", (tables) => Object.fromEntries(tables.map((t) => [t.dataset.tenant, t.tBodies[0].rows.length])));
  seen.tenants = await rows();
  seen.columns = await page.$$eval("table.sessions:first-of-type th", (cells) => cells.map((c) => c.textContent));

  // A request from the app under development shows up, and its session too.
  const created = await (await api(sessionsPath, { method: "POST", body: JSON.stringify(JSON.parse(process.env.CREATE_BODY)) })).json();
  seen.createdId = created[process.env.ID_FIELD];
  await page.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"]`), {}, seen.createdId);
  await page.waitForFunction(() => [...document.querySelectorAll("#requests tbody tr")].some((r) => r.cells[2].textContent === "POST"));
  seen.journalPaths = await page.$$eval("#requests tbody tr", (trs) => trs.map((r) => `${r.cells[2].textContent} ${r.cells[4].textContent}`));

  // Runtime controls: a latency, applied with the form.
  await page.$eval("#controls [name=min_ms]", (input) => { input.value = ""; });
  await page.type("#controls [name=min_ms]", "120");
  await page.$eval("#controls [name=max_ms]", (input) => { input.value = ""; });
  await page.type("#controls [name=max_ms]", "130");
  await page.click("#controls button[type=submit]");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Controls applied"));
  seen.latency = (await admin("/controls")).latency;
  const started = Date.now();
  await api(sessionsPath);
  seen.slowRequestMs = Date.now() - started;

  // The clock, a minute ahead.
  await page.click("#advance-60");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Clock advanced"));
  seen.clockOffset = (await admin("/clock")).offset_s;

  // Restore the state saved before the session was created: it is gone again.
  const input = await page.$("#restore");
  await input.uploadFile(savedFile);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Restored"));
  await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), {}, seen.createdId);
  seen.createdAfterRestore = (await api(`${sessionsPath}/${seen.createdId}`)).status;

  // Reset.
  await page.click("#reset");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Reset"));
  seen.status = await page.$eval("#status", (node) => node.textContent);
} catch (error) {
  seen.errors.push(String(error));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
