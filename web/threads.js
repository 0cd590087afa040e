/*
 * parley web client: the thread panel.
 *
 * A thread opens beside the messages (Slack's layout, shared with search.js's results):
 * its parent, its replies and a composer of its own. It speaks the `thread` request and
 * answer and sends replies as `msg` with `thread` (docs/protocol.md, "Threads, edits,
 * deletes, reactions"). Also the reply-count button a parent shows in the main list.
 *
 * messages.js calls window.parleyThreads(part) once when it is built and keeps the data
 * this panel draws from (v.mx.replies, v.mx.summary, v.mx.extra: see its header), the
 * requests in flight (part.reqs) and what is open now (part.ctx.panel: { v, seq, req,
 * failed }, set only here). The panel is small, a thread has at most a few hundred
 * replies, so it is drawn whole, once per batch of changes (schedulePanel).
 *
 * Text from the network goes into the page only through textContent.
 */
(function () {
  "use strict";

  const MAX_TEXT = 4000;
  const GROUP_GAP_MS = 5 * 60 * 1000;
  const NEAR_BOTTOM_PX = 80;

  window.parleyThreads = function (part) {
    const { core, ui, ctx, reqs, st, find, addReply, refreshMain, closePicker, request, editLast } = part;
    const { el } = core;
    const { mentionsOf, suggestKey } = part.mentions;
    let panelDirty = false;     // the panel waits to be drawn again, once per batch of changes
    const drafts = new Map();   // "channel/seq" -> the thread composer's unsent text

    /* ---------- a parent's reply count ---------- */

    function shortWhen(ts) {
      const d = new Date(ts), now = new Date();
      if (d.toDateString() === now.toDateString()) return core.hhmm(ts);
      return d.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + " " + core.hhmm(ts);
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

    function schedulePanel() {
      if (panelDirty) return;
      panelDirty = true;
      queueMicrotask(() => { if (panelDirty) renderPanel(); });
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

    /* ---------- the thread panel ---------- */

    function openThread(v, seq) {
      closePicker(false);
      if (ctx.panel && ctx.panel.v === v && ctx.panel.seq === seq) { ui.threadComposer.focus(); return; }
      const prev = ctx.panel;
      if (prev) saveDraft();
      if (ctx.editing && ctx.editing.place === "thread") ctx.editing = null;
      ctx.panel = { v, seq, req: null, failed: false };
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
      if (!core.send({ type: "thread", id, payload: { channel: ctx.panel.v.name, seq: ctx.panel.seq } })) return;
      ctx.panel.req = id;
      reqs.set(id, { kind: "thread", v: ctx.panel.v, seq: ctx.panel.seq });
    }

    function saveDraft() {
      if (!ctx.panel) return;
      const key = ctx.panel.v.name + "/" + ctx.panel.seq;
      if (ui.threadComposer.value) drafts.set(key, ui.threadComposer.value); else drafts.delete(key);
    }

    function closeThread() {
      if (!ctx.panel) return;
      saveDraft();
      const p = ctx.panel;
      ctx.panel = null;
      if (ctx.editing && ctx.editing.place === "thread") ctx.editing = null;
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
      if (ctx.panel && ctx.panel.v === v && ctx.panel.seq === p.seq) {
        if (ctx.panel.req === m.id) ctx.panel.req = null;
        renderPanel();
      }
    }

    function nearBottom(s) { return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX; }

    function panelRow(m, prev) {
      let row;
      ctx.inPanel = true;
      try { row = core.renderMessage(m, null); } finally { ctx.inPanel = false; }
      row.dataset.testid = "thread-msg";
      const grouped = prev && prev.user === m.user && Math.abs(m.ts - prev.ts) < GROUP_GAP_MS &&
        new Date(prev.ts).toDateString() === new Date(m.ts).toDateString();
      row.classList.toggle("is-grouped", !!grouped);
      return row;
    }

    // The panel is small (a thread has at most a few hundred replies): drawn whole.
    function renderPanel(toBottom) {
      panelDirty = false;
      if (!ctx.panel) return;
      const { v, seq } = ctx.panel;
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
      else ui.threadParent.append(el("div", "loading", ctx.panel.failed ? "This message is not available." : "Loading the thread…"));
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
      if (ctx.panel.req && parent) ui.threadReplies.append(el("div", "loading", "Loading replies…"));
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
      if (!ctx.panel) return;
      const text = ui.threadComposer.value.replace(/\s+$/, "");
      if (!text.trim()) return;
      if (Array.from(text).length > MAX_TEXT) {
        core.toast("That reply is too long (" + MAX_TEXT + " characters at most).", "error");
        return;
      }
      const { v, seq } = ctx.panel;
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
                 !ev.isComposing && ui.threadComposer.value === "" && ctx.panel) {
        if (editLast(ctx.panel.v, "thread")) ev.preventDefault();
      }
    }

    // A reply that was not stored goes back into its composer, where it can be sent again.
    function replyFailed(r) {
      if (ctx.panel && ctx.panel.v === r.v && ctx.panel.seq === r.seq) {
        if (!ui.threadComposer.value) { ui.threadComposer.value = r.text; threadComposerChanged(); }
        renderPanel();
      } else {
        const key = r.v.name + "/" + r.seq;
        if (!drafts.get(key)) drafts.set(key, r.text);
      }
    }

    return {
      openThread, closeThread, fetchThread, onThread, renderPanel, schedulePanel, replyFailed,
      threadComposerChanged, sendReply, onThreadComposerKey, threadInfo, threadButton,
    };
  };
})();
