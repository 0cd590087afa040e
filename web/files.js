/*
 * parley web client: files and images (docs/protocol.md, "Files").
 *
 * Attaching: the paperclip beside a composer (a file input), a paste of files into it, or a
 * drop on its area (anywhere on the conversation for the main composer, on the thread
 * panel for its replies); each composer has its own tray. Each file uploads at once
 * (POST /api/files, with its progress in the tray above the composer); images are measured
 * first, so the message carries their width and height. The composer sends the tray's
 * uploaded files with its text (take()).
 *
 * Showing: a message's images inline at a size known before they load (width, height and
 * aspect-ratio set from the message: the list does not jump), opened full size in a
 * lightbox (Esc, the close button or a click outside closes it); other files as a card with
 * name, size and a download link. Everything from the network goes into the page through
 * textContent and attributes, never as HTML.
 *
 * Signed-in users fetch files with their session cookie; a guest has no cookie, so its
 * images are fetched with its session token and shown from data: URLs (the page's CSP
 * takes data: images, not blob: ones).
 */
import { urlOf } from "./base.js";
import { el, icon } from "./dom.js";
import * as conn from "./conn.js";
import { ui, page } from "./page.js";

const MAX_FILES = 10;              // per message (the server's FILES_PER_MSG)
const INLINE_W = 360, INLINE_H = 280;
const CLIP = ["M13.5 6.5l-5.8 5.8a1.6 1.6 0 0 0 2.3 2.3l6-6a3.2 3.2 0 0 0-4.5-4.5l-6 6a4.8 4.8 0 0 0 6.8 6.8l5.2-5.2"];
const DOC = ["M5 2.5h6.5L15 6v11.5H5z", "M11.5 2.5V6H15"];

let lightbox = null;
const fetched = new Map();         // url -> Promise of its Blob (guests)
let mainBox = null;                // the main composer's attachments

/* ---------- attaching ---------- */

// One composer's attachments: its paperclip, paste into its box, drops on its zone, and
// its tray of uploads. where() says what the composer writes to now: {key, channel} (key
// tells its conversations apart: a channel, or a channel's thread), or null; onChange runs
// whenever what can be sent changes.
function attacher(form, box, zone, where, onChange) {
  let tray = [];                   // {file, name, size, done, pct, meta, error, xhr, chip, key, channel}
  const changed = () => onChange();
  const bar = form.querySelector(".composer-bar");
  const input = el("input", "sr-only");
  input.type = "file";
  input.multiple = true;
  input.tabIndex = -1;
  input.setAttribute("aria-hidden", "true");
  input.dataset.testid = "file-input";
  input.addEventListener("change", () => { add(input.files); input.value = ""; });
  const clip = el("button", "icon-btn attach-btn");
  clip.type = "button";
  clip.title = "Attach files";
  clip.setAttribute("aria-label", "Attach files");
  clip.dataset.testid = "attach";
  clip.append(icon(CLIP));
  clip.addEventListener("click", () => input.click());
  bar.prepend(clip, input);
  const trayEl = el("ul", "attach-tray");
  trayEl.setAttribute("aria-label", "Attachments");
  trayEl.dataset.testid = "attach-tray";
  trayEl.hidden = true;
  form.prepend(trayEl);
  box.addEventListener("paste", (ev) => {
    const files = ev.clipboardData && ev.clipboardData.files;
    if (files && files.length) { ev.preventDefault(); add(files); }
  });
  let depth = 0;
  const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files");
  zone.addEventListener("dragenter", (ev) => { if (hasFiles(ev)) { depth++; zone.classList.add("is-dropping"); } });
  zone.addEventListener("dragleave", () => { if (depth && --depth === 0) zone.classList.remove("is-dropping"); });
  zone.addEventListener("dragover", (ev) => { if (hasFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = "copy"; } });
  zone.addEventListener("drop", (ev) => {
    depth = 0;
    zone.classList.remove("is-dropping");
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    add(ev.dataTransfer.files);
  });

  // The tray holds each conversation's attachments; the composer sees the current one's.
  const here = (t) => { const w = where(); return !!w && t.key === w.key; };

  function add(files) {
    const w = where();
    if (!w || w.channel.info.archived) return;
    for (const file of Array.from(files || [])) {
      if (tray.filter(here).length >= MAX_FILES) break;
      const item = { file, name: file.name || "pasted-file", size: file.size, done: false, pct: 0,
        meta: null, error: "", xhr: null, chip: null, key: w.key, channel: w.channel.name };
      tray.push(item);
      drawChip(item);
      measure(file).then((wh) => { if (tray.includes(item)) upload(item, wh, drawChip, changed); });
    }
    drawTray();
  }

  function sync() {
    let shown = 0;
    for (const t of tray) {
      if (!t.chip) continue;
      t.chip.hidden = !here(t);
      if (!t.chip.hidden) shown++;
    }
    trayEl.hidden = shown === 0;
  }

  function drawTray() {
    for (const n of Array.from(trayEl.children)) if (!tray.some((t) => t.chip === n)) n.remove();
    sync();
    changed();
  }

  function drawChip(item) {
    if (!item.chip) {
      item.chip = el("li", "attach-chip");
      item.chip.dataset.testid = "attach-chip";
      trayEl.append(item.chip);
    }
    const c = item.chip;
    c.textContent = "";
    c.classList.toggle("is-failed", !!item.error);
    c.classList.toggle("is-done", item.done);
    const name = el("span", "attach-name", item.name);
    name.title = item.name;
    const state = el("span", "attach-state",
      item.error ? item.error : item.done ? formatSize(item.size) : "Uploading… " + item.pct + "%");
    state.setAttribute("role", "status");
    const progress = el("span", "attach-progress");
    progress.style.setProperty("--pct", (item.done ? 100 : item.pct) + "%");
    const remove = el("button", "attach-remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", "Remove " + item.name);
    remove.addEventListener("click", () => {
      if (item.xhr && !item.done) item.xhr.abort();
      tray = tray.filter((t) => t !== item);
      drawTray();
      box.focus();
    });
    c.append(icon(DOC), name, state, remove, progress);
  }

  return {
    add,
    sync,
    uploading: () => tray.some((t) => here(t) && !t.done && !t.error),
    hasReady: () => tray.some((t) => here(t) && t.done),
    // The current conversation's uploaded files, as a message carries them; they leave
    // the tray (a failed one too), and other conversations' stay for when they come back.
    take() {
      const out = tray.filter((t) => here(t) && t.done).map((t) => t.meta);
      tray = tray.filter((t) => !here(t));
      drawTray();
      return out;
    },
  };
}

