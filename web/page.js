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
