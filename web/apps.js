/*
 * parley web client: messages integrations post (UI; docs/protocol.md, "Incoming webhooks").
 *
 * A message with `app` ({"name", "icon"}) came from an integration (an incoming webhook),
 * not from a person: its author is the app's name with an "APP" badge (no profile card:
 * nobody holds that name), and its avatar is the app's emoji (icon_emoji) when it gave one,
 * else a plug. The emoji set loads on demand (emoji.js); until it is here the avatar shows
 * the plug. Everything is text through element builders.
 */
import { el } from "./dom.js";
import * as emoji from "./emoji.js";

// The app of a message, or null: {name, icon} with strings only.
export function appOf(msg) {
  const a = msg && msg.app;
  if (!a || typeof a !== "object" || typeof a.name !== "string") return null;
  return { name: a.name, icon: typeof a.icon === "string" ? a.icon : "" };
}

function paintIcon(box, icon) {
  const m = /^:([a-z0-9_+-]{1,64}):$/.exec(icon || "");
  if (!m) return;
  const show = () => {
    const e = emoji.byCode(m[1]);
    if (e) { box.textContent = e.char; box.classList.add("has-emoji"); }
  };
  if (emoji.loaded()) show();
  else emoji.load().then(show, () => {});
}

// The avatar of an app's message.
export function avatar(app) {
  const a = el("span", "avatar avatar-app", "🔌");
  a.setAttribute("aria-hidden", "true");
  a.dataset.testid = "app-avatar";
  paintIcon(a, app.icon);
  return a;
}

// "Name [APP]", in the place a person's name label takes.
export function nameLabel(app, cls) {
  const box = el("span", "name-label name-app");
  box.append(el("span", cls || "name-main", app.name));
  const tag = el("span", "tag tag-app", "APP");
  tag.dataset.testid = "badge-app";
  tag.title = "Posted by an integration (an incoming webhook), not a person";
  box.append(tag);
  return box;
}