// The main composer's: the paperclip, paste, and drops anywhere on the conversation.
export function init(onChange) {
  const zone = ui.composerForm.closest("main") || document.body;
  mainBox = attacher(ui.composerForm, ui.composer, zone,
    () => (page.view ? { key: page.view.name, channel: page.view } : null), onChange || (() => {}));
}

// Another composer's (the thread panel's): the same tools, its own tray.
export function attach(form, box, zone, where, onChange) {
  return attacher(form, box, zone, where, onChange);
}

// The main composer's tray, for the channel shown.
export function addFiles(files) { if (mainBox) mainBox.add(files); }
export function uploading() { return !!mainBox && mainBox.uploading(); }
export function hasReady() { return !!mainBox && mainBox.hasReady(); }
export function take() { return mainBox ? mainBox.take() : []; }
// Shows the shown channel's chips only (the composer calls it when the channel changes).
export function syncTray() { if (mainBox) mainBox.sync(); }

// An image's natural size, or null for anything else (decoded off the page: the CSP lets
// no blob: URL into an <img>).
function measure(file) {
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type) || !window.createImageBitmap) return Promise.resolve(null);
  return createImageBitmap(file).then((b) => {
    const wh = { w: b.width, h: b.height };
    if (b.close) b.close();
    return wh;
  }, () => null);
}

function upload(item, wh, redraw, changed) {
  const q = new URLSearchParams({ channel: item.channel, name: item.name });
  if (item.file.type) q.set("type", item.file.type);
  if (wh) { q.set("w", wh.w); q.set("h", wh.h); }
  const xhr = new XMLHttpRequest();
  item.xhr = xhr;
  xhr.open("POST", urlOf("/api/files?" + q.toString()));
  authorize(xhr);
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.upload.onprogress = (ev) => {
    if (ev.lengthComputable) { item.pct = Math.round((ev.loaded / ev.total) * 100); redraw(item); }
  };
  xhr.onload = () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
    if (xhr.status === 201 && body && body.id) {
      item.done = true;
      item.meta = body;
    } else {
      item.error = (body && body.message) || "upload failed (" + xhr.status + ")";
    }
    redraw(item);
    changed();
  };
  xhr.onerror = () => { item.error = "upload failed: not connected"; redraw(item); changed(); };
  xhr.send(item.file);
  changed();
}

