// What every browser check of a report does with its page: records dialogs (a script that ran, say
// alert(1)), Content-Security-Policy violations, page errors and any request that leaves the file (or, given
// `allowedOrigin`, that server), which is aborted. The checks then assert these stay empty.
"use strict";

async function guardedPage(context, facts, allowedOrigin) {
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("dialog", async (dialog) => {
    facts.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) facts.csp_violations.push(message.text());
  });
  page.on("pageerror", (error) => facts.page_errors.push(String(error)));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    if (allowedOrigin && (url === allowedOrigin || url.startsWith(allowedOrigin + "/"))) return route.continue();
    facts.external_requests.push(url);
    return route.abort();
  });
  return page;
}

// Headless Chromium from apt (SGAUDIT_CHROMIUM to use another).
function launchChromium(chromium) {
  return chromium.launch({
    executablePath: process.env.SGAUDIT_CHROMIUM || "/usr/bin/chromium",
    // Chromium's sandbox refuses to run as root; a report test has nothing else to protect here.
    args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
    timeout: 30000,
  });
}

// Runs check(browser, report, screenshot) on each (report, screenshot) pair of `pages` in one browser, and
// prints their facts as JSON: the one object for one pair, else an array. Exits 1 on an error.
function checkEach(chromium, pages, check) {
  const run = async () => {
    // launch() gives the browser a fresh temporary profile (--user-data-dir) and removes it on close.
    const browser = await launchChromium(chromium);
    const all = [];
    try {
      for (let i = 0; i + 1 < pages.length; i += 2) all.push(await check(browser, pages[i], pages[i + 1]));
    } finally {
      await browser.close();
    }
    process.stdout.write(JSON.stringify(all.length === 1 ? all[0] : all) + "\n");
  };
  run().catch((error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
    process.exit(1);
  });
}

module.exports = { checkEach, guardedPage, launchChromium };
