/*
 * parley web client: the composer.
 *
 * The message box (its height, character counter, Enter to send, the notice above it),
 * sending, and the messages sent but not acknowledged yet: each pending message is a row
 * after all confirmed ones of its list, in state.pending by its request id, until app.js
 * sees its ack (the row is replaced by the stored message) or an error (the row offers
 * Retry and Discard). After a reconnect a message that was in flight is looked for among
 * the resumed ones before it is called lost. Also the typing line under the composer, and
 * the `typing` frames we send while the user types.
 *
 * app.js calls window.parleyComposer(app) once at start, after window.parleyList(app): the
 * rows it draws and the scrolling come from list.js (app.lists), taken when built.
 */
(function () {
  "use strict";

  const COUNTER_FROM = 3500;         // show the counter only when it starts to matter
  const TYPING_SEND_EVERY_MS = 2000;
  const TYPING_SERVER_GAP_MS = 1100; // the server relays one typing a second per connection
  const NOTICE_MS = 6000;

  window.parleyComposer = function (app) {
    const { GENERAL, MAX_TEXT, state, ui, el, charCount, maxSeq, send, newId } = app;
    const { decorate, goToPresent, removeMessageEl, renderMessage, scrollToBottom, windowAtEnd } = app.lists;

    /* ---------- sending ---------- */

    function sendComposer() {
      const text = ui.composer.value.replace(/\s+$/, "");
      if (!text.trim()) return;
      if (charCount(text) > MAX_TEXT) {
        showNotice("That message is too long: " + charCount(text) + " of " + MAX_TEXT + " characters.");
        return;
      }
      if (!state.joined) {
        showNotice("Not connected: your message was not sent. It is still in the box.");
        return;
      }
      const v = state.view;
      if (v.detached || !windowAtEnd(v)) goToPresent(v); // a message goes to the present
      const pend = { id: "", view: v, text, ts: Date.now(), status: "sending", afterSeq: maxSeq(v), user: state.user };
      pend.el = renderMessage({ user: state.user, text, ts: pend.ts }, pend);
      v.box.append(pend.el);
      decorate(pend.el);
      transmit(pend);
      ui.composer.value = "";
      composerChanged();
      state.typingNews = true; // the next burst of typing is news again
      scrollToBottom();
    }

    function transmit(pend) {
      pend.id = newId("m");
      pend.status = "sending";
      state.pending.set(pend.id, pend);
      pend.el.classList.remove("is-failed");
      setPendingStatus(pend, "Sending…");
      send({ type: "msg", id: pend.id, payload: { channel: pend.view.name, text: pend.text } });
    }

    function setPendingStatus(pend, text, withActions) {
      const status = pend.el.querySelector(".msg-status");
      status.textContent = text;
      if (!withActions) return;
      const retry = el("button", "link-btn", "Retry");
      retry.type = "button";
      retry.addEventListener("click", () => retryPending(pend));
      const discard = el("button", "link-btn", "Discard");
      discard.type = "button";
      discard.addEventListener("click", () => {
        state.pending.delete(pend.id);
        removeMessageEl(pend.el);
      });
      status.append(" · ", retry, " · ", discard);
    }

    function markFailed(pend, why) {
      pend.status = "failed";
      pend.el.classList.add("is-failed");
      setPendingStatus(pend, why, true);
    }

    function retryPending(pend) {
      if (!state.joined) { showNotice("Still offline: retry once parley has reconnected."); return; }
      if (!state.views.has(pend.view.name)) return; // left the channel meanwhile
      state.pending.delete(pend.id);
      removeMessageEl(pend.el);
      pend.afterSeq = maxSeq(pend.view);
      pend.view.box.append(pend.el);
      decorate(pend.el);
      transmit(pend);
      if (pend.view === state.view) scrollToBottom();
    }

    // A message in flight when the link dropped may or may not have been stored. After a
    // resume we hold every stored message, so look for it there before calling it lost.
    function reconcileUnconfirmed() {
      for (const pend of Array.from(state.pending.values())) {
        if (pend.status !== "unconfirmed") continue;
        const v = pend.view;
        const landed = v.seqs.some((s) => {
          const m = v.messages.get(s);
          return s > pend.afterSeq && m.user === state.user && m.text === pend.text;
        });
        if (landed) {
          state.pending.delete(pend.id);
          removeMessageEl(pend.el);
        } else {
          markFailed(pend, "Not delivered: the connection dropped");
        }
      }
    }

    /* ---------- composer ---------- */

    function composerChanged() {
      const c = ui.composer;
      c.style.height = "auto";
      c.style.height = Math.min(c.scrollHeight, 200) + "px";
      const n = charCount(c.value);
      const over = n > MAX_TEXT;
      ui.counter.hidden = n < COUNTER_FROM;
      ui.counter.textContent = over ? (n - MAX_TEXT) + " over the limit" : (MAX_TEXT - n) + " left";
      ui.counter.classList.toggle("is-over", over);
      ui.sendBtn.disabled = !state.joined || over || !c.value.trim();
    }

    function onComposerInput() {
      composerChanged();
      const now = Date.now();
      // Right after a message (or a channel switch) typing is sent as soon as the server
      // would relay it; a typing inside its one-second window would be dropped unseen.
      const wait = state.typingNews ? TYPING_SERVER_GAP_MS : TYPING_SEND_EVERY_MS;
      if (state.joined && ui.composer.value && now - state.lastTypingSent >= wait) {
        state.lastTypingSent = now;
        state.typingNews = false;
        send({ type: "typing", payload: { channel: state.view.name } });
      }
    }

    function onComposerKey(ev) {
      // isComposing: Enter that confirms an IME candidate must not send.
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        sendComposer();
      }
    }

    function updateComposerLabel() {
      const label = "Message " + (state.view ? app.chans.title(state.view) : "#" + GENERAL);
      ui.composerLabel.textContent = label;
      ui.composer.placeholder = ui.composer.disabled
        ? "Offline: messages can't be sent until parley reconnects" : label;
    }

    function setComposerEnabled(on) {
      const hadFocus = document.activeElement === ui.composer;
      ui.composer.disabled = !on;
      updateComposerLabel();
      ui.composerForm.classList.toggle("is-disabled", !on);
      ui.app.classList.toggle("is-offline", !on); // presence is stale until we are back
      composerChanged();
      if (on) {
        hideNotice();
        if (ui.composer.dataset.refocus) { ui.composer.focus(); delete ui.composer.dataset.refocus; }
      } else if (hadFocus) {
        ui.composer.dataset.refocus = "1";
      }
    }

    function showNotice(text) {
      ui.notice.textContent = text;
      ui.notice.hidden = false;
      clearTimeout(state.noticeTimer);
      state.noticeTimer = setTimeout(hideNotice, NOTICE_MS);
    }

    function hideNotice() { ui.notice.hidden = true; }

    /* ---------- typing ---------- */

    function stopTyping(v, user) {
      if (!v.typers.has(user)) return;
      clearTimeout(v.typers.get(user));
      v.typers.delete(user);
      if (v === state.view) renderTyping();
    }

    function clearTypers() {
      for (const v of state.views.values()) {
        for (const t of v.typers.values()) clearTimeout(t);
        v.typers.clear();
      }
      renderTyping();
    }

    function renderTyping() {
      const names = state.view ? Array.from(state.view.typers.keys()).sort() : [];
      ui.typing.textContent = "";
      if (!names.length) return;
      let text;
      if (names.length === 1) text = names[0] + " is typing…";
      else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing…";
      else text = "Several people are typing…";
      const dots = el("span", "typing-dots");
      dots.setAttribute("aria-hidden", "true");
      dots.append(el("i"), el("i"), el("i"));
      ui.typing.append(dots, el("span", "", text));
    }

    return {
      sendComposer, markFailed, reconcileUnconfirmed, composerChanged, onComposerInput, onComposerKey,
      updateComposerLabel, setComposerEnabled, stopTyping, clearTypers, renderTyping,
    };
  };
})();
