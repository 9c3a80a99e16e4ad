// Opens an HTML report in headless Chromium (playwright-core from tools/npm) and prints what it costs to
// use it, as one JSON object: load times, JS heap and DOM size, how long a filter change and opening a group
// and a finding take until the next frame is painted. A benchmark, not a test: it asserts nothing.
//   node bench/report_browser/measure.cjs tools/npm REPORT.html [RUNS]
// Environment: SGAUDIT_CHROMIUM (default /usr/bin/chromium).
"use strict";
const fs = require("fs");
const path = require("path");

const [npmDir, reportPath, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const { chromium } = require(path.join(path.resolve(npmDir), "node_modules", "playwright-core"));

// Runs in the page: applies a change, then waits for two animation frames, so that style, layout and paint
// of the change are included.
async function timed(page, fn, arg) {
  return page.evaluate(
    async ([source, value]) => {
      const act = new Function("value", source);
      const start = performance.now();
      act(value);
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return performance.now() - start;
    },
    [fn, arg]);
}

async function once(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(120000);
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const wallStart = Date.now();
  await page.goto("file://" + path.resolve(reportPath), { waitUntil: "load", timeout: 120000 });
  await page.waitForSelector("body[data-ready=true]", { state: "attached" });
  // The first frame after load: the page as a person first sees it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const wallToReady = Date.now() - wallStart;
  const nav = await page.evaluate(() => {
    const e = performance.getEntriesByType("navigation")[0];
    return { domContentLoaded: e.domContentLoadedEventEnd, load: e.loadEventEnd };
  });
  const paint = await page.evaluate(() =>
    Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime])));
  await cdp.send("HeapProfiler.collectGarbage");
  const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));

  const severity = await page.$$eval("#filter-severity option", (o) => o.map((x) => x.value).filter(Boolean)[1] || "");
  const select = `const s = document.getElementById(value[0]); s.value = value[1]; s.dispatchEvent(new Event("change"));`;
  const filterSeverity = await timed(page, select, ["filter-severity", severity]);
  const shownAfterFilter = await page.textContent("#shown-count");
  const filterClear = await timed(page, select, ["filter-severity", ""]);
  const namespace = await page.$$eval("#filter-namespace option", (o) => o.map((x) => x.value).filter(Boolean)[0] || "");
  const filterNamespace = await timed(page, select, ["filter-namespace", namespace]);
  await timed(page, select, ["filter-namespace", ""]);
  const openGroup = await timed(page, `const g = document.querySelector("details.check-group:not([open])") ||
      document.querySelector("details.chunk:not([open])"); if (g) g.open = true;`);
  const openChunk = await timed(page, `const g = document.querySelector("details.chunk:not([open])"); if (g) g.open = true;`);
  const openFinding = await timed(page, `const f = Array.prototype.find.call(document.querySelectorAll("details.finding"),
      (d) => !d.open && d.getClientRects().length > 0); if (f) f.open = true;`);
  const openMatrix = await timed(page, `const g = document.querySelector("details.matrix-group:not([open])"); if (g) g.open = true;`);
  const metricsAfter = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  await context.close();
  return {
    wall_to_first_frame_ms: wallToReady,
    dom_content_loaded_ms: Math.round(nav.domContentLoaded),
    load_ms: Math.round(nav.load),
    first_contentful_paint_ms: Math.round(paint["first-contentful-paint"] || -1),
    js_heap_used_mib: +(metrics.JSHeapUsedSize / 1048576).toFixed(1),
    js_heap_total_mib: +(metrics.JSHeapTotalSize / 1048576).toFixed(1),
    dom_nodes: metrics.Nodes,
    filter_severity_ms: Math.round(filterSeverity), filter_severity_value: severity, shown_after_filter: shownAfterFilter,
    filter_clear_ms: Math.round(filterClear),
    filter_namespace_ms: Math.round(filterNamespace),
    open_check_group_ms: Math.round(openGroup),
    open_chunk_ms: Math.round(openChunk),
    open_finding_ms: Math.round(openFinding),
    open_matrix_group_ms: Math.round(openMatrix),
    js_heap_used_after_mib: +(metricsAfter.JSHeapUsedSize / 1048576).toFixed(1),
    page_errors: errors,
  };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.SGAUDIT_CHROMIUM || "/usr/bin/chromium",
    args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
    timeout: 60000,
  });
  const results = [];
  try {
    for (let i = 0; i < runs; i++) results.push(await once(browser));
  } finally {
    await browser.close();
  }
  // The median of each figure over the runs.
  const median = {};
  for (const key of Object.keys(results[0])) {
    const values = results.map((r) => r[key]);
    if (typeof values[0] === "number") {
      values.sort((a, b) => a - b);
      median[key] = values[Math.floor(values.length / 2)];
    } else {
      median[key] = values[0];
    }
  }
  const bytes = fs.statSync(reportPath).size;
  process.stdout.write(JSON.stringify({ report: reportPath, mib: +(bytes / 1048576).toFixed(1), runs, median, results }, null, 1) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
