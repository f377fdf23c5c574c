// Verify an Open Badges 3.0 credential in the browser: proof, issuer, dates, status.
//
// The outcome is a value, never an exception: a state (verified, tampered, revoked, suspended,
// expired, not-yet-valid, error) with a title, a reason and one line per check.

import {CanonicalisationError, CRYPTOSUITE, hashData, PROOF_TYPE, verifyEd25519} from './proof.js';
import {ContextNotServed, fetchJson, makeDocumentLoader} from './loader.js';
import {IssuerNotServed, resolveKey} from './keys.js';
import {checkStatus} from './status.js';
import {multibaseDecode} from './multibase.js';

export const TITLES = {
  pending: 'Checking…',
  verified: 'Verified',
  tampered: 'Tampered / signature invalid',
  revoked: 'Revoked',
  suspended: 'Suspended',
  expired: 'Expired',
  'not-yet-valid': 'Not yet valid',
  error: 'Could not verify'
};

export const CHECK_LABELS = {
  signature: 'Signature',
  issuer: 'Issuer',
  dates: 'Validity dates',
  status: 'Status'
};

/**
 * Load the site's verifier configuration and build the site object the checks use.
 *
 * @param {URL|string} root - the site root URL.
 * @returns {Promise<object>} {root, baseUrl, issuer, didDocument, loader, lists}.
 */
export async function loadSite(root) {
  const rootUrl = new URL(root, location.href);
  const config = await fetchJson(new URL('static/verifier-config.json', rootUrl));
  const index = await fetchJson(new URL(config.contextIndex, rootUrl));
  return {
    root: rootUrl,
    baseUrl: config.baseUrl.endsWith('/') ? config.baseUrl : config.baseUrl + '/',
    issuer: config.issuer,
    didDocument: config.didDocument,
    loader: makeDocumentLoader({index, root: rootUrl}),
    lists: new Map()
  };
}

class Checks {
  constructor() {
    this.items = {};
    for(const name of Object.keys(CHECK_LABELS)) {
      this.items[name] = {name, label: CHECK_LABELS[name], passed: null, detail: 'not checked'};
    }
  }

  set(name, passed, detail) {
    Object.assign(this.items[name], {passed, detail});
  }

  list() {
    return Object.values(this.items);
  }
}

function issuerId(document) {
  const issuer = document?.issuer;
  return issuer && typeof issuer === 'object' ? issuer.id : issuer;
}

