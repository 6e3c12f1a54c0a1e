// Building the page: every piece of data goes in through text nodes (never innerHTML).

export const $ = (id) => document.getElementById(id);

/** el('span', {class: 'x'}, 'text', node, [nodes]…): strings become text nodes; arrays are flattened. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Shows an API error's message and hint in a box (role=alert). */
export function showError(box, err) {
  box.replaceChildren(el('strong', { text: err.message || String(err) }), err.hint ? el('div', { class: 'hint', text: err.hint }) : null);
  box.hidden = false;
}

export function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
}

/** Runs `work` with `button` disabled and `errorBox` cleared; a failure is shown there. */
export async function busy(button, errorBox, work) {
  clearError(errorBox);
  button.disabled = true;
  try {
    await work();
  } catch (err) {
    showError(errorBox, err);
  } finally {
    button.disabled = false;
  }
}

export function severity(value) {
  return el('span', { class: `sev sev-${value}`, text: value });
}

export function status(value) {
  return el('span', { class: `status status-${value}`, text: value });
}

// ---------------------------------------------------------------- times: UTC and local, always both

const localFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short',
});

export function utc(date) {
  return date.toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
}

export function local(date) {
  return localFormat.format(date) + ' local';
}

function span(s) {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d`;
}

function ago(date) {
  const s = Math.round((Date.now() - date.getTime()) / 1000);
  return s < 0 ? `in ${span(-s)}` : `${span(s)} ago`;
}

/** A time as UTC and as the reader's local time (the ISO string and its age on hover). */
export function time(iso) {
  if (!iso) return el('span', { class: 'muted', text: '—' });
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('span', { text: String(iso) });
  return el('time', { datetime: date.toISOString(), title: `${date.toISOString()} (${ago(date)})`, class: 'when' },
    el('span', { class: 'utc', text: utc(date) }),
    el('span', { class: 'local', text: local(date) }));
}
