// Find the public key of a proof's verification method without leaving this site.
//
// did:key names the key itself. did:web is resolved only when it is this site's own issuer,
// from the DID document the site publishes; any other DID is "not served by this site" (a
// browser page must not fetch third-party documents).

import {ed25519KeyFromMultikey} from './proof.js';
import {fetchJson} from './loader.js';

/** The verification method belongs to an issuer this site does not publish. */
export class IssuerNotServed extends Error {
  /** @param {string} did - the DID. */
  constructor(did) {
    super(`issuer not served by this site: ${did} (verify it with badgeflow verify --online ` +
      'or another Open Badges 3.0 verifier)');
    this.name = 'IssuerNotServed';
  }
}

/**
 * Resolve a verification method to its Ed25519 key and controller.
 *
 * @param {string} methodId - the proof's verificationMethod.
 * @param {object} site - the site (see verify.js `siteFromConfig`).
 * @returns {Promise<{publicKey: Uint8Array, controller: string}>} the key and its controller.
 */
export async function resolveKey(methodId, site) {
  const hash = methodId.indexOf('#');
  const base = hash < 0 ? methodId : methodId.slice(0, hash);
  const fragment = hash < 0 ? '' : methodId.slice(hash + 1);
  if(base.startsWith('did:key:')) {
    const multikey = base.slice('did:key:'.length);
    if(fragment && fragment !== multikey) {
      throw new Error(`did:key fragment does not match its key: ${methodId}`);
    }
    return {publicKey: ed25519KeyFromMultikey(multikey), controller: base};
  }
  if(base.startsWith('did:web:') && base === site.issuer) {
    return methodFromDocument(methodId, base, await siteDidDocument(site));
  }
  throw new IssuerNotServed(base);
}

function siteDidDocument(site) {
  if(!site.didDocumentPromise) {
    site.didDocumentPromise = fetchJson(new URL(site.didDocument, site.root));
  }
  return site.didDocumentPromise;
}

function absolute(reference, did) {
  return typeof reference === 'string' && reference.startsWith('#') ? did + reference : reference;
}

function methodFromDocument(methodId, did, document) {
  if(document?.id !== did) {
    throw new Error(`the site's DID document describes ${document?.id}, not ${did}`);
  }
  const methods = Array.isArray(document.verificationMethod) ? document.verificationMethod : [];
  const method = methods.find(item => absolute(item?.id, did) === methodId);
  if(!method) {
    throw new Error(`verification method ${methodId} is not in ${did}'s DID document`);
  }
  if(method.type !== 'Multikey') {
    throw new Error(`verification method ${methodId} is not a Multikey`);
  }
  const assertion = (Array.isArray(document.assertionMethod) ? document.assertionMethod : [])
    .map(reference => absolute(reference, did));
  if(!assertion.includes(methodId)) {
    throw new Error(`${methodId} is not listed under assertionMethod in ${did}'s DID document`);
  }
  return {
    publicKey: ed25519KeyFromMultikey(method.publicKeyMultibase),
    controller: method.controller ?? did
  };
}
