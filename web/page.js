/*
 * parley web client: the page's shared UI state.
 *
 * The elements every UI module reaches (bound once at start) and what the reader is
 * doing: the channel shown, whether they are at the bottom of it, unseen counts. UI
 * modules only; data modules know nothing of this.
 */

export const ui = {};
export const page = {
  view: null,             // the channel record shown
  pinned: true,           // the reader is at the bottom of the shown list
  unseenBelow: 0,         // messages arrived below the reader's spot
  unreadHidden: 0,        // messages to the direct message shown, while the tab was hidden (the title counts them)
  typingNews: false,      // a message went out: the next typing should not wait long
  lastTypingSent: 0,
  noticeTimer: 0,
};

export function bind(ids) {
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
}

// Puts the caret in the message box, ready to type. When a dialog that was opened from
// the box closes, Chrome gives the box focus back but may leave the document's caret
// where the dialog's click put it: keys then reach the box and insert nothing. Focusing
// the box afresh moves the caret into it.
export function focusComposer() {
  const box = ui.composer;
  if (!box || box.disabled) return;
  if (document.activeElement === box) box.blur();
  box.focus();
  const end = box.value.length;
  box.setSelectionRange(end, end);
}
