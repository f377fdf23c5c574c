// Entry point of static/verifier.js: wires the credential page's verification panel and the
// "verify any badge" page. The script tag gives the site root: <script data-root="../../">.

import {canonize, hashData} from './proof.js';
import {credentialFromFile, NoCredential, parseCredential} from './extract.js';
import {loadSite, verifyCredential} from './verify.js';
import {fetchJson} from './loader.js';
import {renderResult} from './ui.js';

const script = document.currentScript;
const root = new URL(script?.dataset.root ?? './', location.href);
let sitePromise = null;

function site() {
  sitePromise = sitePromise ?? loadSite(root);
  return sitePromise;
}

function about(document) {
  const subject = Array.isArray(document?.credentialSubject) ?
    document.credentialSubject[0] : document?.credentialSubject;
  const issuer = document?.issuer;
  const rows = [
    ['Achievement', subject?.achievement?.name],
    ['Issued by', issuer && typeof issuer === 'object' ? issuer.name ?? issuer.id : issuer],
    ['Awarded to', subject?.name],
    ['Credential id', document?.id]
  ];
  return rows.filter(([, value]) => typeof value === 'string' && value);
}

async function check(panel, loadDocument) {
  renderResult(panel, {state: 'pending', reason: 'checking the proof in your browser'});
  const started = performance.now();
  let result;
  try {
    const document = await loadDocument();
    result = await verifyCredential(document, {site: await site()});
    result.about = about(document);
  } catch(error) {
    const reason = error instanceof NoCredential ? error.message :
      location.protocol === 'file:' ? 'open this page through a web server (for example ' +
        '"badgeflow site serve") to check the credential here: browsers do not let a page ' +
        'opened from disk read files' :
        `could not check this credential: ${error.message}`;
    result = {state: 'error', reason};
  }
  panel.dataset.verifyMs = String(Math.round(performance.now() - started));
  renderResult(panel, result);
  return result;
}

function wireCredentialPanel(panel) {
  const source = new URL(panel.dataset.credential, location.href);
  site().catch(() => null);  // start loading the site's configuration while the file comes
  check(panel, () => fetchJson(source));
}

function wireVerifyPage(form) {
  const panel = document.querySelector('[data-verify-output]');
  const text = form.querySelector('textarea');
  const file = form.querySelector('input[type=file]');
  const drop = form.querySelector('.verify-drop');
  const run = load => {
    panel.hidden = false;
    check(panel, load);
  };
  form.addEventListener('submit', event => {
    event.preventDefault();
    run(async () => parseCredential(text.value));
  });
  file.addEventListener('change', () => {
    if(file.files.length) {
      run(() => credentialFromFile(file.files[0]));
    }
  });
  for(const name of ['dragenter', 'dragover']) {
    drop.addEventListener(name, event => {
      event.preventDefault();
      drop.classList.add('verify-drop-active');
    });
  }
  drop.addEventListener('dragleave', () => drop.classList.remove('verify-drop-active'));
  drop.addEventListener('drop', event => {
    event.preventDefault();
    drop.classList.remove('verify-drop-active');
    const dropped = event.dataTransfer?.files?.[0];
    if(dropped) {
      run(() => credentialFromFile(dropped));
    }
  });
}

for(const panel of document.querySelectorAll('[data-verify-panel][data-credential]')) {
  wireCredentialPanel(panel);
}
for(const form of document.querySelectorAll('form[data-verify-page]')) {
  wireVerifyPage(form);
}

// For tests and the curious: the same functions the page uses.
window.badgeflowVerifier = {site, verifyCredential, hashData, canonize, credentialFromFile};
