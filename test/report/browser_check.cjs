// Opens an HTML report in headless Chromium (through playwright-core) and prints what a person would see as
// one JSON object on stdout; test/report/browser_test.cpp asserts on it. Given several reports, it opens each
// in a fresh context of one browser and prints an array of such objects.
//   node browser_check.cjs NPM_DIR REPORT.html SCREENSHOT.png [REPORT.html SCREENSHOT.png ...]
// Environment: SGAUDIT_CHROMIUM (default /usr/bin/chromium).
"use strict";
const path = require("path");
const { checkEach, guardedPage } = require("./browser_page.cjs");

const [npmDir, ...pages] = process.argv.slice(2);
const { chromium } = require(path.join(npmDir, "node_modules", "playwright-core"));

async function visibleFindings(page) {
  return page.$$eval("details.finding", (all) => all.filter((d) => d.getClientRects().length > 0).length);
}

async function check(browser, reportPath, screenshotPath) {
  const facts = { dialogs: [], external_requests: [], csp_violations: [], page_errors: [] };
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page = await guardedPage(context, facts);

    await page.goto("file://" + path.resolve(reportPath), { waitUntil: "load" });
    // The report's own script marks the body once it has run: proof that the CSP hash admits it.
    facts.script_ran = (await page.getAttribute("body", "data-ready")) === "true";
    facts.title = await page.title();
    facts.scope = await page.textContent("#scope");
    facts.audited_at = await page.textContent("#audited-at");
    facts.total = await page.textContent("#total-findings");
    // What a person sees before scrolling, at 1400x900: the critical and high findings, each with its fix.
    facts.above_the_fold = await page.$$eval("#worst > li", (items) => items.map((li) => {
      const box = li.getBoundingClientRect();
      return {
        severity: li.dataset.severity, title: li.querySelector(".title").textContent,
        fix: (li.querySelector(".first-fix") || { textContent: "" }).textContent,
        visible: box.height > 0 && box.bottom <= window.innerHeight,
      };
    }));
    facts.by_severity = await page.$$eval("#by-severity tbody tr", (rows) =>
      Object.fromEntries(rows.map((r) => [r.dataset.severity, r.querySelector(".count").textContent])));
    facts.by_check = await page.$$eval("#by-check tbody tr", (rows) =>
      Object.fromEntries(rows.map((r) => [r.dataset.check, r.querySelector(".count").textContent])));
    facts.matrix = await page.$$eval("table.matrix", (tables) => {
      const cells = [];
      for (const table of tables) {
        const headers = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent);
        for (const row of table.querySelectorAll("tbody tr")) {
          const node = row.querySelector("th").textContent;
          row.querySelectorAll("td").forEach((td, i) => {
            if (!td.dataset.port) return;
            cells.push({
              node, column: headers[i + 1], text: td.innerText.replace(/\s+/g, " ").trim(),
              internet: td.dataset.internet, background: getComputedStyle(td).backgroundColor,
              visible: td.getClientRects().length > 0,
            });
          });
        }
      }
      return cells;
    });

    facts.findings_visible = await visibleFindings(page);
    const filters = [];
    const severities = await page.$$eval("#filter-severity option", (o) => o.map((x) => x.value).filter(Boolean));
    for (const severity of severities) {
      await page.selectOption("#filter-severity", severity);
      filters.push({ severity, visible: await visibleFindings(page), shown: await page.textContent("#shown-count") });
    }
    await page.selectOption("#filter-severity", "");
    const checks = await page.$$eval("#filter-check option", (o) => o.map((x) => x.value).filter(Boolean));
    for (const check of checks) {
      await page.selectOption("#filter-check", check);
      filters.push({ check, visible: await visibleFindings(page), shown: await page.textContent("#shown-count") });
    }
    await page.selectOption("#filter-check", "");
    const namespaces = await page.$$eval("#filter-namespace option", (o) => o.map((x) => x.value).filter(Boolean));
    for (const namespace of namespaces) {
      await page.selectOption("#filter-namespace", namespace);
      filters.push({ namespace, visible: await visibleFindings(page), shown: await page.textContent("#shown-count") });
    }
    await page.selectOption("#filter-namespace", "");
    facts.filters = filters;
    facts.findings_visible_after_reset = await visibleFindings(page);

    // Open every section, then move the mouse over every element a value went into: an injected
    // onmouseover would fire now. In a large report, opening a group builds its findings and opening a
    // finding its details (on the toggle event, after a task), so this goes round until nothing is closed.
    for (let pass = 0; pass < 4; pass++) {
      const opened = await page.$$eval("details:not([open])", (all) => all.map((d) => { d.open = true; }).length);
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
      if (opened === 0) break;
    }
    const targets = await page.$$("td.cell, summary, dd, li, pre, option, code, .title, #scope, #audited-at");
    for (const target of targets.slice(0, 400)) {
      const box = await target.boundingBox();
      if (box && box.width > 0 && box.height > 0) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    }
    const copy = await page.$("button.copy");
    if (copy) {
      const before = await copy.textContent();
      await copy.click();
      // The label changes when the clipboard promise settles, which may be after click() returns.
      await page.waitForFunction(([el, old]) => el.textContent !== old, [copy, before], { timeout: 5000 }).catch(() => {});
      facts.copy_button = { before, after: await copy.textContent() };
    }
    facts.body_text = await page.evaluate(() => document.body.innerText);
    facts.injected_global = await page.evaluate(() => typeof window.__sgauditInjected !== "undefined");
    facts.script_elements = await page.evaluate(() => document.scripts.length);
    facts.handler_attributes = await page.evaluate(() =>
      Array.from(document.querySelectorAll("*")).filter((el) =>
        Array.from(el.attributes).some((a) => /^on/i.test(a.name))).length);
    facts.javascript_links = await page.evaluate(() =>
      Array.from(document.querySelectorAll("[href],[src],[action]")).filter((el) =>
        /^\s*javascript:/i.test(el.getAttribute("href") || el.getAttribute("src") || el.getAttribute("action"))).length);
    await page.$$eval("details", (all) => all.forEach((d) => { d.open = false; }));
    await page.$$eval("details.check-group, details.matrix-group", (all) => all.forEach((d) => { d.open = true; }));
    await page.screenshot({ path: screenshotPath, fullPage: true });
    facts.screenshot = screenshotPath;
  } finally {
    await context.close();
  }
  return facts;
}

checkEach(chromium, pages, check);
