// Show a verification result: the overall state (text, colour and icon, never colour alone)
// in a live region, and one line per check.

import {TITLES} from './verify.js';

const ICONS = {
  pending: '…',
  verified: '✓',
  tampered: '✗',
  revoked: '✗',
  suspended: '⏸',
  expired: '⌛',
  'not-yet-valid': '⌛',
  error: '?'
};
const CHECK_WORDS = {true: ['✓', 'passed'], false: ['✗', 'failed'], null: ['–', 'not checked']};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if(className) {
    node.className = className;
  }
  if(text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Render a result into a panel holding `.verify-result` and `.verify-checks`.
 *
 * @param {Element} panel - the panel.
 * @param {object} result - from `verifyCredential`, or {state, reason} alone.
 */
export function renderResult(panel, result) {
  const box = panel.querySelector('.verify-result');
  const state = result.state;
  box.className = `verify-result verify-${state}`;
  box.dataset.verifyState = state;
  box.replaceChildren(
    element('span', 'verify-icon', ICONS[state] ?? '?'),
    element('strong', 'verify-title', result.title ?? TITLES[state]),
    element('span', 'verify-reason', sentence(result.reason ?? '')));
  box.firstChild.setAttribute('aria-hidden', 'true');
  const list = panel.querySelector('.verify-checks');
  list.replaceChildren(...(result.checks ?? []).map(check => {
    const [mark, word] = CHECK_WORDS[String(check.passed)];
    const item = element('li', `verify-check check-${word.replace(' ', '-')}`);
    item.dataset.check = check.name;
    item.dataset.passed = String(check.passed);
    const icon = element('span', 'verify-mark', mark);
    icon.setAttribute('aria-hidden', 'true');
    item.append(icon, element('strong', '', `${check.label}: ${word}.`), ` ${check.detail}`);
    return item;
  }));
  const summary = panel.querySelector('.verify-summary');
  if(summary) {
    summary.replaceChildren();
    summary.hidden = !result.about;
    for(const [label, value] of result.about ?? []) {
      summary.append(element('dt', '', label), element('dd', '', value));
    }
  }
}
