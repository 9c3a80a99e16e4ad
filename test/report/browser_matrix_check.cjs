// Opens HTML reports in headless Chromium through playwright-core and prints, per report, its node-by-port
// matrix as a person who opens every group sees it: how many tables were there before any group was opened,
// and each group's table afterwards (markup with the whitespace between tags dropped). A large report's
// groups are built by its script from a data island; test/report/browser_test.cpp checks that they read the
// same as the tables a small report writes.
//   node browser_matrix_check.cjs NPM_DIR REPORT.html SCREENSHOT.png [REPORT.html SCREENSHOT.png ...]
"use strict";
const path = require("path");
const { checkEach, guardedPage } = require("./browser_page.cjs");

const [npmDir, ...pages] = process.argv.slice(2);
const { chromium } = require(path.join(npmDir, "node_modules", "playwright-core"));

async function check(browser, reportPath, screenshotPath) {
  const facts = { dialogs: [], external_requests: [], csp_violations: [], page_errors: [] };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await guardedPage(context, facts);
  await page.goto("file://" + path.resolve(reportPath), { waitUntil: "load" });
  facts.script_ran = (await page.getAttribute("body", "data-ready")) === "true";
  facts.groups = await page.$$eval("details.matrix-group", (all) => all.length);
  facts.groups_open = await page.$$eval("details.matrix-group[open]", (all) => all.length);
  facts.tables_before = await page.$$eval("details.matrix-group:not([open]) table.matrix", (all) => all.length);
  facts.data_island = (await page.$("script#matrix-data")) !== null;
  await page.$$eval("details.matrix-group", (all) => all.forEach((group) => { group.open = true; }));
  // 'toggle' fires after the attribute changes, in a task of its own.
  await page.waitForTimeout(100);
  facts.tables = await page.$$eval("details.matrix-group", (all) =>
    all.map((group) => {
      const table = group.querySelector("table.matrix");
      return table ? table.outerHTML.replace(/>\s+</g, "><") : null;
    }));
  await page.screenshot({ path: screenshotPath, fullPage: false });
  await context.close();
  return facts;
}

checkEach(chromium, pages, check);
