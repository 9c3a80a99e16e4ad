// Opens a large HTML report (findings carried as a JSON data island) in headless Chromium through
// playwright-core and prints, as one JSON object, what a person can do with it: groups start collapsed, the
// filters count every finding though few are built, opening a group builds its findings, opening a finding
// its details (subjects, evidence, deciding rule, fixes with copy buttons), a link to a finding reveals it.
// test/report/browser_test.cpp asserts on it.
//   node browser_scale_check.cjs NPM_DIR REPORT.html SCREENSHOT.png
"use strict";
const path = require("path");
const { guardedPage, launchChromium } = require("./browser_page.cjs");

const [npmDir, reportPath, screenshotPath] = process.argv.slice(2);
const { chromium } = require(path.join(npmDir, "node_modules", "playwright-core"));

async function main() {
  const facts = { dialogs: [], external_requests: [], csp_violations: [], page_errors: [] };
  const browser = await launchChromium(chromium);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await guardedPage(context, facts);
    const started = Date.now();
    await page.goto("file://" + path.resolve(reportPath), { waitUntil: "load" });
    facts.load_ms = Date.now() - started;
    facts.script_ran = (await page.getAttribute("body", "data-ready")) === "true";
    facts.total = await page.textContent("#total-findings");
    facts.shown = await page.textContent("#shown-count");
    facts.groups = await page.$$eval("details.check-group", (all) => all.length);
    facts.groups_open = await page.$$eval("details.check-group[open]", (all) => all.length);
    facts.finding_elements = await page.$$eval("details.finding", (all) => all.length);
    facts.matrix_rows = await page.$$eval("table.matrix tbody tr", (all) => all.length);
    facts.matrix_nodes = await page.$$eval("table.matrix tbody tr", (rows) => rows.reduce((sum, row) => {
      const cell = row.querySelector("td[data-port]");
      return sum + (cell && cell.dataset.nodes ? Number(cell.dataset.nodes) : 1);
    }, 0));

    const shownFor = async (select, value) => {
      await page.selectOption(select, value);
      return page.textContent("#shown-count");
    };
    facts.filters = {};
    facts.filters.high = await shownFor("#filter-severity", "high");
    await page.selectOption("#filter-severity", "");
    facts.filters.check = await shownFor("#filter-check", "hostport.conflict");
    facts.filters.groups_visible_for_check = await page.$$eval("details.check-group",
      (all) => all.filter((d) => !d.hidden).map((d) => d.dataset.check));
    await page.selectOption("#filter-check", "");
    facts.filters.namespace = await shownFor("#filter-namespace", "ns:team-3");
    await page.click("#filter-reset");
    await page.waitForFunction((total) => document.getElementById("shown-count").textContent === total, facts.total);
    facts.filters.after_reset = await page.textContent("#shown-count");

    // Open the first group and its first chunk (a group of more than 250 findings is chunked).
    await page.click("details.check-group > summary");
    const chunk = await page.$("details.check-group[open] details.chunk > summary");
    if (chunk) await chunk.click();
    await page.waitForSelector("details.finding");
    facts.built_after_opening = await page.$$eval("details.finding", (all) => all.length);
    facts.visible_after_opening = await page.$$eval("details.finding", (all) => all.filter((d) => d.getClientRects().length > 0).length);
    // A filter applies to findings built before and after it.
    await page.selectOption("#filter-severity", "high");
    facts.visible_high_in_open_chunk = await page.$$eval("details.finding", (all) =>
      all.filter((d) => d.getClientRects().length > 0 && d.dataset.severity === "high").length);
    facts.visible_not_high_in_open_chunk = await page.$$eval("details.finding", (all) =>
      all.filter((d) => d.getClientRects().length > 0 && d.dataset.severity !== "high").length);
    await page.selectOption("#filter-severity", "");

    // Open a finding: its details are built.
    const first = await page.$("details.finding > summary");
    await first.click();
    await page.waitForSelector("details.finding[open] .finding-body");
    facts.opened = await page.$eval("details.finding[open]", (d) => ({
      id: d.id,
      headings: Array.from(d.querySelectorAll("h4")).map((h) => h.textContent),
      facts: Array.from(d.querySelectorAll("dl.facts dt")).map((dt) => dt.textContent),
      subjects: d.querySelectorAll("ul.subjects li").length,
      evidence: d.querySelectorAll("ul.evidence li").length,
      rules: Array.from(d.querySelectorAll("ul.rules li")).map((li) => li.textContent),
      copy_buttons: Array.from(d.querySelectorAll("button.copy")).map((b) => b.textContent),
      fix_text: (d.querySelector(".fix pre") || {}).textContent || "",
    }));
    const copy = await page.$("details.finding[open] button.copy");
    if (copy) {
      const before = await copy.textContent();
      await copy.click();
      await page.waitForFunction(([el, old]) => el.textContent !== old, [copy, before], { timeout: 5000 }).catch(() => {});
      facts.copy_button = { before, after: await copy.textContent() };
    }

    // A link to a finding in a group nobody opened reveals it.
    const lastId = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById("finding-details").textContent);
      return "f-" + data.s[data.b[data.b.length - 1][2]];
    });
    await page.evaluate((id) => { location.hash = id; }, lastId);
    await page.waitForFunction((id) => { const d = document.getElementById(id); return d && d.open; }, lastId);
    facts.revealed = await page.evaluate((id) => {
      const d = document.getElementById(id);
      return { open: d.open, visible: d.getClientRects().length > 0, body: !!d.querySelector(".finding-body") };
    }, lastId);

    // Printing shows every finding the filters show, with its details, and nothing else.
    await page.selectOption("#filter-namespace", "ns:team-3");
    facts.print = await page.evaluate(() => {
      window.dispatchEvent(new Event("beforeprint"));
      const shown = Array.from(document.querySelectorAll("details.finding")).filter((d) => d.getClientRects().length > 0);
      const result = {
        findings: shown.length,
        with_details: shown.filter((d) => d.open && d.querySelector(".finding-body")).length,
        other_namespaces: shown.filter((d) => d.dataset.ns !== "ns:team-3").length,
      };
      window.dispatchEvent(new Event("afterprint"));
      return result;
    });
    await page.selectOption("#filter-namespace", "");

    facts.injected_global = await page.evaluate(() => typeof window.__sgauditInjected !== "undefined");
    facts.executable_scripts = await page.evaluate(() =>
      Array.from(document.scripts).filter((s) => !s.type || /javascript/i.test(s.type)).length);
    await page.screenshot({ path: screenshotPath });
    facts.screenshot = screenshotPath;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(facts) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
