// Multibase decoding: base58btc ("z", proofs and Multikeys) and base64url ("u", status lists).

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Map([...B58].map((char, index) => [char, index]));

/**
 * Decode base58 text (Bitcoin alphabet); each leading "1" is a zero byte.
 *
 * @param {string} text - base58btc text, without the multibase prefix.
 * @returns {Uint8Array} the bytes.
 */
export function base58Decode(text) {
  let number = 0n;
  for(const char of text) {
    const digit = B58_INDEX.get(char);
    if(digit === undefined) {
      throw new Error(`not base58btc: unexpected character ${JSON.stringify(char)}`);
    }
    number = number * 58n + BigInt(digit);
  }
  const bytes = [];
  while(number > 0n) {
    bytes.push(Number(number & 0xffn));
    number >>= 8n;
  }
  let zeros = 0;
  while(zeros < text.length && text[zeros] === '1') {
    zeros++;
  }
  return Uint8Array.from([...new Array(zeros).fill(0), ...bytes.reverse()]);
}

/**
 * Decode base64url text (padding optional).
 *
 * @param {string} text - base64url text.
 * @returns {Uint8Array} the bytes.
 */
export function base64urlDecode(text) {
  if(!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) {
    throw new Error('not base64url text');
  }
  const standard = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const padded = standard + '='.repeat((4 - standard.length % 4) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, char => char.charCodeAt(0));
}

/**
 * Decode a multibase value: "z" (base58btc) or "u" (base64url, no padding).
 *
 * @param {string} value - the multibase text.
 * @returns {Uint8Array} the bytes.
 */
export function multibaseDecode(value) {
  if(typeof value !== 'string' || value.length < 2) {
    throw new Error('not a multibase value');
  }
  if(value[0] === 'z') {
    return base58Decode(value.slice(1));
  }
  if(value[0] === 'u') {
    return base64urlDecode(value.slice(1));
  }
  throw new Error(`unsupported multibase prefix ${JSON.stringify(value[0])}`);
}

/**
 * Lower-case hex of some bytes.
 *
 * @param {ArrayBuffer|Uint8Array} bytes - the bytes.
 * @returns {string} the hex text.
 */
export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), byte => byte.toString(16).padStart(2, '0')).join('');
}
