// W3C Bitstring Status List v1.0: read a credential's revocation / suspension bits.
//
// The list credential is fetched from this site: a statusListCredential URL under the site's
// public base URL is rewritten to the site root the page was loaded from, so the site works
// from any host. The list's own proof is verified, and it must come from the same issuer.

import {fetchJson} from './loader.js';
import {multibaseDecode} from './multibase.js';

const MIN_LIST_LENGTH = 131072;
const MAX_LIST_BYTES = 16 * 1024 * 1024;

/**
 * The site URL of a status list credential, or null when it is not under the site's base URL.
 *
 * @param {string} url - the statusListCredential URL.
 * @param {object} site - the site.
 * @returns {URL|null} where to fetch it.
 */
export function siteUrl(url, site) {
  if(typeof url !== 'string' || !url.startsWith(site.baseUrl)) {
    return null;
  }
  return new URL(url.slice(site.baseUrl.length), site.root);
}

/**
 * Decompress an encodedList ("u" + base64url of a GZIP stream) to the bitstring.
 *
 * @param {string} encoded - the encodedList.
 * @returns {Promise<Uint8Array>} the bits; bit 0 is the most significant bit of byte 0.
 */
export async function decodeList(encoded) {
  if(typeof encoded !== 'string' || encoded[0] !== 'u') {
    throw new Error('encodedList must be multibase base64url ("u")');
  }
  const stream = new Blob([multibaseDecode(encoded)]).stream()
    .pipeThrough(new DecompressionStream('gzip'));
  const chunks = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if(size > MAX_LIST_BYTES) {
      throw new Error('encodedList is too large');
    }
    chunks.push(chunk);
  }
  const bits = new Uint8Array(size);
  let offset = 0;
  for(const chunk of chunks) {
    bits.set(chunk, offset);
    offset += chunk.length;
  }
  return bits;
}

/**
 * Whether a bit is set (index 0 = most significant bit of the first byte).
 *
 * @param {Uint8Array} bits - the bitstring.
 * @param {number} index - the bit.
 * @returns {boolean} set or not.
 */
export function bitIsSet(bits, index) {
  return (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
}

function issuerId(document) {
  const issuer = document?.issuer;
  return issuer && typeof issuer === 'object' ? issuer.id : issuer;
}

/**
 * Check every BitstringStatusListEntry of a credential.
 *
 * @param {object} document - the credential.
 * @param {object} site - the site.
 * @param {Function} verifyList - async (listCredential) => error text or null.
 * @returns {Promise<{revoked: boolean, suspended: boolean, errors: string[], notes: string[]}>}
 *   what was found.
 */
export async function checkStatus(document, site, verifyList) {
  const value = document.credentialStatus;
  const entries = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const result = {revoked: false, suspended: false, errors: [], notes: []};
  // Read every entry's list at once (fetch and proof check), then report them in order.
  const bits = await Promise.all(entries.map(entry => entry?.type === 'BitstringStatusListEntry' ?
    readBit(document, entry, site, verifyList).catch(error => error) : null));
  entries.forEach((entry, i) => {
    const set = bits[i];
    if(set === null) {
      result.notes.push(`a status entry of type ${JSON.stringify(entry?.type)} was not checked`);
    } else if(set instanceof Error) {
      result.errors.push(set.message);
    } else if(set && entry.statusPurpose === 'revocation') {
      result.revoked = true;
    } else if(set && entry.statusPurpose === 'suspension') {
      result.suspended = true;
    } else if(set) {
      result.notes.push(`the ${entry.statusPurpose} bit is set`);
    } else {
      result.notes.push(`not in the ${entry.statusPurpose} list`);
    }
  });
  return result;
}

async function readBit(document, entry, site, verifyList) {
  const {statusPurpose: purpose, statusListCredential: url} = entry;
  const index = Number(entry.statusListIndex);
  if(typeof purpose !== 'string' || !Number.isSafeInteger(index) || index < 0 ||
    !/^\d+$/.test(String(entry.statusListIndex))) {
    throw new Error('a status entry lacks statusPurpose or a valid statusListIndex');
  }
  const location = siteUrl(url, site);
  if(!location) {
    throw new Error(`status list ${url} is not served by this site`);
  }
  if(!site.lists.has(url)) {
    site.lists.set(url, fetchJson(location));
  }
  const list = await site.lists.get(url);
  const problem = await verifyList(list);
  if(problem) {
    throw new Error(`status list ${url} does not verify: ${problem}`);
  }
  if(issuerId(list) !== issuerId(document)) {
    throw new Error(`status list ${url} is not issued by the credential's issuer`);
  }
  const subject = list.credentialSubject;
  if(!Array.isArray(list.type) || !list.type.includes('BitstringStatusListCredential') ||
    subject?.statusPurpose !== purpose) {
    throw new Error(`${url} is not a ${purpose} BitstringStatusListCredential`);
  }
  const bits = await decodeList(subject.encodedList);
  if(bits.length * 8 < MIN_LIST_LENGTH || index >= bits.length * 8) {
    throw new Error(`status list ${url} is too short for index ${index}`);
  }
  return bitIsSet(bits, index);
}