function authorize(xhr) {
  const c = conn.credentials();
  if (!c.account && c.session) xhr.setRequestHeader("Authorization", "Bearer " + c.session);
}

/* ---------- showing ---------- */

export function formatSize(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KB";
  return (n / 1048576).toFixed(1) + " MB";
}

function isImage(f) { return /^image\/(png|jpeg|gif|webp)$/.test(f.type || ""); }

// Only our own download paths are ever put in a src or an href (under the page's base).
function safeUrl(f) {
  return typeof f.url === "string" && /^\/files\/[0-9a-f]{32}\/[A-Za-z0-9._~%-]*$/.test(f.url) ? urlOf(f.url) : null;
}

// The element showing a message's files, or null when it carries none.
export function render(files) {
  if (!Array.isArray(files) || !files.length) return null;
  const box = el("div", "msg-files");
  for (const f of files) {
    const url = f && safeUrl(f);
    if (!url) continue;
    box.append(isImage(f) ? imageEl(f, url) : cardEl(f, url));
  }
  return box.childElementCount ? box : null;
}

function imageEl(f, url) {
  const a = el("a", "file-image");
  a.href = url;
  a.dataset.testid = "file-image";
  a.setAttribute("aria-label", "Open image " + (f.name || ""));
  const img = el("img");
  img.alt = f.name || "image";
  img.decoding = "async";
  img.loading = "lazy";
  const w = Number(f.w) || 0, h = Number(f.h) || 0;
  if (w > 0 && h > 0) {
    // Its box is known before a byte arrives, so the list below keeps its place.
    const s = Math.min(1, INLINE_W / w, INLINE_H / h);
    img.width = Math.max(1, Math.round(w * s));
    img.height = Math.max(1, Math.round(h * s));
    img.style.aspectRatio = w + " / " + h;
  } else {
    img.classList.add("is-unsized");
  }
  setSrc(img, url);
  a.append(img);
  a.addEventListener("click", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    openLightbox(f, url);
  });
  return a;
}

function cardEl(f, url) {
  const a = el("a", "file-card");
  a.href = url;
  a.download = f.name || "file";
  a.dataset.testid = "file-card";
  const text = el("span", "file-card-text");
  text.append(el("span", "file-card-name", f.name || "file"),
    el("span", "file-card-size", formatSize(Number(f.size) || 0) + " · Download"));
  a.append(icon(DOC), text);
  if (!conn.credentials().account) {
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      fetchBlob(url).then((b) => {
        const t = el("a");
        t.href = URL.createObjectURL(b);
        t.download = f.name || "file";
        t.click();
        setTimeout(() => URL.revokeObjectURL(t.href), 10000);
      });
    });
  }
  return a;
}

function setSrc(img, url) {
  if (conn.credentials().account) { img.src = url; return; }
  fetchBlob(url).then((b) => new Promise((resolve, reject) => {
    const rd = new FileReader();
    rd.onload = () => resolve(rd.result);
    rd.onerror = reject;
    rd.readAsDataURL(b);
  })).then((data) => { img.src = data; }, () => img.classList.add("is-broken"));
}

function fetchBlob(url) {
  if (!fetched.has(url)) {
    const c = conn.credentials();
    const headers = c.session ? { Authorization: "Bearer " + c.session } : {};
    fetched.set(url, fetch(url, { headers, credentials: "same-origin" })
      .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.blob(); }));
  }
  return fetched.get(url);
}

/* ---------- the lightbox ---------- */

function openLightbox(f, url) {
  if (!lightbox) {
    lightbox = el("dialog", "lightbox");
    lightbox.dataset.testid = "lightbox";
    lightbox.setAttribute("aria-label", "Image");
    lightbox.addEventListener("click", (ev) => { if (ev.target === lightbox) lightbox.close(); });
    document.body.append(lightbox);
  }
  lightbox.textContent = "";
  const img = el("img", "lightbox-img");
  img.alt = f.name || "image";
  if (f.w > 0 && f.h > 0) { img.width = f.w; img.height = f.h; }
  setSrc(img, url);
  const bar = el("div", "lightbox-bar");
  const name = el("span", "lightbox-name", f.name || "");
  const open = el("a", "btn-secondary btn-small", "Download");
  open.href = url;
  open.download = f.name || "image";
  const close = el("button", "btn-secondary btn-small", "Close");
  close.type = "button";
  close.dataset.testid = "lightbox-close";
  close.addEventListener("click", () => lightbox.close());
  bar.append(name, open, close);
  lightbox.append(img, bar);
  lightbox.showModal(); // Esc closes a modal dialog
  close.focus();
}
