// Read a credential out of what a visitor gives the verify page: JSON text, a baked PNG (iTXt
// keyword "openbadgecredential") or a baked SVG (<openbadges:credential>), as badgeflow bakes
// them (badgeflow/credentials/bake.py, bake_svg.py; Open Badges 3.0 section "Baking").

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const OB3_KEYWORD = 'openbadgecredential';
const OB3_SVG_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** What was given holds no credential this page can check. */
export class NoCredential extends Error {
  /** @param {string} message - why. */
  constructor(message) {
    super(message);
    this.name = 'NoCredential';
  }
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The text of the first "openbadgecredential" iTXt chunk of a PNG.
 *
 * @param {Uint8Array} png - the image bytes.
 * @returns {Promise<string>} the baked credential (JSON or compact JWS).
 */
export async function credentialFromPng(png) {
  if(png.length < 8 || PNG_SIGNATURE.some((byte, i) => png[i] !== byte)) {
    throw new NoCredential('this file is not a PNG image');
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let sawOb2 = false;
  while(offset + 12 <= png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if(type === 'IEND') {
      break;
    }
    if(type !== 'iTXt') {
      continue;
    }
    const end = data.indexOf(0);
    const keyword = new TextDecoder('latin1').decode(data.subarray(0, end));
    sawOb2 = sawOb2 || keyword === 'openbadges';
    if(keyword !== OB3_KEYWORD) {
      continue;
    }
    const compressed = data[end + 1];
    const language = data.indexOf(0, end + 3);
    const translated = data.indexOf(0, language + 1);
    let text = data.subarray(translated + 1);
    if(compressed) {
      text = await inflate(text);
    }
    return new TextDecoder('utf-8', {fatal: true}).decode(text);
  }
  throw new NoCredential(sawOb2 ?
    'this PNG holds an Open Badges 2.0 assertion; use badgeflow verify for those' :
    'this PNG has no baked Open Badges 3.0 credential (no openbadgecredential iTXt chunk)');
}

/**
 * The content of the <openbadges:credential> element of an SVG.
 *
 * @param {string} svg - the SVG text.
 * @returns {string} the baked credential (JSON, or a compact JWS from its verify attribute).
 */
export function credentialFromSvg(svg) {
  const xml = new DOMParser().parseFromString(svg, 'image/svg+xml');
  if(xml.getElementsByTagName('parsererror').length) {
    throw new NoCredential('this SVG image is not well-formed XML');
  }
  const element = xml.getElementsByTagNameNS(OB3_SVG_NAMESPACE, 'credential')[0];
  if(!element) {
    throw new NoCredential('this SVG has no baked Open Badges 3.0 credential ' +
      '(no openbadges:credential element)');
  }
  return element.getAttribute('verify') || element.textContent;
}

/**
 * Parse credential text: JSON with an embedded proof. A VC-JWT is reported as unsupported.
 *
 * @param {string} text - the text.
 * @returns {object} the credential.
 */
export function parseCredential(text) {
  const trimmed = text.trim();
  if(COMPACT_JWS.test(trimmed)) {
    throw new NoCredential('this is a VC-JWT, which this page does not check: use ' +
      '`badgeflow verify` or another VC-JWT verifier');
  }
  try {
    return JSON.parse(trimmed);
  } catch {
    throw new NoCredential('this is not JSON (paste the credential file, or drop the badge image)');
  }
}

/**
 * Read the credential in a file: JSON, baked PNG or baked SVG.
 *
 * @param {Blob} file - the file.
 * @returns {Promise<object>} the credential.
 */
export async function credentialFromFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if(PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) {
    return parseCredential(await credentialFromPng(bytes));
  }
  const text = new TextDecoder().decode(bytes);
  if(/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(text) ||
    file.type === 'image/svg+xml') {
    return parseCredential(credentialFromSvg(text));
  }
  return parseCredential(text);
}
