#!/usr/bin/env node
// Prints the JSON-LD contexts the harness serves by default (from npm), as one
// JSON object {url: context document}, or only the given URLs' documents.
//
// Usage: node contexts.mjs [URL ...]
// Exit status: 0, or 2 when a URL is not served.
import {npmContexts} from './loader.mjs';

const contexts = npmContexts();
const wanted = process.argv.slice(2);
const missing = wanted.filter(url => !contexts.has(url));
if(missing.length > 0) {
  console.error(`contexts.mjs: not served: ${missing.join(', ')}`);
  process.exitCode = 2;
} else {
  const urls = wanted.length > 0 ? wanted : [...contexts.keys()];
  console.log(JSON.stringify(Object.fromEntries(
    urls.map(url => [url, contexts.get(url)]))));
}
