/*
 * parley web client: threads, reactions, edits, deletes and mentions.
 *
 * Speaks "Threads, edits, deletes, reactions" and the mention parts of docs/protocol.md.
 * app.js calls window.parleyMessages(core) once at start and hooks it in a few places:
 * claim() takes thread replies and events out of the main list, adopt() keeps a message's
 * mentions and the server's thread summary, decorateRow() draws a row's extras, live()
 * counts mentions, and the `thread`, `edit`, `delete`, `react` and `mentions` frames come
 * to the handlers returned here.
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
  const NOTIFY_BODY = 200;          // characters of a message in a desktop notification
  const GROUP_GAP_MS = 5 * 60 * 1000;
  const NEAR_BOTTOM_PX = 80;
  const TOMBSTONE = "This message was deleted.";
  const EVERYONE = ["channel", "here"];

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
    const drafts = new Map();   // "channel/seq" -> the thread composer's unsent text
    let panel = null;           // the open thread: { v, seq, req, failed }
    let editing = null;         // the message being edited: { v, seq, place, draft }
    let picker = null;          // the open reaction picker: { v, seq, box, anchor }
    let deleting = null;        // the message the delete dialog asks about: { v, seq }
    let inPanel = false;        // renderMessage is drawing a row for the thread panel

    /* ---------- small helpers ---------- */

    function svg(name) {
      const ns = "http://www.w3.org/2000/svg";
      const s = document.createElementNS(ns, "svg");
      s.setAttribute("viewBox", "0 0 20 20");
      s.setAttribute("width", "18");
      s.setAttribute("height", "18");
      s.setAttribute("aria-hidden", "true");
      s.setAttribute("class", "icon");
      for (const d of ICONS[name]) {
        const p = document.createElementNS(ns, "path");
        p.setAttribute("d", d);
        s.append(p);
      }
      return s;
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

    function nameList(raw) {
      return Array.isArray(raw) ? raw.filter((n) => typeof n === "string" && n) : [];
    }

    // A payload's mentions; our own messages come from the `ack`, which has none.
    function mentionsOf(raw) {
      return Array.isArray(raw.mentions) ? nameList(raw.mentions) : findMentions(raw.text || "");
    }

    function mentionsMe(names) {
      const me = core.user();
      return names.some((n) => n === me || EVERYONE.includes(n));
    }

    // The @names of an edited text, by the server's rule: "@" at the start or after a
    // non-word character, running to white space or punctuation.
    function findMentions(text) {
      const out = [];
      const re = /(^|[^\p{L}\p{N}_])@([^\s!-/:-@[-^`{-~]+)/gu;
      let m;
      while ((m = re.exec(text)) !== null && out.length < 16) out.push(m[2]);
      return out;
    }

    function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

    // Text with its @mentions as highlighted spans and its links as links.
    function renderText(parent, text, names) {
      if (!names.length) { core.appendLinkified(parent, text); return; }
      const alts = Array.from(new Set(names)).sort((a, b) => b.length - a.length).map(escapeRe);
      const re = new RegExp("(^|[^\\p{L}\\p{N}_])@(" + alts.join("|") + ")(?=$|[\\s!-/:-@[-^`{-~])", "gu");
      const me = core.user();
      let last = 0, m;
      while ((m = re.exec(text)) !== null) {
        const at = m.index + m[1].length;
        if (at > last) core.appendLinkified(parent, text.slice(last, at));
        const name = m[2];
        const span = el("span", "mention" + (name === me || EVERYONE.includes(name) ? " is-me" : ""), "@" + name);
        span.dataset.testid = "mention";
        parent.append(span);
        last = at + 1 + name.length;
        re.lastIndex = last;
      }
      if (last < text.length) core.appendLinkified(parent, text.slice(last));
    }

    function shortWhen(ts) {
      const d = new Date(ts), now = new Date();
      if (d.toDateString() === now.toDateString()) return core.hhmm(ts);
      return d.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + " " + core.hhmm(ts);
    }

    function rowSelector(v, seq, place) {
      return '.msg[data-channel="' + CSS.escape(v.name) + '"][data-seq="' + seq + '"][data-place="' + place + '"]';
    }

    /* ---------- folding events and replies ---------- */

    // app.js's addMessage asks first: thread replies and events are ours (returns true).
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
        if (editing && editing.v === v && editing.seq === t) editing = null;
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
        mentions: mentionsOf(raw),
        channel: v.name,
      };
      s.extra.set(r.seq, r);
      let set = s.replies.get(r.thread);
      if (!set) { set = new Map(); s.replies.set(r.thread, set); }
      set.set(r.seq, r);
      refreshMain(v, r.thread);
      if (panel && panel.v === v && panel.seq === r.thread) schedulePanel();
      return true;
    }

    // app.js made a message object from a payload: keep what it does not.
    function adopt(v, msg, raw) {
      msg.channel = v.name;
      msg.mentions = mentionsOf(raw);
      const r = raw.replies;
      if (r && typeof r === "object" && Number.isInteger(r.count) && r.count >= 0 && Number.isInteger(r.last_seq)) {
        const s = st(v), old = s.summary.get(msg.seq);
        if (!old || r.last_seq >= old.last_seq) {
          s.summary.set(msg.seq, { count: r.count, last_seq: r.last_seq, last_ts: Number.isFinite(r.last_ts) ? r.last_ts : 0 });
        }
      }
    }

    // Reply count, newest reply time and the last few repliers of a parent.
    function threadInfo(v, seq) {
      const s = v.mx;
      const known = s && s.replies.get(seq);
      const sum = s && s.summary.get(seq);
      let count = sum ? sum.count : 0, lastTs = sum ? sum.last_ts : 0;
      const people = [];
      if (known) {
        const list = Array.from(known.values()).sort((a, b) => b.seq - a.seq);
        for (const r of list) {
          if (!sum || r.seq > sum.last_seq) count++;
          if (r.ts > lastTs) lastTs = r.ts;
          if (people.length < 3 && !people.includes(r.user)) people.push(r.user);
        }
      }
      return { count, lastTs, people };
    }

    // Something about message seq changed: draw its rows again.
    function refresh(v, seq) {
      refreshMain(v, seq);
      if (panel && panel.v === v) {
        const m = st(v).extra.get(seq);
        if (seq === panel.seq || (m && m.thread === panel.seq)) schedulePanel();
      }
    }

    // Main-list rows are drawn again once per batch (a history page may hold many events,
    // each of them a change to keep the scroll spot through), unless asked for now.
    const dirty = new Map();    // view -> seqs whose rows wait to be drawn again
    let panelDirty = false;

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

    function schedulePanel() {
      if (panelDirty) return;
      panelDirty = true;
      queueMicrotask(() => { if (panelDirty) renderPanel(); });
    }

    /* ---------- a row's extras ---------- */

    // Called by app.js's renderMessage for every row it draws (and here after changes):
    // idempotent, everything from the data above.
    function decorateRow(row, msg, pend) {
      if (pend) { row.dataset.channel = pend.view.name; return; }
      const v = msg && msg.channel ? core.views.get(msg.channel) : null;
      if (!v || !Number.isInteger(msg.seq)) return;
      row.dataset.channel = v.name;
      if (!row.dataset.place) row.dataset.place = inPanel ? "thread" : "main";
      const place = row.dataset.place;
      const f = folded(v, msg.seq);
      const deleted = !!(f && f.deleted);
      const edited = !!(f && (f.local || f.text !== null));
      const text = textOf(v, msg);
      const names = edited ? findMentions(text) : msg.mentions || [];
      const mine = msg.user === core.user();
      row.classList.toggle("is-deleted", deleted);
      row.classList.toggle("is-mention", !deleted && !mine && mentionsMe(names));
      row.classList.toggle("is-thread-open", place === "main" && !!panel && panel.v === v && panel.seq === msg.seq);
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
        renderText(box, text, names);
        if (edited) {
          const mark = el("span", "msg-edited", "(edited)");
          mark.dataset.testid = "msg-edited";
          if (f.editTs) mark.title = "Edited " + new Date(f.editTs).toLocaleString();
          box.append(" ", mark);
        }
        row.dataset.rewritten = "1";
      }
      const isEditing = !deleted && !!editing && editing.v === v && editing.seq === msg.seq && editing.place === place;
      box.hidden = isEditing;
      if (isEditing) box.after(editor(v, msg));
      const extras = el("div", "msg-extras");
      if (!deleted) {
        const bar = reactionBar(v, msg.seq, f);
        if (bar) extras.append(bar);
      }
      if (place === "main") {
        const info = threadInfo(v, msg.seq);
        if (info.count > 0) extras.append(threadButton(v, msg.seq, info));
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
        reply.addEventListener("click", () => openThread(v, msg.seq));
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

    function threadButton(v, seq, info) {
      const b = el("button", "thread-summary");
      b.type = "button";
      b.dataset.testid = "thread-open";
      const faces = el("span", "thread-faces");
      for (const name of info.people) faces.append(core.avatar(name, "avatar-xs"));
      const count = info.count === 1 ? "1 reply" : info.count + " replies";
      b.append(faces, el("span", "thread-count", count));
      if (info.lastTs) {
        const when = el("span", "thread-last", "· " + shortWhen(info.lastTs));
        when.title = "Last reply " + new Date(info.lastTs).toLocaleString();
        b.append(when);
      }
      b.append(el("span", "thread-view", "View thread"));
      b.setAttribute("aria-label", count + ", open the thread");
      b.addEventListener("click", () => openThread(v, seq));
      return b;
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
      const prev = editing;
      editing = { v, seq, place, draft: textOf(v, m) };
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
      if (place === "thread") { if (panel && panel.v === v) renderPanel(); } else refreshMain(v, seq, true);
    }

    function editor(v, msg) {
      const wrap = el("div", "msg-edit");
      const ta = el("textarea", "edit-input");
      ta.dataset.testid = "edit-input";
      ta.rows = 1;
      ta.value = editing.draft;
      ta.setAttribute("aria-label", "Edit message");
      const grow = () => { ta.style.height = "auto"; ta.style.height = Math.min(ta.scrollHeight, 240) + "px"; };
      ta.addEventListener("input", () => { if (editing) editing.draft = ta.value; grow(); });
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
      if (!editing) return;
      const e = editing;
      editing = null;
      redraw(e.v, e.seq, e.place);
      composerFor(e.place).focus();
    }

    function saveEdit() {
      if (!editing) return;
      const e = editing;
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
        const set = v.mx && v.mx.replies.get(panel.seq);
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
      if (suggestKey(ev)) return;
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

    /* ---------- the thread panel ---------- */

    function openThread(v, seq) {
      closePicker(false);
      if (panel && panel.v === v && panel.seq === seq) { ui.threadComposer.focus(); return; }
      const prev = panel;
      if (prev) saveDraft();
      if (editing && editing.place === "thread") editing = null;
      panel = { v, seq, req: null, failed: false };
      // Search results (search.js) and a thread share the right-hand side, as in Slack.
      const search = document.getElementById("search-panel");
      const searchClose = document.getElementById("search-close");
      if (search && !search.hidden && searchClose) searchClose.click();
      if (prev) refreshMain(prev.v, prev.seq, true);
      refreshMain(v, seq, true);
      ui.app.classList.add("thread-open");
      ui.panel.hidden = false;
      fetchThread();
      ui.threadComposer.value = drafts.get(v.name + "/" + seq) || "";
      threadComposerChanged();
      renderPanel(true);
      ui.threadComposer.focus();
    }

    function fetchThread() {
      const id = core.newId("x");
      if (!core.send({ type: "thread", id, payload: { channel: panel.v.name, seq: panel.seq } })) return;
      panel.req = id;
      reqs.set(id, { kind: "thread", v: panel.v, seq: panel.seq });
    }

    function saveDraft() {
      if (!panel) return;
      const key = panel.v.name + "/" + panel.seq;
      if (ui.threadComposer.value) drafts.set(key, ui.threadComposer.value); else drafts.delete(key);
    }

    function closeThread() {
      if (!panel) return;
      saveDraft();
      const p = panel;
      panel = null;
      if (editing && editing.place === "thread") editing = null;
      ui.panel.hidden = true;
      ui.app.classList.remove("thread-open");
      ui.threadParent.textContent = "";
      ui.threadReplies.textContent = "";
      refreshMain(p.v, p.seq, true);
      const main = document.getElementById("composer");
      if (main && !main.disabled) main.focus();
    }

    function onThread(p, m) {
      const v = core.views.get(p.channel);
      const r = m.id !== undefined ? reqs.get(m.id) : null;
      if (r) reqs.delete(m.id);
      if (!v || !Number.isInteger(p.seq)) return;
      const list = Array.isArray(p.messages) ? p.messages : [];
      for (const raw of list) {
        if (!raw || !Number.isInteger(raw.seq) || typeof raw.text !== "string") continue;
        if (raw.seq === p.seq) {
          if (!v.messages.has(raw.seq) && !st(v).extra.has(raw.seq)) {
            st(v).extra.set(raw.seq, {
              seq: raw.seq, user: typeof raw.user === "string" ? raw.user : "unknown", text: raw.text,
              ts: Number.isFinite(raw.ts) ? raw.ts : Date.now(), mentions: mentionsOf(raw), channel: v.name,
            });
          }
        } else if (raw.thread === p.seq) {
          addReply(v, raw); // not note(): a thread's replies are not a page of the channel
        }
      }
      if (panel && panel.v === v && panel.seq === p.seq) {
        if (panel.req === m.id) panel.req = null;
        renderPanel();
      }
    }

    function nearBottom(s) { return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX; }

    function panelRow(m, prev) {
      let row;
      inPanel = true;
      try { row = core.renderMessage(m, null); } finally { inPanel = false; }
      row.dataset.testid = "thread-msg";
      const grouped = prev && prev.user === m.user && Math.abs(m.ts - prev.ts) < GROUP_GAP_MS &&
        new Date(prev.ts).toDateString() === new Date(m.ts).toDateString();
      row.classList.toggle("is-grouped", !!grouped);
      return row;
    }

    // The panel is small (a thread has at most a few hundred replies): drawn whole.
    function renderPanel(toBottom) {
      panelDirty = false;
      if (!panel) return;
      const { v, seq } = panel;
      const sc = ui.threadScroller;
      const stick = toBottom || nearBottom(sc);
      const top = sc.scrollTop;
      const active = document.activeElement;
      const refocus = active && active.classList.contains("edit-input") && ui.panel.contains(active);
      ui.threadSub.textContent = core.title(v);
      ui.threadParent.textContent = "";
      ui.threadReplies.textContent = "";
      const parent = find(v, seq);
      if (parent) ui.threadParent.append(panelRow(parent, null));
      else ui.threadParent.append(el("div", "loading", panel.failed ? "This message is not available." : "Loading the thread…"));
      const set = v.mx && v.mx.replies.get(seq);
      const list = set ? Array.from(set.values()).sort((a, b) => a.seq - b.seq) : [];
      const count = Math.max(list.length, threadInfo(v, seq).count);
      ui.threadDivider.hidden = !count;
      ui.threadDivider.firstChild.textContent = count === 1 ? "1 reply" : count + " replies";
      let prev = null;
      for (const r of list) {
        ui.threadReplies.append(panelRow(r, prev));
        prev = r;
      }
      for (const [, q] of reqs) {
        if (q.kind !== "reply" || q.v !== v || q.seq !== seq) continue;
        const row = core.renderMessage({ user: core.user(), text: q.text, ts: q.ts }, { view: v });
        row.dataset.testid = "thread-pending";
        ui.threadReplies.append(row);
      }
      if (panel.req && parent) ui.threadReplies.append(el("div", "loading", "Loading replies…"));
      if (stick) sc.scrollTop = sc.scrollHeight; else sc.scrollTop = top;
      if (refocus) {
        const ta = ui.panel.querySelector(".edit-input");
        if (ta) { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); }
      }
    }

    function threadComposerChanged() {
      const c = ui.threadComposer;
      c.style.height = "auto";
      c.style.height = Math.min(c.scrollHeight, 200) + "px";
      ui.threadSend.disabled = !core.joined() || !c.value.trim();
    }

    function sendReply() {
      if (!panel) return;
      const text = ui.threadComposer.value.replace(/\s+$/, "");
      if (!text.trim()) return;
      if (Array.from(text).length > MAX_TEXT) {
        core.toast("That reply is too long (" + MAX_TEXT + " characters at most).", "error");
        return;
      }
      const { v, seq } = panel;
      const id = request("reply", "msg", { channel: v.name, text, thread: seq }, { v, seq, text, ts: Date.now() });
      if (!id) return;
      ui.threadComposer.value = "";
      drafts.delete(v.name + "/" + seq);
      threadComposerChanged();
      renderPanel(true);
    }

    function onThreadComposerKey(ev) {
      if (suggestKey(ev)) return;
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        sendReply();
      } else if (ev.key === "ArrowUp" && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey &&
                 !ev.isComposing && ui.threadComposer.value === "" && panel) {
        if (editLast(panel.v, "thread")) ev.preventDefault();
      }
    }

    /* ---------- answers to our requests ---------- */

    function onAck(p, m) {
      const r = reqs.get(m.id);
      if (!r) return;
      reqs.delete(m.id);
      if (r.kind === "reply" && Number.isInteger(p.seq)) {
        note(r.v, p.seq);
        const had = panel && panel.v === r.v && panel.seq === r.seq;
        if (!addReply(r.v, { seq: p.seq, user: core.user(), text: r.text, ts: p.ts, thread: r.seq }) && had) renderPanel();
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
        replyFailed(r);
      } else if (r.kind === "thread" && panel && panel.v === r.v && panel.seq === r.seq) {
        panel.req = null;
        panel.failed = true;
        renderPanel();
        return code === "no_such_message"; // a deleted parent: the panel says so
      }
      return false;
    }

    // A reply that was not stored goes back into its composer, where it can be sent again.
    function replyFailed(r) {
      if (panel && panel.v === r.v && panel.seq === r.seq) {
        if (!ui.threadComposer.value) { ui.threadComposer.value = r.text; threadComposerChanged(); }
        renderPanel();
      } else {
        const key = r.v.name + "/" + r.seq;
        if (!drafts.get(key)) drafts.set(key, r.text);
      }
    }

    /* ---------- mentions and notifications ---------- */

    // A welcome starts a connection: what was in flight is lost, and unread mention counts
    // come again (a `mentions` frame follows the join when there are any).
    function welcome() {
      for (const [id, r] of Array.from(reqs)) {
        reqs.delete(id);
        if (r.kind === "reply") {
          replyFailed(r);
          core.toast("A reply was not sent: the connection dropped. It is back in the thread's box.", "error");
        } else if (r.kind === "edit") {
          const f = folded(r.v, r.seq);
          if (f && f.local && f.local.id === id) { f.local = null; refresh(r.v, r.seq); }
        }
      }
      for (const v of core.views.values()) v.mentions = 0;
      renderNotify();
      if (panel && core.views.get(panel.v.name) === panel.v) fetchThread();
      else if (panel) closeThread();
      if (panel) threadComposerChanged();
    }

    function onMentions(p) {
      const counts = p.channels && typeof p.channels === "object" ? p.channels : {};
      const cur = core.current();
      for (const name of Object.keys(counts)) {
        const v = core.views.get(name);
        const n = counts[name];
        if (!v || !Number.isInteger(n) || n < 0) continue;
        v.mentions = v === cur && !document.hidden ? 0 : n; // the shown channel is being read
      }
      core.renderList();
    }

    // Every live `msg` (app.js's onMsg), before it is added: one new to this page that
    // mentions the user counts in the sidebar unless its channel is being read, and is a
    // desktop notification unless the reader is looking at it.
    function live(v, p) {
      if (!Number.isInteger(p.seq) || typeof p.text !== "string" || p.user === core.user()) return;
      if (v.messages.has(p.seq) || (v.mx && v.mx.extra.has(p.seq))) return;
      if (p.seq <= (v.info.lastSeq || 0)) return; // a resumed one: the server's count has it
      if (!mentionsMe(nameList(p.mentions))) return;
      const shown = v === core.current();
      if (!shown || document.hidden) {
        v.mentions = (v.mentions || 0) + 1;
        core.renderList();
      }
      if (document.hidden || !shown) notify(v, p);
    }

    function notify(v, p) {
      const N = window.Notification;
      if (!N || N.permission !== "granted") return;
      const title = v.info.kind === "dm" ? p.user : p.user + " in " + core.title(v);
      const body = Array.from(p.text).slice(0, NOTIFY_BODY).join("");
      try {
        const n = new N(title, { body, tag: "parley-" + v.name + "-" + p.seq });
        n.onclick = () => {
          window.focus();
          core.show(v.name);
          if (Number.isInteger(p.thread)) openThread(v, p.thread);
          if (n.close) n.close();
        };
      } catch (e) { /* some mobile browsers only notify from a service worker */ }
    }

    function renderNotify() {
      const N = window.Notification;
      ui.notify.hidden = !N || N.permission !== "default";
    }

    function enableNotify() {
      const N = window.Notification;
      if (!N || !N.requestPermission) return;
      const done = (answer) => {
        renderNotify();
        if (answer === "granted") core.toast("Desktop notifications are on for mentions.", "info");
        else if (answer === "denied") core.toast("Notifications are blocked: allow them in the browser's site settings.", "info");
      };
      try {
        const r = N.requestPermission(done); // older Safari: callback only
        if (r && r.then) r.then(done);
      } catch (e) { renderNotify(); }
    }

    /* ---------- @-autocomplete in both composers ---------- */

    const MENTIONABLE = /^[^\s!-/:-@[-^`{-~]+$/u; // what the server reads as one @name
    let suggest = null;         // the open list: { box, input, v, start, items, index }

    // People one may mention: who is online, the channel's people, recent authors.
    function candidates(v) {
      const names = new Set(core.online());
      if (v) {
        for (const u of v.info.users || []) names.add(u);
        for (let i = Math.max(0, v.seqs.length - 200); i < v.seqs.length; i++) {
          const m = v.messages.get(v.seqs[i]);
          if (m) names.add(m.user);
        }
      }
      names.delete(core.user());
      return Array.from(names).filter((n) => MENTIONABLE.test(n)).sort((a, b) => a.localeCompare(b));
    }

    // The "@word" that ends at the caret, or null.
    function atToken(input) {
      const pos = input.selectionStart;
      if (pos !== input.selectionEnd) return null;
      const m = /(^|[^\p{L}\p{N}_])@([^\s!-/:-@[-^`{-~]*)$/u.exec(input.value.slice(0, pos));
      return m ? { start: pos - m[2].length - 1, query: m[2].toLowerCase() } : null;
    }

    function updateSuggest(input, v) {
      const tok = v && atToken(input);
      if (!tok) { closeSuggest(); return; }
      const people = candidates(v).filter((n) => n.toLowerCase().startsWith(tok.query)).slice(0, 8);
      const all = v.info.kind === "dm" ? [] : EVERYONE.filter((n) => n.startsWith(tok.query));
      const items = people.concat(all);
      if (!items.length) { closeSuggest(); return; }
      if (!suggest || suggest.input !== input) {
        closeSuggest();
        const box = el("div", "mention-suggest");
        box.dataset.testid = "mention-suggest";
        box.setAttribute("role", "listbox");
        box.setAttribute("aria-label", "People to mention");
        document.body.append(box);
        suggest = { box, input, index: 0 };
      }
      Object.assign(suggest, { v, start: tok.start, items, index: Math.min(suggest.index, items.length - 1) });
      renderSuggest();
    }

    function renderSuggest() {
      const { box, input, items, index } = suggest;
      box.textContent = "";
      items.forEach((name, i) => {
        const b = el("button", "mention-option" + (i === index ? " is-selected" : ""));
        b.type = "button";
        b.dataset.testid = "mention-option";
        b.dataset.name = name;
        b.setAttribute("role", "option");
        b.setAttribute("aria-selected", String(i === index));
        const everyone = EVERYONE.includes(name);
        const face = everyone ? el("span", "mention-all", "@") : core.avatar(name, "avatar-xs");
        b.append(face, el("span", "mention-name", name));
        if (everyone) b.append(el("span", "mention-hint", name === "here" ? "Notify everyone online" : "Notify everyone in the channel"));
        else if (core.online().has(name)) b.append(el("span", "mention-online", ""));
        b.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the composer's focus
        b.addEventListener("click", () => acceptSuggest(i));
        box.append(b);
      });
      const r = (input.closest("form") || input).getBoundingClientRect();
      box.style.left = r.left + "px";
      box.style.width = Math.min(r.width, 340) + "px";
      box.style.bottom = (window.innerHeight - r.top + 6) + "px";
    }

    function acceptSuggest(i) {
      const { input, start, items } = suggest;
      const name = items[i];
      const end = input.selectionStart;
      input.value = input.value.slice(0, start) + "@" + name + " " + input.value.slice(end);
      const caret = start + name.length + 2;
      input.setSelectionRange(caret, caret);
      closeSuggest();
      input.focus();
      input.dispatchEvent(new Event("input", { bubbles: true })); // the composers resize, typing goes out
    }

    function closeSuggest() {
      if (!suggest) return;
      suggest.box.remove();
      suggest = null;
    }

    // A key in a composer while the list is open: true when the list took it.
    function suggestKey(ev) {
      if (!suggest || suggest.input !== ev.target || ev.isComposing) return false;
      const n = suggest.items.length;
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        suggest.index = (suggest.index + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
        renderSuggest();
      } else if ((ev.key === "Enter" && !ev.shiftKey) || ev.key === "Tab") {
        acceptSuggest(suggest.index);
      } else if (ev.key === "Escape") {
        closeSuggest();
      } else {
        return false;
      }
      ev.preventDefault();
      ev.stopImmediatePropagation(); // not app.js's Enter, not the document's Escape
      return true;
    }

    /* ---------- app.js's view life cycle ---------- */

    // The list was emptied to be filled again: a jump to an old message (search.js), or a
    // resume the server could not serve. What was folded stays (it is keyed by seq and the
    // pages that come back bring their events again, which fold idempotently); only the
    // range the pages covered starts over.
    function cleared(v) {
      v.extraLow = null;
      v.extraHigh = 0;
      if (panel && panel.v === v) { panel.failed = false; fetchThread(); renderPanel(); }
    }

    function gone(v) {
      if (panel && panel.v === v) closeThread();
      if (editing && editing.v === v) editing = null;
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
      const inner = suggest ? closeSuggest : picker ? () => closePicker(true) : editing ? cancelEdit : null;
      if (inner) {
        ev.preventDefault();
        ev.stopPropagation();
        inner();
        return;
      }
      const search = document.getElementById("search-panel");
      if (search && !search.hidden) return;
      if (panel) closeThread();
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
      ui.threadClose.addEventListener("click", closeThread);
      ui.threadForm.addEventListener("submit", (ev) => { ev.preventDefault(); sendReply(); });
      ui.threadComposer.addEventListener("input", () => {
        threadComposerChanged();
        updateSuggest(ui.threadComposer, panel && panel.v);
      });
      ui.threadComposer.addEventListener("blur", closeSuggest);
      ui.threadComposer.addEventListener("keydown", onThreadComposerKey);
      const main = document.getElementById("composer");
      if (main) {
        main.addEventListener("keydown", onMainComposerKey);
        main.addEventListener("input", () => updateSuggest(main, core.current()));
        main.addEventListener("blur", closeSuggest);
      }
      ui.notify.addEventListener("click", enableNotify);
      ui.deleteConfirm.addEventListener("click", onDeleteConfirm);
      ui.deleteDialog.addEventListener("close", () => { deleting = null; });
      ui.deleteDialog.addEventListener("click", (ev) => { if (ev.target === ui.deleteDialog) ui.deleteDialog.close(); });
      ui.deleteDialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => ui.deleteDialog.close()));
      document.addEventListener("keydown", onKey, true);
      document.addEventListener("pointerdown", onPointerDown, true);
      document.addEventListener("click", onTap);
      window.addEventListener("resize", () => { closePicker(false); closeSuggest(); });
      document.addEventListener("visibilitychange", renderNotify);
    }

    bind();
    listen();
    renderNotify();

    const onEvent = (kind) => (p) => {
      const v = core.views.get(typeof p.channel === "string" && p.channel ? p.channel : core.GENERAL);
      if (!v || !Number.isInteger(p.seq)) return;
      claim(v, Object.assign({}, p, { kind }));
    };

    return {
      handlers: { thread: onThread, edit: onEvent("edit"), delete: onEvent("delete"),
        react: onEvent("react"), mentions: onMentions },
      claim, adopt, decorateRow, live, onAck, onError, welcome, cleared, gone,
    };
  };
})();
