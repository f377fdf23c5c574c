// eddsa-rdfc-2022 (W3C VC Data Integrity EdDSA Cryptosuites v1.0, section 3.3) with WebCrypto.
//
//   proofConfig = proof without proofValue, with the document's @context
//   hashData    = SHA-256(RDFC-1.0(proofConfig)) || SHA-256(RDFC-1.0(document without proof))
//   valid       = Ed25519.verify(publicKey, multibase-z-decode(proofValue), hashData)

import jsonld from 'jsonld';
import {multibaseDecode, toHex} from './multibase.js';

export const PROOF_TYPE = 'DataIntegrityProof';
export const CRYPTOSUITE = 'eddsa-rdfc-2022';
const ED25519_PUB_HEADER = [0xed, 0x01];

/** The document cannot be canonicalised as signed (undefined term, bad JSON-LD). */
export class CanonicalisationError extends Error {
  /**
   * @param {string} message - why.
   * @param {Error} cause - the jsonld.js error.
   */
  constructor(message, cause) {
    super(message);
    this.name = 'CanonicalisationError';
    this.cause = cause;
  }
}

/**
 * RDFC-1.0 canonical N-Quads of a JSON-LD document.
 *
 * Safe mode (the jsonld.js default for canonize) refuses documents that would lose data on the
 * way to RDF, such as a property no context defines: such data would not be signed.
 *
 * @param {object} document - the JSON-LD document.
 * @param {Function} documentLoader - the strict loader.
 * @returns {Promise<string>} the canonical N-Quads.
 */
export async function canonize(document, documentLoader) {
  try {
    return await jsonld.canonize(document, {
      algorithm: 'RDFC-1.0',
      format: 'application/n-quads',
      documentLoader,
      safe: true
    });
  } catch(error) {
    const notServed = findCause(error, 'ContextNotServed');
    if(notServed) {
      throw notServed;
    }
    const event = error?.details?.event;
    const what = event?.details?.property ?? event?.details?.type ?? event?.code;
    const reason = what ? `${event.message || event.code} (${JSON.stringify(what)})` : error.message;
    throw new CanonicalisationError(`not signable JSON-LD: ${reason}`, error);
  }
}

function findCause(error, name) {
  for(let current = error, depth = 0; current && depth < 10; depth++) {
    if(current.name === name) {
      return current;
    }
    current = current.cause ?? current.details?.cause;
  }
  return null;
}

/**
 * SHA-256 of UTF-8 text.
 *
 * @param {string} text - the text.
 * @returns {Promise<Uint8Array>} the digest.
 */
export async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * Split a secured document into the two documents eddsa-rdfc-2022 hashes.
 *
 * @param {object} document - the credential with its proof.
 * @param {object} proof - one of its proofs.
 * @returns {{unsecured: object, proofConfig: object}} the documents.
 */
export function proofInputs(document, proof) {
  const {proof: _ignored, ...unsecured} = document;
  const {proofValue: _value, ...options} = proof;
  return {unsecured, proofConfig: {...options, '@context': document['@context']}};
}

/**
 * Canonicalise and hash both halves of the signed data.
 *
 * @param {object} document - the credential with its proof.
 * @param {object} proof - the proof to check.
 * @param {Function} documentLoader - the strict loader.
 * @returns {Promise<object>} canonical texts, hashes (hex) and the bytes to verify.
 */
export async function hashData(document, proof, documentLoader) {
  const {unsecured, proofConfig} = proofInputs(document, proof);
  const canonicalDocument = await canonize(unsecured, documentLoader);
  const canonicalProof = await canonize(proofConfig, documentLoader);
  const documentHash = await sha256(canonicalDocument);
  const proofHash = await sha256(canonicalProof);
  const data = new Uint8Array(64);
  data.set(proofHash, 0);
  data.set(documentHash, 32);
  return {
    canonicalDocument,
    canonicalProof,
    documentHash: toHex(documentHash),
    proofHash: toHex(proofHash),
    data
  };
}

/**
 * The raw Ed25519 key of a Multikey ``publicKeyMultibase`` (z + base58btc of 0xed01 + key).
 *
 * @param {string} multibase - the Multikey value.
 * @returns {Uint8Array} the 32 key bytes.
 */
export function ed25519KeyFromMultikey(multibase) {
  const bytes = multibaseDecode(multibase);
  if(bytes.length !== 34 || bytes[0] !== ED25519_PUB_HEADER[0] ||
    bytes[1] !== ED25519_PUB_HEADER[1]) {
    throw new Error(`${multibase} is not an Ed25519 Multikey (0xed01 + 32 bytes)`);
  }
  return bytes.slice(2);
}

/**
 * Verify an Ed25519 signature through WebCrypto.
 *
 * @param {Uint8Array} publicKey - the 32 raw key bytes.
 * @param {Uint8Array} signature - the 64-byte signature.
 * @param {Uint8Array} data - what was signed.
 * @returns {Promise<boolean>} whether the signature is valid.
 */
export async function verifyEd25519(publicKey, signature, data) {
  if(!globalThis.crypto?.subtle) {
    throw new Error('this browser has no WebCrypto here (it needs an https page)');
  }
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, {name: 'Ed25519'}, false, ['verify']);
  } catch(error) {
    throw new Error(`this browser cannot verify Ed25519 signatures (${error.name})`);
  }
  return crypto.subtle.verify({name: 'Ed25519'}, key, signature, data);
}
