// Verify OB 2.0 signed assertions (compact JWS, RS256) with `jose`, independently of badgeflow.
// Usage: node verify-ob2.mjs KEY.json ASSERTION.jwt...   (KEY.json: an OB 2.0 CryptographicKey)
// Prints one JSON line per token: {"file", "verified", "alg", "id"|"error"}; exit 1 if any fails.
import { readFileSync } from "node:fs";
import { compactVerify, importSPKI } from "jose";

const [keyFile, ...tokens] = process.argv.slice(2);
if (!keyFile || tokens.length === 0) {
  console.error("usage: node verify-ob2.mjs KEY.json ASSERTION.jwt...");
  process.exit(2);
}
const keyDoc = JSON.parse(readFileSync(keyFile, "utf8"));
const key = await importSPKI(keyDoc.publicKeyPem, "RS256");
let failed = 0;
for (const file of tokens) {
  try {
    const { payload, protectedHeader } = await compactVerify(
      readFileSync(file, "utf8").trim(), key, { algorithms: ["RS256"] });
    const assertion = JSON.parse(new TextDecoder().decode(payload));
    const creator = assertion.verification?.creator;
    if (creator !== keyDoc.id) throw new Error(`creator ${creator} is not ${keyDoc.id}`);
    console.log(JSON.stringify({ file, verified: true, alg: protectedHeader.alg, id: assertion.id }));
  } catch (error) {
    failed += 1;
    console.log(JSON.stringify({ file, verified: false, error: String(error.message ?? error) }));
  }
}
process.exit(failed ? 1 : 0);
