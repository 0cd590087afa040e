/*
 * parley web client: reactions, edits, deletes, and the data of threads and mentions.
 *
 * Speaks "Threads, edits, deletes, reactions" and the mention parts of docs/protocol.md.
 * app.js calls window.parleyMessages(core) once at start and hooks it in a few places:
 * claim() takes thread replies and events out of the main list, adopt() keeps a message's
 * mentions and the server's thread summary, decorateRow() draws a row's extras, live()
 * counts mentions, and the `thread`, `edit`, `delete`, `react` and `mentions` frames come
 * to the handlers returned here.
 *
 * Two parts live in their own files and are built here, sharing `part` (this file's
 * helpers, the requests in flight, and `ctx`, what is open now): threads.js, the thread
 * panel and its composer, and mentions.js, @names, mention counts, desktop notifications
 * and the @-autocomplete. This file keeps the folding of events and replies, the row
 * extras (reactions, the action bar, the editor), the reaction picker, editing, deleting,
 * and the keyboard and pointer handling shared by all of it.
 *
 * State lives in data, never only in the DOM: rows are thrown away and drawn again (the
 * message window, channel switches), and decorateRow() rebuilds everything from:
 *   v.mx.folds    target seq -> { text, editSeq, deleted, reacts: emoji -> user -> {on, seq},
 *                 local }: what events did to a message. Each part only moves forward by
 *                 seq, so events may arrive in any order, twice, or before their target.
 *   v.mx.replies  parent seq -> (reply seq -> reply): the replies this page has seen.
 *   v.mx.summary  parent seq -> the server's {count, last_seq, last_ts}, from `history`.
 *   v.mx.extra    seq -> message not in the main list: replies, and parents that came only
 *                 with a `thread` answer.
 *   v.extraLow / v.extraHigh: the seqs that replies and events of history, live and resume
 *                 covered (app.js's minSeq / maxSeq include them).
 * The shown reply count is summary.count plus the known replies newer than its last_seq
 * (without a summary: the known replies).
 *
 * Text from the network goes into the page only through textContent.
 */
