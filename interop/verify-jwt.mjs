#!/usr/bin/env node
// Verifies OB 3.0 VC-JWTs (compact JWS, RS256 / ES256) with panva's `jose`,
// offline, taking the key from a DID document given on the command line.
//
// Usage:
//   node verify-jwt.mjs --did-document did.json [...] [--now ISO] TOKEN.jwt [...]
//   node verify-jwt.mjs --did-document did.json [...] --thumbprints
//
// For each token: the header may hold only alg, kid, jwk and typ (= "JWT");
// `kid` must be a JsonWebKey method listed under the document's
// assertionMethod; `jose.jwtVerify` checks the signature (algorithms RS256 and
// ES256 only), nbf and exp against --now; then the OB 3.0 claims must match
// the credential: iss = issuer.id, jti = id, nbf = validFrom, sub =
// credentialSubject.id (when present), exp = validUntil (when present).
// Prints one JSON line per token:
//   {"file", "verified", "error", "alg", "kid", "issuer"}
// --thumbprints prints {"id", "thumbprint"} per JsonWebKey method instead
// (jose's calculateJwkThumbprint, RFC 7638, SHA-256).
// Exit status: 0 all verified, 1 some did not, 2 usage or setup error.
import {readFile} from 'node:fs/promises';
import {parseArgs} from 'node:util';
import {
  calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify
} from 'jose';

const USAGE = 'usage: node verify-jwt.mjs --did-document FILE [...] ' +
  '[--now ISO] (TOKEN.jwt ... | --thumbprints)';
const ALGORITHMS = ['RS256', 'ES256'];
const HEADER = new Set(['alg', 'kid', 'jwk', 'typ']);

/** JsonWebKey methods authorised for assertions, by absolute id. */
function jwkMethods(docs) {
  const methods = new Map();
  for(const doc of docs) {
    const absolute = id => id.startsWith('#') ? doc.id + id : id;
    const assertion = new Set((doc.assertionMethod ?? [])
      .filter(ref => typeof ref === 'string').map(absolute));
    for(const method of doc.verificationMethod ?? []) {
      const id = absolute(method.id ?? '');
      if(method.type === 'JsonWebKey' && assertion.has(id)) {
        methods.set(id, {...method, id, controller: method.controller ?? doc.id});
      }
    }
  }
  return methods;
}

function seconds(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}

async function verifyOne(file, {methods, now}) {
  let header = {};
  let issuer = null;
  try {
    const token = (await readFile(file, 'utf8')).trim();
    header = decodeProtectedHeader(token);
    const extra = Object.keys(header).filter(name => !HEADER.has(name));
    if(extra.length > 0) {
      throw new Error(`header fields not allowed: ${extra.join(', ')}`);
    }
    const method = methods.get(header.kid);
    if(!method) {
      throw new Error(`kid ${header.kid} is not a JsonWebKey assertion method`);
    }
    const key = await importJWK(method.publicKeyJwk, header.alg);
    const {payload} = await jwtVerify(token, key, {
      algorithms: ALGORITHMS, currentDate: now, typ: header.typ && 'JWT'
    });
    issuer = typeof payload.issuer === 'string' ?
      payload.issuer : payload.issuer?.id;
    const expected = {iss: issuer, jti: payload.id, nbf: seconds(payload.validFrom)};
    if(payload.credentialSubject?.id !== undefined) {
      expected.sub = payload.credentialSubject.id;
    }
    if(payload.validUntil !== undefined) {
      expected.exp = seconds(payload.validUntil);
    }
    for(const [claim, value] of Object.entries(expected)) {
      if(payload[claim] !== value) {
        throw new Error(`claim ${claim} is ${payload[claim]}, expected ${value}`);
      }
    }
    if(method.controller !== issuer) {
      throw new Error(`key controller ${method.controller} is not the issuer ${issuer}`);
    }
    return {file, verified: true, error: null, alg: header.alg, kid: header.kid, issuer};
  } catch(e) {
    return {
      file, verified: false, error: e.message ?? String(e),
      alg: header.alg ?? null, kid: header.kid ?? null, issuer
    };
  }
}

async function main() {
  let values;
  let positionals;
  let methods;
  try {
    ({values, positionals} = parseArgs({
      allowPositionals: true,
      options: {
        'did-document': {type: 'string', multiple: true, default: []},
        now: {type: 'string'},
        thumbprints: {type: 'boolean', default: false}
      }
    }));
    if(values['did-document'].length === 0 ||
      (positionals.length === 0) !== values.thumbprints) {
      throw new Error('give DID documents and either tokens or --thumbprints');
    }
    const docs = await Promise.all(values['did-document'].map(
      async file => JSON.parse(await readFile(file, 'utf8'))));
    methods = jwkMethods(docs);
  } catch(e) {
    console.error(`verify-jwt.mjs: ${e.message}\n${USAGE}`);
    return 2;
  }
  if(values.thumbprints) {
    for(const [id, method] of methods) {
      const thumbprint = await calculateJwkThumbprint(method.publicKeyJwk, 'sha256');
      console.log(JSON.stringify({id, thumbprint}));
    }
    return 0;
  }
  const now = values.now ? new Date(values.now) : new Date();
  let allVerified = true;
  for(const file of positionals) {
    const outcome = await verifyOne(file, {methods, now});
    allVerified &&= outcome.verified;
    console.log(JSON.stringify(outcome));
  }
  return allVerified ? 0 : 1;
}

process.exitCode = await main();
