// Signs requests with Huawei Cloud's own Node.js SDK (@huaweicloud/huaweicloud-sdk-core, pinned in
// tools/npm) so that signers_test.cpp can compare the C++ signer with an independent implementation.
//
// Usage: node huawei_sign_check.cjs CASES.json
// CASES.json: [{"method", "endpoint" (https://host), "path", "query": {name: value or [values]},
//               "headers": {name: value}, "body": JSON text or "", "ak", "sk", "security_token"}]
// Prints a JSON array with, for each case, the headers the SDK signed the request with (Authorization,
// X-Sdk-Date, host, and any it added, such as X-Security-Token).
//
// Each request goes through BasicCredentials.processAuthRequest, the SDK's own path from a built request
// to its signed headers, so the SDK decides which headers it adds and signs.
'use strict';

const fs = require('fs');
const path = require('path');

const npm = process.env.SGAUDIT_NPM_DIR || path.join(__dirname, '../../tools/npm');
const core = require(path.join(npm, 'node_modules/@huaweicloud/huaweicloud-sdk-core'));

async function sign(c) {
  const credentials = new core.BasicCredentials().withAk(c.ak).withSk(c.sk);
  if (c.security_token) credentials.withSecurityToken(c.security_token);
  const request = {
    method: c.method,
    endpoint: c.endpoint,
    url: c.path,
    queryParams: c.query,
    headers: { ...c.headers },
  };
  if (c.body) {
    // The SDK hashes JSON.stringify(data): the C++ side signs the same text, so it must round-trip.
    request.data = JSON.parse(c.body);
    if (JSON.stringify(request.data) !== c.body) throw new Error(`body does not round-trip: ${c.body}`);
  }
  const signed = await credentials.processAuthRequest(undefined, request);
  return signed.headers;
}

async function main() {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const results = [];
  for (const c of cases) results.push(await sign(c));
  process.stdout.write(JSON.stringify(results, null, 1) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
