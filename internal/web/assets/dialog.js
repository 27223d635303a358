// Asking before doing something that cannot be taken back, in a modal
// dialog: it keeps the keyboard inside, Escape cancels, and the focus
// starts on Cancel.

import { $ } from './dom.js';

let pending = null;

// confirmAction shows title, the body's nodes and a button saying ok, and
// resolves to true when that button was chosen.
export function confirmAction(title, body, ok) {
  const d = $('confirm');
  if (d.open) return Promise.resolve(false);
  $('confirm-title').textContent = title;
  $('confirm-body').replaceChildren(...body);
  $('confirm-ok').textContent = ok;
  const opener = document.activeElement;
  const key = opener && opener.dataset ? opener.dataset.key : '';
  return new Promise((resolve) => {
    pending = (yes) => {
      pending = null;
      resolve(yes);
      // The page may have been redrawn meanwhile: find the opener again.
      const back = opener && opener.isConnected ? opener : key && document.querySelector(`[data-key="${CSS.escape(key)}"]`);
      if (back) back.focus();
    };
    d.returnValue = '';
    d.showModal();
    $('confirm-cancel').focus();
  });
}

$('confirm').addEventListener('close', () => {
  // The close event comes a moment after the closing: one that arrives
  // when the dialog is open again belongs to the question before.
  if (pending && !$('confirm').open) pending($('confirm').returnValue === 'ok');
});
