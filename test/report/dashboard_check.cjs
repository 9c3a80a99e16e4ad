// A person using the service in headless Chromium (through playwright-core): opens the server's `/`, lands on
// the sign-in page, pastes a token, sees the dashboard, follows the latest audit's HTML report (which must
// render in the page, not abort as a download), comes back, signs out and is at the sign-in page again.
// Prints what it saw as one JSON object on stdout; test/report/dashboard_browser_test.cpp asserts on it.
//   node dashboard_check.cjs NPM_DIR BASE_URL SCREENSHOT_DIR     (the token in SGAUDIT_TEST_TOKEN)
// Environment: SGAUDIT_CHROMIUM (default /usr/bin/chromium).
"use strict";
const path = require("path");
const { guardedPage, launchChromium } = require("./browser_page.cjs");

const [npmDir, base, screenshots] = process.argv.slice(2);
const { chromium } = require(path.join(npmDir, "node_modules", "playwright-core"));

// Clicks what navigates and waits for the page it leads to.
async function navigateBy(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  return response;
}

async function main() {
  const facts = { dialogs: [], external_requests: [], csp_violations: [], page_errors: [], failed_requests: [],
                  downloads: [] };
  const browser = await launchChromium(chromium);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await guardedPage(context, facts, base);
    page.on("requestfailed", (request) => facts.failed_requests.push(request.url() + " " + request.failure().errorText));
    page.on("download", (download) => facts.downloads.push(download.suggestedFilename()));

    await page.goto(base + "/", { waitUntil: "load" });
    facts.landing = { url: page.url().slice(base.length), title: await page.title(),
                      form: await page.isVisible("form#signin"), token_field: await page.isVisible("#token") };

    await page.fill("#token", process.env.SGAUDIT_TEST_TOKEN || "");
    const signedIn = await navigateBy(page, "form#signin button[type=submit]");
    facts.dashboard = { url: page.url().slice(base.length), status: signedIn ? signedIn.status() : 0,
                        title: await page.title(), who: await page.textContent("#who") };
    const cookies = await context.cookies();
    facts.cookies = cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, secure: c.secure,
                                          path: c.path, lifetime: Math.round(c.expires - Date.now() / 1000) }));
    facts.script_readable_cookie = await page.evaluate(() => document.cookie);
    facts.scopes = await page.$$eval("#scopes tbody tr[data-name]", (rows) => rows.map((row) => ({
      kind: row.dataset.kind,
      name: row.querySelector(".name").textContent,
      visible: row.getClientRects().length > 0,
      counts: Object.fromEntries(Array.from(row.querySelectorAll("td[data-severity]")).map(
        (td) => [td.dataset.severity, td.textContent])),
      links: Array.from(row.querySelectorAll("a")).map((a) => a.textContent),
    })));
    facts.trends = await page.$$eval("section.schedule", (sections) => sections.map((section) => {
      const svg = section.querySelector("svg.trend");
      const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      return {
        name: section.dataset.schedule,
        svg_width: box.width, svg_height: box.height,
        runs: svg ? Array.from(svg.querySelectorAll("g.run")).map((run) => Object.fromEntries(
          Array.from(run.querySelectorAll("rect")).map((rect) => {
            const r = rect.getBoundingClientRect();
            return [rect.dataset.severity, { count: rect.dataset.count, visible: r.width > 0 && r.height > 0 }];
          }))) : [],
      };
    }));
    facts.dashboard_scripts = await page.evaluate(() => document.scripts.length);
    await page.screenshot({ path: path.join(screenshots, "dashboard.png"), fullPage: true });

    // The latest audit's HTML report, as a person clicks it: it must render here.
    const opened = await navigateBy(page, 'tr[data-kind="cluster"][data-name="cce-demo"] a.report-html');
    facts.report = {
      url: page.url().slice(base.length), status: opened ? opened.status() : 0,
      disposition: opened ? (await opened.allHeaders())["content-disposition"] : "",
      title: await page.title(), scope: await page.textContent("#scope"),
      total: await page.textContent("#total-findings"),
      script_ran: (await page.getAttribute("body", "data-ready")) === "true",
    };
    await page.screenshot({ path: path.join(screenshots, "dashboard-report.png") });

    await page.goto(base + "/", { waitUntil: "load" });
    facts.back = { url: page.url().slice(base.length) };
    await navigateBy(page, "form#signout button[type=submit]");
    facts.signed_out = { url: page.url().slice(base.length), form: await page.isVisible("form#signin"),
                         cookies: (await context.cookies()).map((c) => c.name) };
    await page.goto(base + "/", { waitUntil: "load" });
    facts.after = { url: page.url().slice(base.length), form: await page.isVisible("form#signin") };
    await context.close();
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(facts) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
