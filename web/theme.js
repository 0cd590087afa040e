/*
 * parley web client: the theme switch, light, dark or the system's.
 *
 * The choice is kept in localStorage ("parley.theme": "light", "dark", nothing for the
 * system's) and shown as <html data-theme>, which style.css reads; theme_boot.js applies
 * it before the first paint. The switch is the sidebar's theme button, next to one's own
 * name, for guests too: it opens a small menu of three radio items (arrow keys move,
 * Enter or Space picks, Esc closes). Other tabs follow through the storage event.
 */
import { el, icon } from "./dom.js";
import { save, load } from "./util.js";

export const THEME_KEY = "parley.theme";

// 20x20 stroked icons in the style of the others.
const ICONS = {
  system: ["M3 4.5h14v9H3z", "M7 16.5h6", "M10 13.5v3"],
  light: ["M10 6.5a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7z",
          "M10 2.5v1.5M10 16v1.5M2.5 10H4M16 10h1.5M4.7 4.7l1.1 1.1M14.2 14.2l1.1 1.1" +
          "M4.7 15.3l1.1-1.1M14.2 5.8l1.1-1.1"],
  dark: ["M16.5 12.2A6.5 6.5 0 0 1 7.8 3.5a6.5 6.5 0 1 0 8.7 8.7z"],
};
const CHOICES = [["system", "System"], ["light", "Light"], ["dark", "Dark"]];

const ui = {};

/** The stored choice: "light", "dark" or "system". */
export function current() {
  const t = load(THEME_KEY);
  return t === "light" || t === "dark" ? t : "system";
}

function apply(choice) {
  const root = document.documentElement;
  if (choice === "system") delete root.dataset.theme;
  else root.dataset.theme = choice;
  if (!ui.btn) return;
  const label = CHOICES.find((c) => c[0] === choice)[1];
  ui.btn.replaceChildren(icon(ICONS[choice]));
  ui.btn.setAttribute("aria-label", "Theme: " + label);
  ui.btn.title = "Theme: " + label;
  for (const item of ui.items) item.setAttribute("aria-checked", String(item.dataset.choice === choice));
}

/** Picks a theme ("light", "dark" or "system"), kept across reloads. */
export function choose(choice) {
  if (!CHOICES.some((c) => c[0] === choice)) return;
  if (choice === "system") {
    try { localStorage.removeItem(THEME_KEY); } catch (e) { /* not kept: still applied */ }
  } else {
    save(THEME_KEY, choice);
  }
  apply(choice);
}

function open() {
  ui.menu.hidden = false;
  ui.btn.setAttribute("aria-expanded", "true");
  const checked = ui.items.find((i) => i.getAttribute("aria-checked") === "true");
  (checked || ui.items[0]).focus();
  document.addEventListener("pointerdown", outside, true);
}

function close(refocus) {
  if (ui.menu.hidden) return;
  ui.menu.hidden = true;
  ui.btn.setAttribute("aria-expanded", "false");
  document.removeEventListener("pointerdown", outside, true);
  if (refocus) ui.btn.focus();
}

function outside(e) {
  if (!ui.menu.contains(e.target) && !ui.btn.contains(e.target)) close(false);
}

function onMenuKey(e) {
  const i = ui.items.indexOf(document.activeElement);
  const n = ui.items.length;
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: n - 1 }[e.key];
  if (to !== undefined) {
    e.preventDefault();
    ui.items[(to + n) % n].focus();
  } else if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation(); // the menu's Esc: not the page's (closing panels)
    close(true);
  } else if (e.key === "Tab") {
    close(false);
  }
}

function init() {
  ui.btn = document.getElementById("theme-open");
  ui.menu = document.getElementById("theme-menu");
  if (!ui.btn || !ui.menu) return;
  ui.items = CHOICES.map(([choice, label]) => {
    const item = el("button", "menu-item theme-item");
    item.type = "button";
    item.setAttribute("role", "menuitemradio");
    item.dataset.choice = choice;
    item.dataset.testid = "theme-" + choice;
    item.append(icon(ICONS[choice]), el("span", "", label));
    item.addEventListener("click", () => { choose(choice); close(true); });
    return item;
  });
  ui.menu.replaceChildren(...ui.items);
  ui.menu.addEventListener("keydown", onMenuKey);
  ui.btn.addEventListener("click", () => (ui.menu.hidden ? open() : close(true)));
  window.addEventListener("storage", (e) => { if (e.key === THEME_KEY || e.key === null) apply(current()); });
  apply(current());
}

init();
