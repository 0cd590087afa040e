/*
 * parley web client: channels.
 *
 * The sidebar's channel and direct-message lists with unread badges, the channel header
 * (name, topic, member count, invite, leave), the create / browse / invite / topic
 * dialogs, read markers, and the toasts that show the server's errors. It speaks the
 * "Channels" and "Read markers" parts of docs/protocol.md. Message lists stay in list.js;
 * app.js calls window.parleyChannels(core) once at start and routes the channel frames
 * (`channel`, `channel_left`, `channels`, `topic`, `invited`, `read`) to the handlers
 * returned here. The factory's closure is this module's scope, as app.js's IIFE is its.
 *
 * A request made from a dialog is remembered in `reqs` by kind, with its id and the
 * channel (and user) it was about. Its answer is recognised by the id or, for answers that
 * go to every tab and may come without it, by that channel: the answer closes the dialog
 * that asked, and an error lands in the dialog rather than in a toast. Background
 * requests (member counts, read markers) get ids starting with "q" and fail silently.
 *
 * Features the server may not have yet are used only once its welcome shows them:
 * channel descriptions with `kind` (member-count refreshes, direct messages) and with
 * `read_seq` (read markers). An older server still gets a working #general.
 */
(function () {
  "use strict";

  const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,79}$/;  // the server's rule (Slack's)
  const MAX_NAME = 80;
  const MAX_TOPIC = 250;                         // characters, as the server counts them
  const MAX_USER = 32;
  const TOAST_MS = 7000;
  const MAX_TOASTS = 4;
  const COUNT_REFRESH_MS = 1000;                 // at most one member-count query a second
  const GENERAL_REFRESH_MS = 5000;               // #general: arrivals are mostly presence
  const READ_DELAY_MS = 500;                     // read markers: at most two a second

  // 20x20 stroked icons, drawn in currentColor.
  const ICONS = {
    lock: ["M6.5 9V6.8a3.5 3.5 0 0 1 7 0V9", "M5 9h10v8H5z"],
    plus: ["M10 4.5v11M4.5 10h11"],
    search: ["M8.8 14.1a5.3 5.3 0 1 0 0-10.6 5.3 5.3 0 0 0 0 10.6z", "M12.7 12.7 16.5 16.5"],
    userPlus: ["M7.5 9.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M2 17a5.5 5.5 0 0 1 11 0", "M16 6.5v6M13 9.5h6"],
    leave: ["M8 3.5H5a1 1 0 0 0-1 1v11a1 1 0 0 0 1 1h3", "M12.5 6.5 16 10l-3.5 3.5", "M16 10H8"],
    pencil: ["M12.5 4.5l3 3L7 16H4v-3z"],
    users: ["M7.5 9.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M2 17a5.5 5.5 0 0 1 11 0",
            "M12.5 3.7a3 3 0 0 1 0 5.6", "M15 12a5.5 5.5 0 0 1 3 5"],
    close: ["M5 5l10 10M15 5 5 15"],
  };

  const DIALOG_TEXT = {
    too_large: "Topics are at most 250 characters.",
    bad_name: "That is not a valid user name.",
    forbidden: "You are not allowed to do that in this channel.",
  };

  window.parleyChannels = function (core) {
    const { el, send, newId, charCount, GENERAL } = core;
    const ui = {};
    const reqs = {};           // kind -> { id, channel, user } of the request in flight
    const items = new Map();   // channel name -> its sidebar <li>
    let supported = false;     // the welcome described channels (kind, members)
    let reads = false;         // ... and read markers (read_seq)
    let countTimer = 0;
    let browseList = null;     // the `channels` answer the browse dialog shows

    /* ---------- small helpers ---------- */

    function svg(name) {
      return core.icon(ICONS[name]);
    }

    function isDm(v) { return v.info.kind === "dm"; }

    // The other people of a direct message (all of them if the list is odd).
    function dmPeople(v) {
      const others = v.info.users.filter((u) => u !== core.user());
      return others.length ? others : v.info.users.slice();
    }

    // How a channel is named to the reader: "#design", or "ada, grace" for a DM.
    function title(v) {
      return isDm(v) ? dmPeople(v).join(", ") || "Direct message" : "#" + v.name;
    }

    // What goes before a channel's name: "#", a lock, or the other person's avatar.
    function markFor(kind, v) {
      const mark = el("span", "hash");
      mark.setAttribute("aria-hidden", "true");
      if (kind === "private") {
        mark.append(svg("lock"));
      } else if (kind === "dm" && v) {
        mark.classList.add("is-face");
        const people = dmPeople(v);
        if (people.length === 1) mark.append(core.avatar(people[0], "avatar-xs"));
        else mark.append(svg("users"));
      } else {
        mark.textContent = "#";
      }
      return mark;
    }

    function membersText(n) { return n === 1 ? "1 member" : n + " members"; }

    function showError(node, text) {
      node.textContent = text;
      node.hidden = false;
    }

    function hideError(node) { node.hidden = true; node.textContent = ""; }

    // Sends a request and remembers what it was for; false when there is no connection.
    function request(kind, type, payload) {
      const id = newId(kind.charAt(0));
      if (!send({ type, id, payload })) return false;
      reqs[kind] = { id, channel: payload.channel || payload.name || "", user: payload.user || "" };
      return true;
    }

    // A request nobody waits for: its answer updates state like any other frame.
    function quiet(type, payload) { send({ type, id: newId("q"), payload }); }

    // Whether frame m answers our request of this kind: by id, or by the channel (and
    // user) it was about. A match ends the request.
    function answers(kind, m, channel, user) {
      const r = reqs[kind];
      if (!r) return false;
      const byId = m.id !== undefined && m.id === r.id;
      const byName = channel !== undefined && r.channel === channel && (!r.user || r.user === user);
      if (!byId && !byName) return false;
      delete reqs[kind];
      return true;
    }

    /* ---------- channel facts ---------- */

    // fromWelcome: the server's unread count applies even to the channel shown now (the
    // welcome may be followed by a switch to the channel the reader was last in).
    function updateInfo(v, c, fromWelcome) {
      if (["public", "private", "dm"].includes(c.kind)) v.info.kind = c.kind;
      if (typeof c.topic === "string") v.info.topic = c.topic;
      if (Number.isInteger(c.members)) v.info.members = c.members;
      if (Array.isArray(c.users)) v.info.users = c.users.filter((u) => typeof u === "string");
      if (Number.isInteger(c.read_seq)) v.info.readSeq = Math.max(v.info.readSeq || 0, c.read_seq);
      // The server's count wins over ours: it knows what other tabs read.
      if (Number.isInteger(c.unread) && (fromWelcome || v !== core.current())) v.unread = c.unread;
      if (Number.isInteger(c.last_seq)) {
        v.info.lastSeq = c.last_seq;
        // An empty channel we are in has nothing to fetch: all of it will come live.
        if (c.last_seq === 0 && !v.synced) {
          v.synced = true;
          v.hasOlder = false;
          core.historyChanged(v);
        }
      }
      v.countStale = false;
    }

    function applyWelcome(list) {
      const listed = new Set([GENERAL]);
      for (const c of list) {
        if (!c || typeof c.name !== "string" || !c.name) continue;
        listed.add(c.name);
        updateInfo(core.ensureView(c.name), c, true);
      }
      core.ensureView(GENERAL);
      for (const name of Array.from(core.views.keys())) if (!listed.has(name)) core.dropView(name);
      supported = list.some((c) => c && typeof c.kind === "string");
      reads = list.some((c) => c && Number.isInteger(c.read_seq));
      renderList();
      renderHeader();
    }

    // Member counts come only with channel descriptions, and a join or leave in a channel
    // other than #general may be presence or membership: ask the server again, lazily.
    function scheduleCountRefresh(delay) {
      if (!supported || countTimer) return;
      countTimer = setTimeout(() => {
        countTimer = 0;
        quiet("channel_list", {});
      }, delay || COUNT_REFRESH_MS);
    }

    /* ---------- read markers ---------- */

    // What the shown channel holds counts as read while the page is visible: the marker
    // moves forward only, at most twice a second per channel, and every tab's badge
    // follows it. Each channel keeps the newest seq it showed, so a quick switch to
    // another channel neither loses that nor marks what came in after it.
    function viewed(v) {
      if (!reads || document.hidden || v !== core.current()) return;
      if (v.mentions) { v.mentions = 0; renderList(); } // read: its mentions are too
      v.readUpTo = Math.max(v.readUpTo, core.maxSeq(v));
      if (v.readTimer || v.readUpTo <= (v.info.readSeq || 0)) return;
      v.readTimer = setTimeout(() => {
        v.readTimer = 0;
        if (!core.joined() || !core.views.has(v.name) || v.readUpTo <= (v.info.readSeq || 0)) return;
        v.info.readSeq = v.readUpTo;
        quiet("read", { channel: v.name, seq: v.readUpTo });
      }, READ_DELAY_MS);
    }

    // A message was added to v (list.js). A direct message shows up in the sidebar with
    // its first message; the shown channel's new messages are read.
    function arrived(v) {
      if (isDm(v) && !items.has(v.name)) renderList();
      viewed(v);
    }

    function onRead(p) {
      const v = core.views.get(p.channel);
      if (!v || !Number.isInteger(p.seq)) return;
      v.info.readSeq = Math.max(v.info.readSeq || 0, p.seq);
      if (v === core.current()) return;
      const latest = Math.max(v.info.lastSeq || 0, core.maxSeq(v));
      v.unread = Math.max(0, latest - v.info.readSeq);
      if (!v.unread) v.mentions = 0; // read up to the end in another tab
      renderList();
    }

    /* ---------- frames from the server ---------- */

    function onChannel(p, m) {
      const c = p.channel;
      if (!c || typeof c !== "object" || typeof c.name !== "string" || !c.name) return;
      const v = core.ensureView(c.name);
      updateInfo(v, c);
      const mine = answers("create", m, c.name) || answers("join", m, c.name) || answers("dm", m);
      renderList();
      if (mine) {
        closeDialogs();
        core.show(c.name);
        core.closeSidebar();
      } else if (v === core.current()) {
        renderHeader();
      }
      if (ui.browseDialog.open && browseList) renderBrowse(); // "Join" may now be "Open"
    }

    function onChannelLeft(p, m) {
      const name = typeof p.channel === "string" ? p.channel : p.channel && p.channel.name;
      if (typeof name !== "string" || !core.views.has(name) || name === GENERAL) return;
      const mine = answers("leave", m, name);
      core.dropView(name);
      items.delete(name);
      renderList();
      renderHeader();
      if (mine) toast("You left #" + name + ".", "info");
      if (ui.browseDialog.open && browseList) renderBrowse();
    }

    function onChannels(p, m) {
      const list = (Array.isArray(p.channels) ? p.channels : [])
        .filter((c) => c && typeof c.name === "string" && c.name);
      for (const c of list) {
        const v = core.views.get(c.name);
        if (v && c.member !== false) updateInfo(v, c);
      }
      renderList();
      renderHeader();
      if (answers("browse", m)) {
        browseList = list;
        renderBrowse();
      }
    }

    function onTopic(p, m) {
      const v = core.views.get(p.channel);
      if (!v || typeof p.topic !== "string") return;
      v.info.topic = p.topic;
      if (answers("topic", m, v.name)) closeDialog(ui.topicDialog);
      renderList(); // the item's tooltip shows the topic
      if (v === core.current()) {
        renderHeader();
        core.historyChanged(v); // the channel intro shows the topic too
      }
    }

    // The answer to channel_invite (also when the person was already in).
    function onInvited(p, m) {
      if (!answers("invite", m, p.channel, p.user)) return;
      closeDialog(ui.inviteDialog);
      setBusy("invite", false);
      toast("Added " + p.user + " to #" + p.channel + ".", "info");
      const v = core.views.get(p.channel);
      if (v === core.current()) scheduleCountRefresh();
    }

    // Called by app.js for every join and leave. Everyone is in #general for good, so only
    // a join can change its count there (someone new), and most joins are just presence:
    // it is refreshed less eagerly.
    function onPresence(p, m) {
      const v = core.views.get(typeof p.channel === "string" && p.channel ? p.channel : GENERAL);
      if (!v || isDm(v)) return;
      if (v.name === GENERAL && (m.type !== "join" || p.user === core.user())) return;
      const delay = v.name === GENERAL ? GENERAL_REFRESH_MS : COUNT_REFRESH_MS;
      if (v === core.current()) scheduleCountRefresh(delay);
      else v.countStale = true;
    }

    // Errors answering a dialog's request go into that dialog while it is open; returns
    // whether the error was shown (else app.js shows a toast).
    function onError(code, text, m) {
      if (m.id === undefined) return false;
      if (typeof m.id === "string" && m.id.charAt(0) === "q") return true; // background
      const where = {
        create: [ui.createDialog, ui.createError], invite: [ui.inviteDialog, ui.inviteError],
        topic: [ui.topicDialog, ui.topicError], browse: [ui.browseDialog, ui.browseError],
        join: [ui.browseDialog, ui.browseError],
      };
      for (const kind of Object.keys(where)) {
        if (!answers(kind, m)) continue;
        setBusy(kind, false);
        if (kind === "join") renderBrowse();
        const [dialog, box] = where[kind];
        if (!dialog.open) return false;
        const own = kind === "create" ? "" : DIALOG_TEXT[code];
        showError(box, (own || text) + " (" + code + ")");
        return true;
      }
      answers("dm", m);
      if (answers("leave", m)) renderHeader();
      return false;
    }

    // The socket went away: nothing in flight will be answered.
    function connectionLost() {
      clearTimeout(countTimer);
      countTimer = 0;
      for (const v of core.views.values()) {
        clearTimeout(v.readTimer);
        v.readTimer = 0;
      }
      const boxes = { create: ui.createError, invite: ui.inviteError, topic: ui.topicError,
        browse: ui.browseError, join: ui.browseError };
      for (const kind of Object.keys(reqs)) {
        delete reqs[kind];
        setBusy(kind, false);
        if (boxes[kind]) showError(boxes[kind], "The connection dropped before the server answered. Try again once parley is back.");
      }
      if (ui.browseDialog.open) renderBrowse();
      renderHeader();
    }

    // Signed out: a modal dialog would stay on top of the login screen.
    function signedOut() {
      connectionLost();
      closeDialogs();
      while (ui.toasts.firstChild) dismiss(ui.toasts.firstChild);
    }

    /* ---------- sidebar ---------- */

    function byName(a, b) {
      if (a.name === GENERAL || b.name === GENERAL) return a.name === GENERAL ? -1 : 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    }

    // A direct message is listed once it has a message, or while it is shown (just opened).
    function listedDm(v) {
      return v.seqs.length > 0 || (v.info.lastSeq || 0) > 0 || v === core.current();
    }

    function sidebarOrder() {
      const all = Array.from(core.views.values());
      const chans = all.filter((v) => !isDm(v)).sort(byName);
      const dms = all.filter((v) => isDm(v) && listedDm(v))
        .sort((a, b) => title(a).localeCompare(title(b)));
      return { chans, dms };
    }

    // Updates the lists in place, node by node, so a keyboard user's focus survives the
    // re-render that every message in another channel causes.
    function renderList() {
      const { chans, dms } = sidebarOrder();
      const keep = new Set(chans.concat(dms).map((v) => v.name));
      for (const [name, li] of items) if (!keep.has(name)) { li.remove(); items.delete(name); }
      fillList(ui.channelList, chans);
      fillList(ui.dmList, dms);
      ui.dmSection.hidden = dms.length === 0;
    }

    function fillList(list, views) {
      const cur = core.current();
      views.forEach((v, i) => {
        let li = items.get(v.name);
        if (!li) { li = makeItem(v.name); items.set(v.name, li); }
        fillItem(li.firstChild, v, v === cur);
        if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
      });
    }

    function makeItem(name) {
      const li = el("li");
      const a = el("a", "channel");
      a.href = "#" + name;
      a.dataset.testid = "channel-item";
      a.dataset.channel = name;
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        core.show(name);
        core.closeSidebar();
      });
      li.append(a);
      return li;
    }

    function fillItem(a, v, active) {
      const unread = active ? 0 : v.unread;
      a.className = "channel" + (active ? " is-active" : "") + (unread ? " has-unread" : "");
      if (active) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
      a.textContent = "";
      a.append(markFor(v.info.kind, v), el("span", "channel-name", isDm(v) ? title(v) : v.name));
      // Unread mentions (messages.js counts them) outrank the plain count: a red pill.
      const mentions = active ? 0 : v.mentions || 0;
      if (mentions) {
        const pill = el("span", "badge badge-mention", mentions > 99 ? "99+" : String(mentions));
        pill.dataset.testid = "channel-mention";
        pill.title = mentions === 1 ? "1 unread mention" : mentions + " unread mentions";
        a.classList.add("has-unread");
        a.append(pill);
      } else if (unread) {
        const badge = el("span", "badge", unread > 99 ? "99+" : String(unread));
        badge.dataset.testid = "channel-unread";
        badge.title = unread === 1 ? "1 unread message" : unread + " unread messages";
        a.append(badge);
      }
      a.title = v.info.topic ? title(v) + ": " + v.info.topic : title(v);
      // Read as "design, 2 unread" rather than "hash design 2".
      a.setAttribute("aria-label", title(v) + (unread ? ", " + unread + " unread" : "") +
        (mentions ? ", " + mentions + (mentions === 1 ? " mention" : " mentions") : ""));
    }

    // Alt+Up / Alt+Down walk the sidebar, as in Slack.
    function onKey(ev) {
      if (!ev.altKey || (ev.key !== "ArrowUp" && ev.key !== "ArrowDown")) return;
      if (!core.joined() || dialogs().some((d) => d.open)) return;
      const { chans, dms } = sidebarOrder();
      const order = chans.concat(dms);
      const i = order.indexOf(core.current());
      const next = order[(i + (ev.key === "ArrowDown" ? 1 : order.length - 1)) % order.length];
      if (!next) return;
      ev.preventDefault();
      core.show(next.name);
    }

    /* ---------- header and intro ---------- */

    function renderHeader() {
      const v = core.current();
      if (!v) return;
      const fixed = v.name === GENERAL || isDm(v); // nobody is invited to, or leaves, these
      const mark = markFor(v.info.kind, v);
      ui.headerMark.replaceWith(mark);
      ui.headerMark = mark;
      ui.headerName.textContent = isDm(v) ? title(v) : v.name;
      ui.topic.textContent = v.info.topic;
      ui.topicEdit.hidden = isDm(v);
      ui.topicEdit.title = v.info.topic ? "Edit the topic" : "Add a topic";
      ui.topicEdit.setAttribute("aria-label", v.info.topic ? "Edit the topic: " + v.info.topic : "Add a topic");
      const n = v.info.members;
      ui.members.textContent = Number.isInteger(n) ? membersText(n) : "";
      ui.membersWrap.hidden = !Number.isInteger(n);
      ui.membersWrap.classList.toggle("is-last", isDm(v)); // no topic follows the count
      ui.inviteOpen.hidden = fixed;
      ui.leave.hidden = fixed;
      ui.inviteOpen.title = "Add people to #" + v.name;
      ui.leave.title = "Leave #" + v.name;
      ui.leave.disabled = !!reqs.leave;
    }

    // The first lines of a channel, above its oldest message.
    function intro(v) {
      const box = el("div", "intro");
      const priv = v.info.kind === "private";
      const icon = el("div", "intro-icon");
      if (isDm(v)) icon.append(markFor("dm", v));
      else if (priv) icon.append(svg("lock"));
      else icon.textContent = "#";
      let lead;
      if (isDm(v)) lead = "This is the very beginning of your direct messages with " + title(v) + ".";
      else if (v.name === GENERAL) lead = "This is the very beginning of the #general channel. Say hello!";
      else lead = "This is the very beginning of the #" + v.name + " channel." +
        (priv ? " It is private: only people invited can see it." : "");
      box.append(icon, el("h2", "", isDm(v) ? title(v) : "Welcome to #" + v.name), el("p", "", lead));
      if (v.info.topic) box.append(el("p", "intro-topic", "Topic: " + v.info.topic));
      return box;
    }

    // list.js shows another channel.
    function shown(v) {
      renderList();
      renderHeader();
      if (v.countStale) scheduleCountRefresh();
      viewed(v);
    }

    /* ---------- direct messages ---------- */

    function canMessage() { return supported; }

    function openDm(user) {
      if (reqs.dm) return;
      // Already there: no need to ask (the server would answer with the same channel).
      for (const v of core.views.values()) {
        const people = isDm(v) ? dmPeople(v) : [];
        if (people.length === 1 && people[0] === user) {
          core.show(v.name);
          core.closeSidebar();
          return;
        }
      }
      if (!request("dm", "dm_open", { users: [user] })) {
        toast("Not connected: try again once parley has reconnected.", "error");
      }
    }

    /* ---------- dialogs ---------- */

    function dialogs() { return [ui.createDialog, ui.browseDialog, ui.inviteDialog, ui.topicDialog]; }

    function openDialog(d, focus) {
      closeDialogs();
      d.querySelectorAll(".form-error").forEach(hideError);
      d.showModal();
      if (focus) focus.focus();
    }

    function closeDialog(d) { if (d.open) d.close(); }

    function closeDialogs() { dialogs().forEach(closeDialog); }

    const BUSY = {
      create: ["createSubmit", "Create", "Creating…"],
      invite: ["inviteSubmit", "Add", "Adding…"],
      topic: ["topicSave", "Save", "Saving…"],
    };

    function setBusy(kind, on) {
      const b = BUSY[kind];
      if (!b) return;
      ui[b[0]].disabled = on;
      ui[b[0]].textContent = on ? b[2] : b[1];
    }

    function notConnected(box) {
      showError(box, "Not connected: try again once parley has reconnected.");
    }

    // Mirrors the server's rule, one reason at a time.
    function channelNameProblem(name) {
      if (!name) return "Give the channel a name.";
      if (name.length > MAX_NAME) return "Channel names are at most 80 characters.";
      if (!/^[a-z0-9]/.test(name)) return "Channel names start with a lowercase letter or a digit.";
      if (!NAME_RE.test(name)) return "Use only lowercase letters, digits, hyphens (-) and underscores (_).";
      return "";
    }

    function topicProblem(topic) {
      const n = charCount(topic);
      return n > MAX_TOPIC ? "Topics are at most 250 characters (this one has " + n + ")." : "";
    }

    function openCreate() {
      ui.createName.value = "";
      ui.createName.setAttribute("aria-invalid", "false");
      ui.createTopic.value = "";
      ui.createPrivate.checked = false;
      setBusy("create", !!reqs.create);
      openDialog(ui.createDialog, ui.createName);
    }

    // Slack's habit: typing "Plan Budget" gives "plan-budget". Anything else the rule
    // refuses is pointed out as it is typed, without waiting for the submit.
    function onCreateNameInput() {
      const box = ui.createName;
      const fixed = box.value.toLowerCase().replace(/\s/g, "-");
      if (fixed !== box.value) {
        const at = box.selectionStart;
        box.value = fixed;
        box.setSelectionRange(at, at);
      }
      const problem = fixed ? channelNameProblem(fixed) : "";
      box.setAttribute("aria-invalid", problem ? "true" : "false");
      if (problem) showError(ui.createError, problem); else hideError(ui.createError);
    }

    function onCreateSubmit(ev) {
      ev.preventDefault();
      if (reqs.create) return;
      const name = ui.createName.value;
      const topic = ui.createTopic.value.trim();
      let problem = channelNameProblem(name) || topicProblem(topic);
      if (!problem && core.views.has(name)) problem = "You are already in #" + name + ".";
      if (problem) {
        showError(ui.createError, problem);
        (channelNameProblem(name) || core.views.has(name) ? ui.createName : ui.createTopic).focus();
        return;
      }
      const payload = { name, private: ui.createPrivate.checked };
      if (topic) payload.topic = topic;
      if (!request("create", "channel_create", payload)) { notConnected(ui.createError); return; }
      hideError(ui.createError);
      setBusy("create", true);
    }

    function openBrowse() {
      browseList = null;
      ui.browseFilter.value = "";
      openDialog(ui.browseDialog, ui.browseFilter);
      if (!request("browse", "channel_list", {})) notConnected(ui.browseError);
      renderBrowse();
    }

    function renderBrowse() {
      ui.browseList.textContent = "";
      if (!browseList) {
        ui.browseStatus.textContent = reqs.browse ? "Loading channels…" : "";
        return;
      }
      const q = ui.browseFilter.value.trim().toLowerCase().replace(/^#/, "");
      const rows = browseList.filter((c) => c.kind !== "dm" && (!q || c.name.includes(q) ||
        (typeof c.topic === "string" && c.topic.toLowerCase().includes(q))));
      if (!rows.length) {
        ui.browseStatus.textContent = q ? "No channel matches “" + q + "”." : "No channels yet: create the first one.";
      } else {
        ui.browseStatus.textContent = rows.length === 1 ? "1 channel" : rows.length + " channels";
      }
      for (const c of rows) ui.browseList.append(browseRow(c));
    }

    function browseRow(c) {
      const member = core.views.has(c.name);
      const li = el("li", "browse-item");
      li.dataset.testid = "channel-browse-item";
      li.dataset.channel = c.name;
      const main = el("div", "browse-main");
      const head = el("div", "browse-name");
      head.append(markFor(c.kind), el("span", "", c.name));
      if (member) head.append(el("span", "pill", "Joined"));
      const facts = [];
      if (Number.isInteger(c.members)) facts.push(membersText(c.members));
      if (typeof c.topic === "string" && c.topic) facts.push(c.topic);
      main.append(head, el("div", "browse-meta", facts.join(" · ")));
      const joining = reqs.join && reqs.join.channel === c.name;
      const btn = el("button", member ? "btn-secondary btn-small" : "btn-primary btn-small",
        member ? "Open" : joining ? "Joining…" : "Join");
      btn.type = "button";
      btn.disabled = !!joining;
      if (!member) btn.dataset.testid = "channel-browse-join";
      btn.addEventListener("click", () => (member ? openChannel(c.name) : joinChannel(c.name)));
      li.append(main, btn);
      return li;
    }

    function openChannel(name) {
      closeDialogs();
      core.show(name);
      core.closeSidebar();
    }

    function joinChannel(name) {
      if (reqs.join) return;
      hideError(ui.browseError);
      if (!request("join", "channel_join", { channel: name })) notConnected(ui.browseError);
      renderBrowse();
    }

    function openInvite() {
      const v = core.current();
      if (!v || v.name === GENERAL || isDm(v)) return;
      ui.inviteTitle.textContent = "Add people to #" + v.name;
      ui.inviteUser.value = "";
      ui.inviteSuggest.textContent = "";
      const names = Array.from(core.online()).filter((n) => n !== core.user()).sort();
      for (const n of names) {
        const opt = el("option");
        opt.value = n;
        ui.inviteSuggest.append(opt);
      }
      setBusy("invite", !!reqs.invite);
      openDialog(ui.inviteDialog, ui.inviteUser);
    }

    function onInviteSubmit(ev) {
      ev.preventDefault();
      const v = core.current();
      if (reqs.invite || !v || v.name === GENERAL) return;
      const user = ui.inviteUser.value.trim();
      let problem = "";
      if (!user) problem = "Type the name of the person to add.";
      else if (charCount(user) > MAX_USER) problem = "Names are at most 32 characters.";
      else if (user === core.user()) problem = "You are already in #" + v.name + ".";
      if (problem) { showError(ui.inviteError, problem); ui.inviteUser.focus(); return; }
      if (!request("invite", "channel_invite", { channel: v.name, user })) { notConnected(ui.inviteError); return; }
      hideError(ui.inviteError);
      setBusy("invite", true);
    }

    function openTopic() {
      const v = core.current();
      if (!v || isDm(v)) return;
      ui.topicTitle.textContent = "Topic of #" + v.name;
      ui.topicInput.value = v.info.topic;
      onTopicInput();
      setBusy("topic", !!reqs.topic);
      openDialog(ui.topicDialog, ui.topicInput);
      ui.topicInput.select();
    }

    function onTopicInput() {
      const n = charCount(ui.topicInput.value.trim());
      ui.topicCounter.textContent = n + " / " + MAX_TOPIC;
      ui.topicCounter.classList.toggle("is-over", n > MAX_TOPIC);
    }

    function onTopicSubmit(ev) {
      ev.preventDefault();
      const v = core.current();
      if (reqs.topic || !v) return;
      const topic = ui.topicInput.value.trim();
      const problem = topicProblem(topic);
      if (problem) { showError(ui.topicError, problem); return; }
      if (topic === v.info.topic) { closeDialog(ui.topicDialog); return; }
      if (!request("topic", "channel_topic", { channel: v.name, topic })) { notConnected(ui.topicError); return; }
      hideError(ui.topicError);
      setBusy("topic", true);
    }

    function leaveCurrent() {
      const v = core.current();
      if (!v || v.name === GENERAL || isDm(v) || reqs.leave) return;
      if (!request("leave", "channel_leave", { channel: v.name })) {
        toast("Not connected: try again once parley has reconnected.", "error");
        return;
      }
      renderHeader();
    }

    /* ---------- toasts ---------- */

    const toastTimers = new WeakMap();

    // Errors never block: a toast shows for a while, and a repeat of the same text
    // refreshes the one already shown rather than stacking copies.
    function toast(text, kind) {
      for (const t of ui.toasts.children) {
        if (t.dataset.text === text) { armToast(t); return; }
      }
      const t = el("div", "toast");
      t.dataset.testid = "toast";
      t.dataset.kind = kind || "error";
      t.dataset.text = text;
      t.setAttribute("role", t.dataset.kind === "error" ? "alert" : "status");
      const close = el("button", "toast-close");
      close.type = "button";
      close.setAttribute("aria-label", "Dismiss");
      close.append(svg("close"));
      close.addEventListener("click", () => dismiss(t));
      t.append(el("span", "toast-text", text), close);
      ui.toasts.append(t);
      while (ui.toasts.children.length > MAX_TOASTS) ui.toasts.firstChild.remove();
      armToast(t);
      raiseToasts();
    }

    function armToast(t) {
      clearTimeout(toastTimers.get(t));
      toastTimers.set(t, setTimeout(() => dismiss(t), TOAST_MS));
    }

    function dismiss(t) {
      clearTimeout(toastTimers.get(t));
      t.remove();
      if (!ui.toasts.children.length && ui.toasts.hidePopover) {
        try { ui.toasts.hidePopover(); } catch (e) { /* already hidden */ }
      }
    }

    // An open dialog sits in the browser's top layer, above any z-index. The toast box
    // is a manual popover, in that layer too; showing it again puts it on top.
    function raiseToasts() {
      const box = ui.toasts;
      if (!box.showPopover) return;
      try {
        if (box.matches(":popover-open")) box.hidePopover();
        box.showPopover();
      } catch (e) { /* no popover support: the fixed box still shows outside dialogs */ }
    }

    /* ---------- start ---------- */

    function bind() {
      const ids = {
        channelList: "channel-list", dmList: "dm-list", dmSection: "dm-section",
        createOpen: "create-open", browseOpen: "browse-open",
        headerMark: "header-mark", headerName: "header-name", topic: "channel-topic",
        topicEdit: "topic-edit", members: "channel-members", membersWrap: "members-wrap",
        inviteOpen: "invite-open", leave: "leave-btn", toasts: "toasts",
        createDialog: "create-dialog", createForm: "create-form", createName: "create-name",
        createTopic: "create-topic", createPrivate: "create-private", createError: "create-error",
        createSubmit: "create-submit", browseDialog: "browse-dialog", browseFilter: "browse-filter",
        browseStatus: "browse-status", browseList: "browse-list", browseError: "browse-error",
        browseCreate: "browse-create", inviteDialog: "invite-dialog", inviteForm: "invite-form",
        inviteTitle: "invite-title", inviteUser: "invite-user", inviteSuggest: "invite-suggest",
        inviteError: "invite-error", inviteSubmit: "invite-submit", topicDialog: "topic-dialog",
        topicForm: "topic-form", topicTitle: "topic-title", topicInput: "topic-input",
        topicCounter: "topic-counter", topicError: "topic-error", topicSave: "topic-save",
      };
      for (const k in ids) ui[k] = document.getElementById(ids[k]);
      document.querySelectorAll("[data-icon]").forEach((n) => n.replaceWith(svg(n.dataset.icon)));
    }

    function listen() {
      ui.createOpen.addEventListener("click", openCreate);
      ui.browseOpen.addEventListener("click", openBrowse);
      ui.browseCreate.addEventListener("click", openCreate);
      ui.topicEdit.addEventListener("click", openTopic);
      ui.inviteOpen.addEventListener("click", openInvite);
      ui.leave.addEventListener("click", leaveCurrent);
      ui.createName.addEventListener("input", onCreateNameInput);
      ui.createForm.addEventListener("submit", onCreateSubmit);
      ui.browseFilter.addEventListener("input", renderBrowse);
      ui.inviteForm.addEventListener("submit", onInviteSubmit);
      ui.inviteUser.addEventListener("input", () => hideError(ui.inviteError));
      ui.topicForm.addEventListener("submit", onTopicSubmit);
      ui.topicInput.addEventListener("input", () => { hideError(ui.topicError); onTopicInput(); });
      for (const d of dialogs()) {
        // A click on the dialog element itself is a click on its backdrop: the content
        // fills the box.
        d.addEventListener("click", (ev) => { if (ev.target === d) closeDialog(d); });
        d.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => closeDialog(d)));
      }
      document.addEventListener("keydown", onKey);
    }

    bind();
    listen();

    return {
      handlers: { channel: onChannel, channel_left: onChannelLeft, channels: onChannels,
        topic: onTopic, invited: onInvited, read: onRead },
      applyWelcome, renderList, renderHeader, shown, viewed, arrived, onPresence, onError,
      connectionLost, signedOut, toast, title, intro, canMessage, openDm,
    };
  };
})();
