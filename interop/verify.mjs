#!/usr/bin/env node
// Verifies OB 3.0 / VC 2.0 credentials (DataIntegrityProof, eddsa-rdfc-2022)
// with Digital Bazaar's verifier, offline, against the official contexts of
// the npm context packages (see loader.mjs); --contexts adds more from a folder.
//
// Usage:
//   node verify.mjs [--contexts DIR [--provenance FILE]]
//                   [--did-document did.json ...] [--status-list FILE ...]
//                   [--now ISO] [--proof-only]
//                   CRED.json|DIR [...]
//
// --status-list serves a BitstringStatusListCredential (from a file) at its
// `id`; credentials with `credentialStatus` are checked with Digital Bazaar's
// @digitalbazaar/vc-bitstring-status-list `checkStatus` (which verifies the
// list credential's own proof and issuer). A set bit fails verification.
//
// Prints one JSON line per credential:
//   {"file": ..., "verified": true|false, "error": null|"...",
//    "status": null|{"revocation": bool, "suspension": bool}, "ms": ...}
// Exit status: 0 all verified, 1 some did not, 2 usage or setup error.
import {readdir, stat} from 'node:fs/promises';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import jsigs from 'jsonld-signatures';
import {
  indexControllerDocuments, makeDocumentLoader, readJson, resolveContexts
} from './loader.mjs';

const USAGE = 'usage: node verify.mjs [--contexts DIR [--provenance FILE]] ' +
  '[--did-document FILE ...] [--status-list FILE ...] [--now ISO] ' +
  '[--proof-only] CRED.json|DIR ...';

/** Expands directories into their *.json files (sorted, not recursive). */
async function credentialFiles(args) {
  const files = [];
  for(const arg of args) {
    if((await stat(arg)).isDirectory()) {
      const names = (await readdir(arg)).filter(n => n.endsWith('.json'));
      files.push(...names.sort().map(n => path.join(arg, n)));
    } else {
      files.push(arg);
    }
  }
  return files;
}

/** Flattens a vc/jsigs result into one readable error string. */
function describe(result) {
  const errors = [result.error, ...(result.results ?? []).map(r => r.error),
    result.statusResult?.error]
    .flatMap(e => e?.errors ?? [e])
    .filter(Boolean)
    .map(e => e.message ?? String(e));
  return [...new Set(errors)].join('; ') || 'not verified';
}

async function verifyOne(file, {documentLoader, now, proofOnly}) {
  const started = performance.now();
  let verified = false;
  let error = null;
  let status = null;
  try {
    const credential = await readJson(file);
    const suite = new DataIntegrityProof({
      cryptosuite: eddsaRdfc2022CryptoSuite
    });
    // --proof-only: check the signature and that the key's controller lists
    // it under assertionMethod, but not that the controller is the issuer.
    const purpose = proofOnly ?
      new jsigs.purposes.AssertionProofPurpose() : undefined;
    const result = await vc.verifyCredential(
      {credential, suite, documentLoader, now, purpose, checkStatus});
    verified = result.verified === true;
    error = verified ? null : describe(result);
    // checkStatus reports a set bit as `status: true` on a verified result;
    // the caller decides what it means. Here: revoked / suspended = invalid.
    const statuses = result.statusResult?.results ?? [];
    if(statuses.length > 0) {
      status = {};
      for(const {credentialStatus, status: bit} of statuses) {
        status[credentialStatus.statusPurpose] = bit === true;
      }
      const set = Object.keys(status).filter(purpose => status[purpose]);
      if(verified && set.length > 0) {
        verified = false;
        error = set.map(p => p === 'revocation' ? 'revoked' :
          p === 'suspension' ? 'suspended' : `status ${p} set`).join('; ');
      }
    }
  } catch(e) {
    error = e.message ?? String(e);
  }
  const ms = Math.round((performance.now() - started) * 10) / 10;
  return {file, verified, error, status, ms};
}

async function main() {
  let options;
  let setup;
  try {
    const {values, positionals} = parseArgs({
      allowPositionals: true,
      options: {
        contexts: {type: 'string'},
        provenance: {type: 'string'},
        'did-document': {type: 'string', multiple: true, default: []},
        'status-list': {type: 'string', multiple: true, default: []},
        now: {type: 'string'},
        'proof-only': {type: 'boolean', default: false}
      }
    });
    if(positionals.length === 0) {
      throw new Error('at least one credential is required');
    }
    const contexts = await resolveContexts({
      contextsDir: values.contexts,
      provenancePath: values.provenance,
      onConflict: url => console.error(
        `verify.mjs: ${url} in --contexts differs from npm's; using npm's`)
    });
    const controllerDocs = await Promise.all(
      values['did-document'].map(readJson));
    const documents = indexControllerDocuments(controllerDocs);
    for(const listing of await Promise.all(
      values['status-list'].map(readJson))) {
      if(typeof listing.id !== 'string') {
        throw new Error('status list credential has no string "id"');
      }
      documents.set(listing.id, listing);
    }
    options = {
      documentLoader: makeDocumentLoader({contexts, documents}),
      now: values.now,
      proofOnly: values['proof-only']
    };
    setup = {files: await credentialFiles(positionals)};
    if(setup.files.length === 0) {
      throw new Error('no credential files found');
    }
  } catch(e) {
    console.error(`verify.mjs: ${e.message}\n${USAGE}`);
    return 2;
  }
  let allVerified = true;
  for(const file of setup.files) {
    const outcome = await verifyOne(file, options);
    allVerified &&= outcome.verified;
    console.log(JSON.stringify(outcome));
  }
  return allVerified ? 0 : 1;
}

process.exitCode = await main();
