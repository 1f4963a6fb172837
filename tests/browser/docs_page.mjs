// Drives the mock's docs page in headless Chromium as a person would: authorize with a token,
// then on every operation "Execute" and read the status shown; then open the admin API's document.
// Usage: node docs_page.mjs <chromium> <mock URL> <token>. Prints one JSON object.
import puppeteer from "puppeteer-core";

const [executablePath, base, token] = process.argv.slice(2);
const browser = await puppeteer.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
const result = { requests: [], operations: [], errors: [] };
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  page.on("request", (request) => result.requests.push(request.url()));
  page.on("pageerror", (error) => result.errors.push(String(error)));
  await page.goto(`${base}/docs/`, { waitUntil: "networkidle0" });
  await page.waitForSelector(".opblock");
  result.intro = await page.$eval("#mock-intro", (node) => node.innerText);
  result.title = await page.$eval(".information-container .title", (node) => node.innerText);
  result.servers = await page.$$eval(".servers select option", (nodes) => nodes.map((n) => n.value));
  result.renderErrors = await page.$$eval(".errors-wrapper", (nodes) => nodes.map((n) => n.innerText));

  // Authorize: log out of the token the page filled in, then type one in.
  await page.click("button.authorize");
  await page.waitForSelector(".modal-ux");
  const logout = await page.$(".modal-ux button.modal-btn.auth:not(.authorize)");
  if (logout) await logout.click();
  await page.waitForSelector(".modal-ux input[type=text]");
  await page.type(".modal-ux input[type=text]", token);
  await page.click(".modal-ux button.modal-btn.auth.authorize");
  await page.click(".modal-ux button.btn-done");

  const ids = await page.$$eval(".opblock", (nodes) => nodes.map((n) => n.id));
  for (const id of ids) {
    await page.click(`[id="${id}"] .opblock-summary-control`);
    await page.waitForSelector(`[id="${id}"] button.execute`);
    await page.click(`[id="${id}"] button.execute`);
    const status = await page.waitForSelector(`[id="${id}"] .live-responses-table tbody .response-col_status`);
    result.operations.push({ id, status: (await status.evaluate((n) => n.innerText)).trim() });
  }

  // The admin API's document, picked in the top bar's list.
  const choices = await page.$$eval(".topbar select option", (nodes) => nodes.map((n) => n.value));
  await page.select(".topbar select", choices[1]);
  await page.waitForFunction((title) => {
    const node = document.querySelector(".information-container .title");
    return node && !node.innerText.startsWith(title);
  }, {}, result.title);
  await page.waitForSelector(".opblock");
  result.admin = {
    title: await page.$eval(".information-container .title", (node) => node.innerText),
    operations: await page.$$eval(".opblock", (nodes) => nodes.length),
    renderErrors: await page.$$eval(".errors-wrapper", (nodes) => nodes.map((n) => n.innerText)),
  };
} catch (error) {
  result.errors.push(String(error));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
