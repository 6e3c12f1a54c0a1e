// The incident list: filters in the URL (#/?status=open&severity=high…), newest first, "Load more".
import { api } from './api.js';
import { $, clearError, el, severity, showError, status, time } from './dom.js';

const FILTERS = ['status', 'severity', 'playbook', 'entity', 'source', 'assignee', 'unassigned'];
const CHOICES = ['status', 'severity', 'unassigned'];
const TEXTS = ['playbook', 'entity', 'source', 'assignee'];
const list = { params: new URLSearchParams(), nextCursor: null, pages: 0 };
let playbooksLoaded = false;

function fillFilters(params) {
  const form = $('filters');
  for (const box of form.querySelectorAll('input[type=checkbox]')) box.checked = (params.get(box.name) || '').split(',').includes(box.value);
  for (const name of TEXTS) form.elements[name].value = params.get(name) || '';
}

function readFilters() {
  const form = $('filters');
  const params = new URLSearchParams();
  for (const name of CHOICES) {
    const checked = [...form.querySelectorAll(`input[name=${name}]:checked`)].map((b) => b.value);
    if (checked.length) params.set(name, checked.join(','));
  }
  for (const name of TEXTS) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  const query = readFilters().toString();
  location.hash = query ? `#/?${query}` : '#/';
});

$('clear-filters').addEventListener('click', () => {
  location.hash = '#/';
});

$('load-more').addEventListener('click', () => {
  if (list.nextCursor) void loadPage(list.nextCursor);
});

async function loadPlaybooks() {
  if (playbooksLoaded) return;
  try {
    const playbooks = await api('/playbooks');
    $('playbook-filter').append(...playbooks.map((p) => el('option', { value: p.name, text: p.name })));
    playbooksLoaded = true;
    fillFilters(list.params);
  } catch {
    // The filter still works from the URL; the list shows its own errors.
  }
}

/** Shows the list for these filters; returns what to do on leaving it. */
export function showList(params) {
  $('list-view').hidden = false;
  document.title = 'Palisade — incidents';
  list.params = new URLSearchParams([...params].filter(([k]) => FILTERS.includes(k)));
  fillFilters(list.params);
  void loadPlaybooks();
  $('incident-rows').replaceChildren();
  void loadPage(null);
  // The first page refreshes every 30 s while nobody paged further.
  const timer = setInterval(() => {
    if (list.pages === 1) void loadPage(null);
  }, 30_000);
  return () => clearInterval(timer);
}

async function loadPage(cursor) {
  const params = new URLSearchParams(list.params);
  params.set('limit', '50');
  if (cursor) params.set('cursor', cursor);
  const more = $('load-more');
  more.disabled = true;
  try {
    const page = await api(`/incidents?${params}`);
    clearError($('list-error'));
    const rows = page.incidents.map(incidentRow);
    if (cursor) {
      $('incident-rows').append(...rows);
      list.pages += 1;
    } else {
      $('incident-rows').replaceChildren(...rows);
      list.pages = 1;
    }
    list.nextCursor = page.nextCursor;
    more.hidden = !page.nextCursor;
    $('list-empty').hidden = $('incident-rows').children.length > 0;
  } catch (err) {
    showError($('list-error'), err);
  } finally {
    more.disabled = false;
  }
}

function incidentRow(i) {
  const href = `#/incidents/${encodeURIComponent(i.id)}`;
  const row = el('tr', { class: `incident sev-row-${i.severity}`, 'data-id': i.id },
    el('td', {}, severity(i.severity)),
    el('td', { class: 'title' }, el('a', { href, text: i.title })),
    el('td', {}, status(i.status), i.stuckSince ? el('span', { class: 'badge stuck', title: i.stuckReason || 'its workflow task keeps failing', text: ' stuck' }) : null),
    el('td', { class: 'assignee', text: i.assignee || '—' }),
    el('td', { text: i.playbook }),
    el('td', { class: 'mono', text: i.entity || '—' }),
    el('td', { class: 'num', text: String(i.alertCount ?? 0) }),
    el('td', { text: (i.sources || []).join(', ') || '—' }),
    el('td', {}, time(i.detectedAt)));
  row.addEventListener('click', (event) => {
    if (!(event.target instanceof HTMLAnchorElement)) location.hash = href;
  });
  return row;
}
