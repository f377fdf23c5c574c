#!/usr/bin/env node
// Signs a credential with Digital Bazaar's own issuer (vc.issue +
// DataIntegrityProof eddsa-rdfc-2022), offline, for tests of the verifier.
//
// Usage:
//   node sign.mjs [--contexts DIR [--provenance FILE]] --seed HEX64
//                 --verification-method ID [--created ISO] CRED.json
//
// Writes the signed credential (JSON) to stdout. Exit 2 on usage errors.
import {parseArgs} from 'node:util';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import {makeDocumentLoader, readJson, resolveContexts} from './loader.mjs';

const USAGE = 'usage: node sign.mjs [--contexts DIR [--provenance FILE]] ' +
  '--seed HEX64 --verification-method ID [--created ISO] CRED.json';

async function main() {
  let values;
  let positionals;
  try {
    ({values, positionals} = parseArgs({
      allowPositionals: true,
      options: {
        contexts: {type: 'string'},
        provenance: {type: 'string'},
        seed: {type: 'string'},
        'verification-method': {type: 'string'},
        created: {type: 'string'}
      }
    }));
    if(!/^[0-9a-f]{64}$/i.test(values.seed ?? '') ||
      !values['verification-method'] || positionals.length !== 1) {
      throw new Error('missing or malformed arguments');
    }
  } catch(e) {
    console.error(`sign.mjs: ${e.message}\n${USAGE}`);
    return 2;
  }
  const contexts = await resolveContexts(
    {contextsDir: values.contexts, provenancePath: values.provenance});
  const id = values['verification-method'];
  const keyPair = await Ed25519Multikey.generate({
    seed: Buffer.from(values.seed, 'hex'),
    id,
    controller: id.split('#')[0]
  });
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    date: values.created,
    cryptosuite: eddsaRdfc2022CryptoSuite
  });
  const signed = await vc.issue({
    credential: await readJson(positionals[0]),
    suite,
    documentLoader: makeDocumentLoader({contexts})
  });
  console.log(JSON.stringify(signed, null, 2));
  return 0;
}

process.exitCode = await main();