(function () {
  "use strict";

  const EMOJI = ["👍", "❤️", "😂", "🎉", "👀", "🙏", "🔥", "✅",
                 "😄", "😮", "😢", "👏", "🚀", "💯", "🤔", "👎"];
  const MAX_TEXT = 4000;
  const TOMBSTONE = "This message was deleted.";

  // 20x20 stroked icons, drawn in currentColor (the style of channels.js's).
  const ICONS = {
    smile: ["M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M7 11.5a3.5 3.5 0 0 0 6 0",
            "M7.6 8.2h.01M12.4 8.2h.01"],
    thread: ["M4 5.5A1.5 1.5 0 0 1 5.5 4h9A1.5 1.5 0 0 1 16 5.5v6a1.5 1.5 0 0 1-1.5 1.5H9.5L6 16v-3h-.5A1.5 1.5 0 0 1 4 11.5z"],
    pencil: ["M12.5 4.5l3 3L7 16H4v-3z"],
    trash: ["M4.5 6h11", "M8 6V4.5h4V6", "M6 6l.7 9.5h6.6L14 6"],
    close: ["M5 5l10 10M15 5 5 15"],
    bell: ["M6 8.5a4 4 0 0 1 8 0c0 4 1.5 5 1.5 5h-11S6 12.5 6 8.5z", "M8.5 16a1.6 1.6 0 0 0 3 0"],
  };

  window.parleyMessages = function (core) {
    const { el } = core;
    const ui = {};
    const reqs = new Map();     // our request id -> { kind, v, seq, text, ts }
    let picker = null;          // the open reaction picker: { v, seq, box, anchor }
    let deleting = null;        // the message the delete dialog asks about: { v, seq }
    // What is open now, read and set by this file, threads.js and mentions.js alike.
    const ctx = {
      panel: null,              // the open thread: { v, seq, req, failed }
      editing: null,            // the message being edited: { v, seq, place, draft }
      inPanel: false,           // renderMessage is drawing a row for the thread panel
      suggest: null,            // the open @-list: { box, input, v, start, items, index }
    };
    // What threads.js and mentions.js get from this file. Both are built here, mentions.js
    // first: threads.js takes its functions when built, mentions.js reaches threads.js
    // through part.threads when called.
    const part = {
      core, ui, ctx, reqs,
      st, find, addReply, refreshMain, closePicker, request, editLast,
      mentions: null, threads: null,
    };
    const mentions = part.mentions = window.parleyMentions(part);
    const threads = part.threads = window.parleyThreads(part);

    /* ---------- small helpers ---------- */

    function svg(name) {
      return core.icon(ICONS[name]);
    }

    function button(cls, label, icon) {
      const b = el("button", cls);
      b.type = "button";
      if (icon) {
        b.append(svg(icon));
        b.setAttribute("aria-label", label);
        b.title = label;
      } else {
        b.textContent = label;
      }
      return b;
    }

    function st(v) {
      if (!v.mx) v.mx = { folds: new Map(), replies: new Map(), summary: new Map(), extra: new Map() };
      return v.mx;
    }

    function fold(v, seq) {
      const folds = st(v).folds;
      let f = folds.get(seq);
      if (!f) {
        f = { text: null, editSeq: 0, editTs: 0, deleted: false, reacts: new Map(), local: null };
        folds.set(seq, f);
      }
      return f;
    }

    function folded(v, seq) { return v.mx ? v.mx.folds.get(seq) || null : null; }

    function find(v, seq) { return v.messages.get(seq) || (v.mx && v.mx.extra.get(seq)) || null; }

    function isDeleted(v, seq) { const f = folded(v, seq); return !!(f && f.deleted); }

    // The text a message shows now: a pending edit of ours, else the newest edit.
    function textOf(v, m) {
      const f = folded(v, m.seq);
      if (f && f.local) return f.local.text;
      return f && f.text !== null ? f.text : m.text;
    }

    // Replies and events of pages (history, live, resume) widen the range the view covered.
    // A detached list (a stretch of the past) only covers what its own pages reached.
    function note(v, seq) {
      if (v.detached && seq > (v.loadedTo || 0)) return;
      if (v.extraLow == null || seq < v.extraLow) v.extraLow = seq;
      if (seq > (v.extraHigh || 0)) v.extraHigh = seq;
    }

    function rowSelector(v, seq, place) {
      return '.msg[data-channel="' + CSS.escape(v.name) + '"][data-seq="' + seq + '"][data-place="' + place + '"]';
    }

    /* ---------- folding events and replies ---------- */

    // list.js's addMessage asks first: thread replies and events are ours (returns true).
    function claim(v, raw) {
      if (!raw || typeof raw !== "object" || !Number.isInteger(raw.seq)) return false;
      if (typeof raw.kind === "string") {
        note(v, raw.seq);
        applyEvent(v, raw);
      } else if (Number.isInteger(raw.thread) && raw.thread > 0 && raw.thread !== raw.seq && typeof raw.text === "string") {
        note(v, raw.seq);
        addReply(v, raw);
      } else {
        return false;
      }
      core.viewed(v); // the shown channel's read marker moves past replies and events too
      return true;
    }

    function applyEvent(v, e) {
      const t = e.target;
      if (!Number.isInteger(t)) return;
      const f = fold(v, t);
      if (e.kind === "edit" && typeof e.text === "string") {
        if (e.seq <= f.editSeq) return;
        f.editSeq = e.seq;
        f.text = e.text;
        f.editTs = Number.isFinite(e.ts) ? e.ts : Date.now();
        if (f.local && f.local.text === e.text) f.local = null;
      } else if (e.kind === "delete") {
        if (f.deleted) return;
        f.deleted = true;
        f.local = null;
        if (ctx.editing && ctx.editing.v === v && ctx.editing.seq === t) ctx.editing = null;
        if (picker && picker.v === v && picker.seq === t) closePicker(false);
        if (deleting && deleting.v === v && deleting.seq === t) ui.deleteDialog.close();
      } else if (e.kind === "react" && typeof e.emoji === "string" && typeof e.user === "string") {
        let users = f.reacts.get(e.emoji);
        if (!users) { users = new Map(); f.reacts.set(e.emoji, users); }
        const cur = users.get(e.user);
        if (cur && cur.seq >= e.seq) return;
        users.set(e.user, { on: e.on !== false, seq: e.seq });
      } else {
        return;
      }
      refresh(v, t);
    }

    function addReply(v, raw) {
      const s = st(v);
      if (s.extra.has(raw.seq) || v.messages.has(raw.seq)) return false;
      const r = {
        seq: raw.seq,
        user: typeof raw.user === "string" ? raw.user : "unknown",
        text: raw.text,
        ts: Number.isFinite(raw.ts) ? raw.ts : Date.now(),
        thread: raw.thread,
        mentions: mentions.mentionsOf(raw),
        channel: v.name,
      };
      s.extra.set(r.seq, r);
      let set = s.replies.get(r.thread);
      if (!set) { set = new Map(); s.replies.set(r.thread, set); }
      set.set(r.seq, r);
      refreshMain(v, r.thread);
      if (ctx.panel && ctx.panel.v === v && ctx.panel.seq === r.thread) threads.schedulePanel();
      return true;
    }

    // list.js made a message object from a payload: keep what it does not.
    function adopt(v, msg, raw) {
      msg.channel = v.name;
      msg.mentions = mentions.mentionsOf(raw);
      const r = raw.replies;
      if (r && typeof r === "object" && Number.isInteger(r.count) && r.count >= 0 && Number.isInteger(r.last_seq)) {
        const s = st(v), old = s.summary.get(msg.seq);
        if (!old || r.last_seq >= old.last_seq) {
          s.summary.set(msg.seq, { count: r.count, last_seq: r.last_seq, last_ts: Number.isFinite(r.last_ts) ? r.last_ts : 0 });
        }
      }
    }

    // Something about message seq changed: draw its rows again.
    function refresh(v, seq) {
      refreshMain(v, seq);
      if (ctx.panel && ctx.panel.v === v) {
        const m = st(v).extra.get(seq);
        if (seq === ctx.panel.seq || (m && m.thread === ctx.panel.seq)) threads.schedulePanel();
      }
    }

    // Main-list rows are drawn again once per batch (a history page may hold many events,
    // each of them a change to keep the scroll spot through), unless asked for now.
    const dirty = new Map();    // view -> seqs whose rows wait to be drawn again

    function refreshMain(v, seq, now) {
      if (now) {
        const m = v.messages.get(seq);
        if (m && m.el) core.change(v, () => decorateRow(m.el, m));
        return;
      }
      if (!dirty.size) queueMicrotask(flushMain);
      if (!dirty.has(v)) dirty.set(v, new Set());
      dirty.get(v).add(seq);
    }

    function flushMain() {
      const all = Array.from(dirty);
      dirty.clear();
      for (const [v, seqs] of all) {
        if (core.views.get(v.name) !== v) continue;
        core.change(v, () => {
          for (const seq of seqs) {
            const m = v.messages.get(seq);
            if (m && m.el) decorateRow(m.el, m);
          }
        });
      }
    }

    /* ---------- a row's extras ---------- */

    // Called by list.js's renderMessage for every row it draws (and here after changes):
    // idempotent, everything from the data above.
    function decorateRow(row, msg, pend) {
      if (pend) { row.dataset.channel = pend.view.name; return; }
      const v = msg && msg.channel ? core.views.get(msg.channel) : null;
      if (!v || !Number.isInteger(msg.seq)) return;
      row.dataset.channel = v.name;
      if (!row.dataset.place) row.dataset.place = ctx.inPanel ? "thread" : "main";
      const place = row.dataset.place;
      const f = folded(v, msg.seq);
      const deleted = !!(f && f.deleted);
      const edited = !!(f && (f.local || f.text !== null));
      const text = textOf(v, msg);
      const names = edited ? mentions.findMentions(text) : msg.mentions || [];
      const mine = msg.user === core.user();
      row.classList.toggle("is-deleted", deleted);
      row.classList.toggle("is-mention", !deleted && !mine && mentions.mentionsMe(names));
      row.classList.toggle("is-thread-open", place === "main" && !!ctx.panel && ctx.panel.v === v && ctx.panel.seq === msg.seq);
      row.querySelectorAll(".msg-actions, .msg-extras, .msg-edit").forEach((n) => {
        if (n.closest(".msg") === row) n.remove();
      });
      const body = row.querySelector(".msg-body");
      const box = row.querySelector(".msg-text");
      if (!body || !box) return;
      if (deleted) {
        box.textContent = "";
        const t = el("span", "msg-tombstone", TOMBSTONE);
        t.dataset.testid = "msg-deleted";
        box.append(t);
        row.dataset.rewritten = "1";
      } else if (edited || names.length || row.dataset.rewritten) {
        box.textContent = "";
        mentions.renderText(box, text, names);
        if (edited) {
          const mark = el("span", "msg-edited", "(edited)");
          mark.dataset.testid = "msg-edited";
          if (f.editTs) mark.title = "Edited " + new Date(f.editTs).toLocaleString();
          box.append(" ", mark);
        }
        row.dataset.rewritten = "1";
      }
      const isEditing = !deleted && !!ctx.editing && ctx.editing.v === v && ctx.editing.seq === msg.seq && ctx.editing.place === place;
      box.hidden = isEditing;
      if (isEditing) box.after(editor(v, msg));
      const extras = el("div", "msg-extras");
      if (!deleted) {
        const bar = reactionBar(v, msg.seq, f);
        if (bar) extras.append(bar);
      }
      if (place === "main") {
        const info = threads.threadInfo(v, msg.seq);
        if (info.count > 0) extras.append(threads.threadButton(v, msg.seq, info));
      }
      if (extras.firstChild) body.append(extras);
      if (!deleted && !isEditing) row.append(actions(v, msg, place, mine));
    }

    function actions(v, msg, place, mine) {
      const bar = el("div", "msg-actions");
      bar.dataset.testid = "msg-actions";
      bar.setAttribute("role", "toolbar");
      bar.setAttribute("aria-label", "Message actions");
      const react = button("msg-action", "Add reaction", "smile");
      react.dataset.testid = "msg-react-open";
      react.addEventListener("click", () => openPicker(v, msg.seq, react));
      bar.append(react);
      if (place === "main") {
        const reply = button("msg-action", "Reply in thread", "thread");
        reply.dataset.testid = "msg-reply";
        reply.addEventListener("click", () => threads.openThread(v, msg.seq));
        bar.append(reply);
      }
      if (mine) {
        const edit = button("msg-action", "Edit message", "pencil");
        edit.dataset.testid = "msg-edit";
        edit.addEventListener("click", () => startEdit(v, msg.seq, place));
        const del = button("msg-action is-danger", "Delete message", "trash");
        del.dataset.testid = "msg-delete";
        del.addEventListener("click", () => confirmDelete(v, msg.seq));
        bar.append(edit, del);
      }
      return bar;
    }

    function reactionBar(v, seq, f) {
      if (!f || !f.reacts.size) return null;
      const me = core.user();
      const shown = [];
      for (const [emoji, users] of f.reacts) {
        const on = Array.from(users).filter(([, s]) => s.on);
        if (!on.length) continue;
        shown.push({ emoji, names: on.map(([u]) => u), first: Math.min(...on.map(([, s]) => s.seq)) });
      }
      if (!shown.length) return null;
      shown.sort((a, b) => a.first - b.first);
      const bar = el("div", "reactions");
      for (const r of shown) {
        const chip = el("button", "reaction");
        chip.type = "button";
        chip.dataset.testid = "reaction-chip";
        chip.dataset.emoji = r.emoji;
        const mineToo = r.names.includes(me);
        chip.classList.toggle("is-mine", mineToo);
        chip.setAttribute("aria-pressed", String(mineToo));
        const who = r.names.map((n) => (n === me ? "you" : n));
        chip.title = who.join(", ") + " reacted with " + r.emoji;
        chip.setAttribute("aria-label", r.names.length + " reaction" + (r.names.length === 1 ? "" : "s") +
          " with " + r.emoji + ", by " + who.join(", "));
        chip.append(el("span", "reaction-emoji", r.emoji), el("span", "reaction-count", String(r.names.length)));
        chip.addEventListener("click", () => react(v, seq, r.emoji));
        bar.append(chip);
      }
      const add = button("reaction reaction-add", "Add reaction", "smile");
      add.dataset.testid = "reaction-add";
      add.addEventListener("click", () => openPicker(v, seq, add));
      bar.append(add);
      return bar;
    }

    /* ---------- reactions ---------- */

    function notConnected() {
      core.toast("Not connected: try again once parley has reconnected.", "error");
    }

    function request(kind, type, payload, extra) {
      const id = core.newId("x");
      if (!core.send({ type, id, payload })) { notConnected(); return null; }
      reqs.set(id, Object.assign({ kind }, extra || {}));
      return id;
    }

    function react(v, seq, emoji) {
      request("react", "react", { channel: v.name, seq, emoji });
    }

    function openPicker(v, seq, anchor) {
      const again = picker && picker.v === v && picker.seq === seq;
      closePicker(false);
      if (again) return;
      const box = el("div", "reaction-picker");
      box.dataset.testid = "reaction-picker";
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-label", "Add a reaction");
      for (const e of EMOJI) {
        const b = el("button", "reaction-option", e);
        b.type = "button";
        b.dataset.testid = "reaction-option";
        b.dataset.emoji = e;
        b.setAttribute("aria-label", "React with " + e);
        b.addEventListener("click", () => { react(v, seq, e); closePicker(true); });
        box.append(b);
      }
      box.addEventListener("keydown", onPickerKey);
      document.body.append(box);
      const r = anchor.getBoundingClientRect();
      const w = box.offsetWidth, h = box.offsetHeight;
      let top = r.bottom + 6;
      if (top + h > window.innerHeight - 8) top = Math.max(8, r.top - h - 6);
      const left = Math.max(8, Math.min(r.right - w, window.innerWidth - w - 8));
      box.style.top = top + "px";
      box.style.left = left + "px";
      const row = anchor.closest(".msg");
      if (row) row.classList.add("is-active");
      picker = { v, seq, box, anchor, row };
      box.firstChild.focus();
    }

    function onPickerKey(ev) {
      const opts = Array.from(picker.box.children);
      const i = opts.indexOf(document.activeElement);
      const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[ev.key];
      if (!step || i < 0) return;
      ev.preventDefault();
      opts[(i + step + opts.length) % opts.length].focus();
    }

    function closePicker(refocus) {
      if (!picker) return;
      const p = picker;
      picker = null;
      p.box.remove();
      if (p.row) p.row.classList.remove("is-active");
      if (refocus && p.anchor.isConnected) p.anchor.focus();
    }

    /* ---------- editing ---------- */

    function startEdit(v, seq, place) {
      const m = find(v, seq);
      if (!m || m.user !== core.user() || isDeleted(v, seq)) return false;
      const prev = ctx.editing;
      ctx.editing = { v, seq, place, draft: textOf(v, m) };
      if (prev) redraw(prev.v, prev.seq, prev.place);
      redraw(v, seq, place);
      const ta = document.querySelector(rowSelector(v, seq, place) + " .edit-input");
      if (ta) {
        ta.focus();
        ta.setSelectionRange(ta.value.length, ta.value.length);
        ta.scrollIntoView({ block: "nearest" });
      }
      return true;
    }

    function redraw(v, seq, place) {
      if (place === "thread") { if (ctx.panel && ctx.panel.v === v) threads.renderPanel(); } else refreshMain(v, seq, true);
    }

    function editor(v, msg) {
      const wrap = el("div", "msg-edit");
      const ta = el("textarea", "edit-input");
      ta.dataset.testid = "edit-input";
      ta.rows = 1;
      ta.value = ctx.editing.draft;
      ta.setAttribute("aria-label", "Edit message");
      const grow = () => { ta.style.height = "auto"; ta.style.height = Math.min(ta.scrollHeight, 240) + "px"; };
      ta.addEventListener("input", () => { if (ctx.editing) ctx.editing.draft = ta.value; grow(); });
      ta.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); saveEdit(); }
        else if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); cancelEdit(); }
      });
      requestAnimationFrame(grow);
      const bar = el("div", "msg-edit-bar");
      const hint = el("span", "msg-edit-hint");
      hint.append("Escape to ", el("kbd", "", "cancel"), " · Enter to ", el("kbd", "", "save"));
      const cancel = el("button", "btn-secondary btn-small", "Cancel");
      cancel.type = "button";
      cancel.dataset.testid = "edit-cancel";
      cancel.addEventListener("click", cancelEdit);
      const save = el("button", "btn-primary btn-small", "Save");
      save.type = "button";
      save.dataset.testid = "edit-save";
      save.addEventListener("click", saveEdit);
      bar.append(hint, cancel, save);
      wrap.append(ta, bar);
      return wrap;
    }

    function composerFor(place) { return place === "thread" ? ui.threadComposer : document.getElementById("composer"); }

    function cancelEdit() {
      if (!ctx.editing) return;
      const e = ctx.editing;
      ctx.editing = null;
      redraw(e.v, e.seq, e.place);
      composerFor(e.place).focus();
    }

    function saveEdit() {
      if (!ctx.editing) return;
      const e = ctx.editing;
      const m = find(e.v, e.seq);
      const text = e.draft.replace(/\s+$/, "");
      if (!m) { cancelEdit(); return; }
      if (!text.trim()) { cancelEdit(); confirmDelete(e.v, e.seq); return; } // as Slack does
      if (Array.from(text).length > MAX_TEXT) {
        core.toast("That message is too long (" + MAX_TEXT + " characters at most).", "error");
        return;
      }
      if (text === textOf(e.v, m)) { cancelEdit(); return; }
      const id = request("edit", "edit", { channel: e.v.name, seq: e.seq, text }, { v: e.v, seq: e.seq });
      if (!id) return;
      fold(e.v, e.seq).local = { text, id }; // shown at once; the `edit` event confirms it
      cancelEdit();
    }

    // Up in an empty composer edits one's last message there (Slack's shortcut).
    function editLast(v, place) {
      const me = core.user();
      if (place === "thread") {
        const set = v.mx && v.mx.replies.get(ctx.panel.seq);
        const list = set ? Array.from(set.values()).sort((a, b) => b.seq - a.seq) : [];
        for (const r of list) if (r.user === me && !isDeleted(v, r.seq)) return startEdit(v, r.seq, "thread");
        return false;
      }
      for (let i = v.seqs.length - 1; i >= 0; i--) {
        const m = v.messages.get(v.seqs[i]);
        if (m && m.user === me && !isDeleted(v, m.seq)) {
          if (!m.el) return false; // outside the rendered window
          return startEdit(v, m.seq, "main");
        }
      }
      return false;
    }

    function onMainComposerKey(ev) {
      if (mentions.suggestKey(ev)) return;
      if (ev.key !== "ArrowUp" || ev.shiftKey || ev.altKey || ev.ctrlKey || ev.metaKey || ev.isComposing) return;
      const v = core.current();
      if (!v || ev.target.value !== "") return;
      if (editLast(v, "main")) ev.preventDefault();
    }

    /* ---------- deleting ---------- */

    function confirmDelete(v, seq) {
      const m = find(v, seq);
      if (!m || isDeleted(v, seq)) return;
      deleting = { v, seq };
      ui.deletePreview.textContent = "";
      const author = el("div", "delete-author");
      author.append(core.avatar(m.user, "avatar-xs"), el("strong", "", m.user), el("span", "", core.hhmm(m.ts)));
      ui.deletePreview.append(author, el("div", "delete-text", textOf(v, m)));
      ui.deleteDialog.showModal();
      ui.deleteConfirm.focus();
    }

    function onDeleteConfirm() {
      const d = deleting;
      ui.deleteDialog.close();
      if (!d) return;
      request("delete", "delete", { channel: d.v.name, seq: d.seq }, { v: d.v, seq: d.seq });
    }

    /* ---------- answers to our requests ---------- */

    function onAck(p, m) {
      const r = reqs.get(m.id);
      if (!r) return;
      reqs.delete(m.id);
      if (r.kind === "reply" && Number.isInteger(p.seq)) {
        note(r.v, p.seq);
        const had = ctx.panel && ctx.panel.v === r.v && ctx.panel.seq === r.seq;
        if (!addReply(r.v, { seq: p.seq, user: core.user(), text: r.text, ts: p.ts, thread: r.seq }) && had) threads.renderPanel();
      }
    }

    // Returns true when the error needs no toast.
    function onError(code, _text, m) {
      const r = m.id !== undefined ? reqs.get(m.id) : null;
      if (!r) return false;
      reqs.delete(m.id);
      if (r.kind === "edit") {
        const f = folded(r.v, r.seq);
        if (f && f.local && f.local.id === m.id) { f.local = null; refresh(r.v, r.seq); }
      } else if (r.kind === "reply") {
        threads.replyFailed(r);
      } else if (r.kind === "thread" && ctx.panel && ctx.panel.v === r.v && ctx.panel.seq === r.seq) {
        ctx.panel.req = null;
        ctx.panel.failed = true;
        threads.renderPanel();
        return code === "no_such_message"; // a deleted parent: the panel says so
      }
      return false;
    }


    /* ---------- a new connection ---------- */

    // A welcome starts a connection: what was in flight is lost, and unread mention counts
    // come again (a `mentions` frame follows the join when there are any).
    function welcome() {
      for (const [id, r] of Array.from(reqs)) {
        reqs.delete(id);
        if (r.kind === "reply") {
          threads.replyFailed(r);
          core.toast("A reply was not sent: the connection dropped. It is back in the thread's box.", "error");
        } else if (r.kind === "edit") {
          const f = folded(r.v, r.seq);
          if (f && f.local && f.local.id === id) { f.local = null; refresh(r.v, r.seq); }
        }
      }
      for (const v of core.views.values()) v.mentions = 0;
      mentions.renderNotify();
      if (ctx.panel && core.views.get(ctx.panel.v.name) === ctx.panel.v) threads.fetchThread();
      else if (ctx.panel) threads.closeThread();
      if (ctx.panel) threads.threadComposerChanged();
    }

    /* ---------- list.js's view life cycle ---------- */

    // The list was emptied to be filled again: a jump to an old message (search.js), or a
    // resume the server could not serve. What was folded stays (it is keyed by seq and the
    // pages that come back bring their events again, which fold idempotently); only the
    // range the pages covered starts over.
    function cleared(v) {
      v.extraLow = null;
      v.extraHigh = 0;
      if (ctx.panel && ctx.panel.v === v) { ctx.panel.failed = false; threads.fetchThread(); threads.renderPanel(); }
    }

    function gone(v) {
      if (ctx.panel && ctx.panel.v === v) threads.closeThread();
      if (ctx.editing && ctx.editing.v === v) ctx.editing = null;
      if (picker && picker.v === v) closePicker(false);
      if (deleting && deleting.v === v && ui.deleteDialog.open) ui.deleteDialog.close();
    }

    /* ---------- keyboard and pointer ---------- */

    // Escape closes the innermost thing: the @-list, the picker, the editor, then the
    // search panel (search.js's own key) or else the thread panel. Dialogs close themselves
    // (the browser's cancel). Runs in the capture phase, before the other Escape handlers,
    // so one press closes one thing.
    function onKey(ev) {
      if (ev.key !== "Escape" || ev.defaultPrevented) return;
      if (document.querySelector("dialog[open]")) return;
      const inner = ctx.suggest ? mentions.closeSuggest : picker ? () => closePicker(true) : ctx.editing ? cancelEdit : null;
      if (inner) {
        ev.preventDefault();
        ev.stopPropagation();
        inner();
        return;
      }
      const search = document.getElementById("search-panel");
      if (search && !search.hidden) return;
      if (ctx.panel) threads.closeThread();
    }

    function onPointerDown(ev) {
      if (picker && !picker.box.contains(ev.target) && !picker.anchor.contains(ev.target)) closePicker(false);
    }

    // Phones have no hover: a tap on a message shows its actions.
    function onTap(ev) {
      if (!window.matchMedia || !window.matchMedia("(hover: none)").matches) return;
      const row = ev.target.closest && ev.target.closest(".msg");
      if (ev.target.closest("button, a, textarea, input")) return;
      document.querySelectorAll(".msg.is-touched").forEach((r) => { if (r !== row) r.classList.remove("is-touched"); });
      if (row) row.classList.toggle("is-touched");
    }

    /* ---------- start ---------- */

    function bind() {
      const ids = {
        app: "app", panel: "thread-panel", threadSub: "thread-sub", threadClose: "thread-close",
        threadScroller: "thread-scroller", threadParent: "thread-parent", threadDivider: "thread-divider",
        threadReplies: "thread-replies", threadForm: "thread-form", threadComposer: "thread-composer",
        threadSend: "thread-send", notify: "notify-enable", deleteDialog: "delete-dialog",
        deletePreview: "delete-preview", deleteConfirm: "delete-confirm",
      };
      for (const k in ids) ui[k] = document.getElementById(ids[k]);
      document.querySelectorAll("[data-mx-icon]").forEach((n) => n.replaceWith(svg(n.dataset.mxIcon)));
    }

    function listen() {
      ui.threadClose.addEventListener("click", threads.closeThread);
      ui.threadForm.addEventListener("submit", (ev) => { ev.preventDefault(); threads.sendReply(); });
      ui.threadComposer.addEventListener("input", () => {
        threads.threadComposerChanged();
        mentions.updateSuggest(ui.threadComposer, ctx.panel && ctx.panel.v);
      });
      ui.threadComposer.addEventListener("blur", mentions.closeSuggest);
      ui.threadComposer.addEventListener("keydown", threads.onThreadComposerKey);
      const main = document.getElementById("composer");
      if (main) {
        main.addEventListener("keydown", onMainComposerKey);
        main.addEventListener("input", () => mentions.updateSuggest(main, core.current()));
        main.addEventListener("blur", mentions.closeSuggest);
      }
      ui.notify.addEventListener("click", mentions.enableNotify);
      ui.deleteConfirm.addEventListener("click", onDeleteConfirm);
      ui.deleteDialog.addEventListener("close", () => { deleting = null; });
      ui.deleteDialog.addEventListener("click", (ev) => { if (ev.target === ui.deleteDialog) ui.deleteDialog.close(); });
      ui.deleteDialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => ui.deleteDialog.close()));
      document.addEventListener("keydown", onKey, true);
      document.addEventListener("pointerdown", onPointerDown, true);
      document.addEventListener("click", onTap);
      window.addEventListener("resize", () => { closePicker(false); mentions.closeSuggest(); });
      document.addEventListener("visibilitychange", mentions.renderNotify);
    }

    bind();
    listen();
    mentions.renderNotify();

    const onEvent = (kind) => (p) => {
      const v = core.views.get(typeof p.channel === "string" && p.channel ? p.channel : core.GENERAL);
      if (!v || !Number.isInteger(p.seq)) return;
      claim(v, Object.assign({}, p, { kind }));
    };

    return {
      handlers: { thread: threads.onThread, edit: onEvent("edit"), delete: onEvent("delete"),
        react: onEvent("react"), mentions: mentions.onMentions },
      claim, adopt, decorateRow, live: mentions.live, onAck, onError, welcome, cleared, gone,
    };
  };
})();
