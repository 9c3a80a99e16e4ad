// ajv-cli options module for the SARIF 2.1.0 schema (see test/data/schemas/README.md): the formats of
// ajv-formats, and non-Unicode regular expressions for the schema's one pattern with a stray "]".
"use strict";
module.exports = function (ajv) {
  ajv.opts.unicodeRegExp = false;
  // Resolved from ajv-cli's own folder (tools/npm/node_modules), not from this file's.
  require.main.require("ajv-formats")(ajv);
};