function proofsOf(document) {
  const value = document.proof;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Check the eddsa-rdfc-2022 proof and that the signing key belongs to the issuer.
 *
 * @param {object} document - the secured document.
 * @param {object} site - the site.
 * @returns {Promise<object>} {signature: [state, detail], issuer: [passed, detail], hashes}.
 */
export async function checkProof(document, site) {
  const proofs = proofsOf(document).filter(
    proof => proof?.type === PROOF_TYPE && proof?.cryptosuite === CRYPTOSUITE);
  if(proofs.length === 0) {
    return {state: 'error', reason: `no ${PROOF_TYPE} ${CRYPTOSUITE} proof to check`};
  }
  const issuer = issuerId(document);
  let verifiedHashes = null;
  for(const proof of proofs) {
    if(proof.proofPurpose !== 'assertionMethod' || typeof proof.proofValue !== 'string' ||
      typeof proof.verificationMethod !== 'string') {
      return {state: 'error', reason: 'the proof is not an assertionMethod proof with a value'};
    }
    let key;
    try {
      key = await resolveKey(proof.verificationMethod, site);
    } catch(error) {
      return {state: 'error', issuerFailed: true, reason: error.message};
    }
    let hashes;
    try {
      hashes = await hashData(document, proof, site.loader);
    } catch(error) {
      if(error instanceof CanonicalisationError) {
        return {state: 'tampered', reason: `the credential holds data its signature cannot ` +
          `cover: ${error.message}`};
      }
      const reason = error instanceof ContextNotServed ? error.message :
        `canonicalisation failed: ${error.message}`;
      return {state: 'error', reason};
    }
    const signature = multibaseDecode(proof.proofValue);
    if(signature.length !== 64 || !await verifyEd25519(key.publicKey, signature, hashes.data)) {
      return {state: 'tampered', hashes,
        reason: 'the signature does not match the content: the credential was altered'};
    }
    if(key.controller !== issuer) {
      return {state: 'tampered', signatureValid: true, issuerFailed: true, hashes,
        reason: `signed with a key of ${key.controller}, not of the issuer ${issuer}`};
    }
    verifiedHashes = verifiedHashes ?? hashes;
  }
  return {state: 'verified', method: proofs.map(p => p.verificationMethod).join(', '),
    issuer, hashes: verifiedHashes};
}

function checkDates(document, now, checks) {
  const from = document.validFrom ?? document.issuanceDate;
  const until = document.validUntil ?? document.expirationDate;
  const parse = value => {
    const time = Date.parse(value);
    if(typeof value !== 'string' || Number.isNaN(time)) {
      throw new Error(`${JSON.stringify(value)} is not a date`);
    }
    return time;
  };
  try {
    if(from !== undefined && parse(from) > now.getTime()) {
      checks.set('dates', false, `not valid before ${from}`);
      return 'not-yet-valid';
    }
    if(until !== undefined && parse(until) <= now.getTime()) {
      checks.set('dates', false, `expired: valid until ${until}`);
      return 'expired';
    }
  } catch(error) {
    checks.set('dates', false, error.message);
    return 'error';
  }
  const range = until === undefined ? `from ${from}, no expiry` : `from ${from} until ${until}`;
  checks.set('dates', true, `valid ${range} (checked against this device's clock)`);
  return null;
}

async function verifyList(list, site, now) {
  const outcome = await checkProof(list, site);
  if(outcome.state !== 'verified') {
    return outcome.reason;
  }
  if(list.validUntil !== undefined && !(Date.parse(list.validUntil) > now.getTime())) {
    return `the list expired at ${list.validUntil}`;
  }
  return null;
}

/**
 * Verify one credential.
 *
 * @param {object} document - the parsed credential JSON.
 * @param {object} options - options.
 * @param {object} options.site - from `loadSite`.
 * @param {Date} [options.now] - the clock (this device's by default).
 * @returns {Promise<object>} {state, title, reason, checks, hashes}.
 */
export async function verifyCredential(document, {site, now = new Date()}) {
  const checks = new Checks();
  const finish = (state, reason, hashes) =>
    ({state, title: TITLES[state], reason, checks: checks.list(), hashes});
  if(!document || typeof document !== 'object' || Array.isArray(document) ||
    !Array.isArray(document.type) || !document.type.includes('VerifiableCredential')) {
    return finish('error', 'this is not a verifiable credential (JSON with a proof)');
  }
  if(typeof issuerId(document) !== 'string') {
    return finish('error', 'the credential names no issuer');
  }
  const proof = await checkProof(document, site);
  if(proof.state !== 'verified') {
    checks.set('signature', proof.signatureValid ? true : proof.state === 'tampered' ? false : null,
      proof.signatureValid ? 'the signature is valid' : proof.reason);
    if(proof.issuerFailed) {
      checks.set('issuer', proof.state === 'error' ? null : false, proof.reason);
    }
    return finish(proof.state, proof.reason, proof.hashes);
  }
  checks.set('signature', true, `${CRYPTOSUITE} signature by ${proof.method} is valid`);
  checks.set('issuer', true, `the signing key belongs to the issuer ${proof.issuer}`);
  const dateState = checkDates(document, now, checks);
  const status = await checkStatus(document, site, list => verifyList(list, site, now));
  let statusState = null;
  if(status.revoked) {
    checks.set('status', false, 'revoked by the issuer');
    statusState = 'revoked';
  } else if(status.suspended) {
    checks.set('status', false, 'suspended by the issuer');
    statusState = 'suspended';
  } else if(status.errors.length) {
    checks.set('status', null, `could not be checked: ${status.errors.join('; ')}`);
    statusState = 'error';
  } else if(status.notes.length) {
    checks.set('status', true, status.notes.join('; '));
  } else {
    checks.set('status', true, 'the credential has no status entry (it cannot be revoked)');
  }
  const state = (statusState !== 'error' && statusState) || dateState || statusState ||
    'verified';
  const reasons = {
    verified: `issued by ${proof.issuer}, unaltered, in date and not revoked`,
    revoked: `the issuer has revoked this credential`,
    suspended: `the issuer has suspended this credential`,
    expired: checks.items.dates.detail,
    'not-yet-valid': checks.items.dates.detail,
    error: state === 'error' && dateState === 'error' ? checks.items.dates.detail :
      `status ${checks.items.status.detail}`
  };
  return finish(state, reasons[state], proof.hashes);
}
