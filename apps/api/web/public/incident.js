// One incident: its facts, its timeline followed live (server-sent events), its postmortem.
import { api } from './api.js';
import { showActions } from './actions.js';
import { loadApprovals } from './approvals.js';
import { showRelated } from './related.js';
import { loadReview } from './review.js';
import { $, clearError, el, severity, showError, status, time } from './dom.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let current = null;

/** Shows incident `id`; returns what to do on leaving it (close the stream). */
export function showIncident(id) {
  $('detail-view').hidden = false;
  for (const box of ['detail-error', 'approvals-error', 'postmortem-error', 'review-error', 'related-error']) clearError($(box));
  $('verdict').hidden = true;
  for (const part of ['incident-header', 'gates', 'timeline', 'review', 'related']) $(part).replaceChildren();
  delete $('related').dataset.incident;
  $('postmortem-frame').hidden = true;
  $('postmortem-frame').removeAttribute('srcdoc');
  if (!UUID.test(id)) {
    showError($('detail-error'), { message: `'${id}' is not an incident id.`, hint: 'Open an incident from the list.' });
    return () => {};
  }
  const view = { id, seen: new Set(), last: 0, source: null, refresh: null, retry: null, gatesStale: false, closed: false };
  current = view;
  void loadHeader(view);
  showActions(view, () => void loadHeader(view));
  void loadApprovals(view);
  void loadTimeline(view);
  void loadReview(view);
  return () => {
    view.closed = true;
    current = null;
    if (view.source) view.source.close();
    clearTimeout(view.refresh);
    clearTimeout(view.retry);
  };
}

async function loadHeader(view) {
  try {
    const i = await api(`/incidents/${view.id}`);
    if (view.closed) return;
    document.title = `${i.severity.toUpperCase()} · ${i.title} — Palisade`;
    // While the playbook does not answer, what it would say is not known: no "no" or "—" read as facts.
    const unreachable = i.liveStatus === 'unreachable';
    const why = i.liveReason || "Temporal or the playbook's worker did not answer";
    const facts = [
      ['Owner', el('span', { id: 'incident-assignee', text: i.assignee || 'nobody' })],
      ['Tags', (i.tags || []).join(', ') || '—'],
      ['Playbook', `${i.playbook} ${i.playbookVersion || ''}`.trim()],
      // stuckSince comes from the stuck watcher, not the playbook: shown whether or not the playbook answers.
      ['Stuck', i.stuckSince ? `since ${new Date(i.stuckSince).toISOString()}: ${i.stuckReason || 'its workflow task keeps failing'}` : unreachable ? 'not known while the playbook does not answer' : 'no'],
      ['Build', !i.startedBuild ? '—' : i.startedBuild === i.runningBuild ? i.startedBuild : `started on ${i.startedBuild}, now ${i.runningBuild}`],
      ['Entity', i.entity || '—'],
      ['Alerts', String(i.alertCount ?? 0)],
      ['Sources', (i.sources || []).join(', ') || '—'],
      ['Current step', unreachable ? `not known: ${why}` : (i.live && i.live.currentStep) || '—'],
      ['Detected', time(i.detectedAt)],
      ['First alert', time(i.firstAlertAt)],
      ['Last alert', time(i.lastAlertAt)],
      ['Acknowledged', time(i.acknowledgedAt)],
      ['Contained', time(i.containedAt)],
      ['Resolved', time(i.resolvedAt)],
    ];
    $('incident-header').replaceChildren(
      el('h1', { class: 'incident-title' }, severity(i.severity), ' ', el('span', { id: 'incident-title', text: i.title })),
      el('p', { class: 'badges' }, status(i.status), ' ',
        i.liveStatus ? el('span', { class: `status live-${i.liveStatus}`, text: `playbook ${i.liveStatus}`, title: unreachable ? why : undefined }) : null,
        ' ', el('span', { class: 'mono muted', text: i.id })),
      el('dl', { class: 'facts' }, facts.map(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)])),
    );
    showRelated(view, i, () => void loadHeader(view));
    clearError($('detail-error'));
  } catch (err) {
    if (!view.closed) showError($('detail-error'), err);
  }
}

// ---------------------------------------------------------------- the timeline, then live

async function loadTimeline(view) {
  let after = 0;
  try {
    for (;;) {
      const page = await api(`/incidents/${view.id}/timeline?after=${after}&limit=500`);
      if (view.closed) return;
      for (const event of page.events) addEvent(view, event, false);
      if (page.events.length) after = page.events[page.events.length - 1].sequence;
      if (page.nextCursor === null || page.nextCursor === undefined) break;
      after = page.nextCursor;
    }
  } catch (err) {
    if (!view.closed) showError($('detail-error'), err);
  }
  if (!view.closed) void follow(view, after);
}

/**
 * Follows the timeline over server-sent events. An EventSource cannot send headers, and the
 * token must never go into a URL: the page asks for a stream ticket (30 seconds, one stream, this
 * incident) with the token, and opens the stream with it. A ticket opens one stream only, so
 * after a drop the page asks for a new one and resumes after the last event it has.
 */
async function follow(view, after) {
  const live = $('live-state');
  live.className = 'live connecting';
  live.textContent = 'connecting…';
  let ticket;
  try {
    ticket = await api(`/incidents/${encodeURIComponent(view.id)}/timeline/stream-tickets`, { method: 'POST', body: {} });
  } catch (err) {
    if (view.closed) return;
    live.className = 'live off';
    live.textContent = err.status === 401 ? 'disconnected (sign in again)' : 'reconnecting…';
    if (err.status !== 401) view.retry = setTimeout(() => void follow(view, view.last), 5_000);
    return;
  }
  if (view.closed) return;
  const source = new EventSource(`${ticket.url}&after=${after}`);
  view.source = source;
  source.addEventListener('open', () => {
    live.className = 'live on';
    live.textContent = '● live';
  });
  source.addEventListener('error', () => {
    // The browser would reconnect with the spent ticket: close, and come back with a new one.
    source.close();
    if (view.closed || view.source !== source) return;
    live.className = 'live off';
    live.textContent = 'reconnecting…';
    view.retry = setTimeout(() => void follow(view, view.last), 2_000);
  });
  source.addEventListener('timeline', (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    addEvent(view, event, true);
    // What the timeline says changed: the header and the gates follow (at most every 300 ms during a burst).
    if (/^(gate|incident|playbook)\./.test(event.type)) view.gatesStale = true;
    if (view.refresh) return;
    view.refresh = setTimeout(() => {
      view.refresh = null;
      void loadHeader(view);
      if (view.gatesStale) void loadApprovals(view);
      view.gatesStale = false;
    }, 300);
  });
}

function kind(type) {
  if (/failed|expired|unreachable|rejected|denied/.test(type)) return 'bad';
  if (/succeeded|completed|resolved/.test(type)) return 'good';
  return type.split('.')[0];
}

/** Puts an event in sequence order, once; `fresh` marks one that arrived live. */
function addEvent(view, e, fresh) {
  if (view.seen.has(e.sequence)) return;
  view.seen.add(e.sequence);
  view.last = Math.max(view.last, e.sequence);
  const data = e.data && Object.keys(e.data).length ? e.data : null;
  const item = el('li', { class: `event kind-${kind(e.type)}${fresh ? ' fresh' : ''}`, 'data-sequence': e.sequence, 'data-type': e.type },
    el('span', { class: 'seq', text: `#${e.sequence}` }),
    time(e.occurredAt),
    el('span', { class: 'type', text: e.type }),
    el('span', { class: 'actor', text: e.actor }),
    el('span', { class: 'summary', text: e.summary }),
    data ? el('details', {}, el('summary', { text: 'details' }), el('pre', { text: JSON.stringify(data, null, 2) })) : null);
  const list = $('timeline');
  const later = [...list.children].find((li) => Number(li.dataset.sequence) > e.sequence);
  list.insertBefore(item, later || null);
  if (fresh && list.lastElementChild === item) item.scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------- postmortem

$('postmortem-view').addEventListener('click', async () => {
  if (!current) return;
  clearError($('postmortem-error'));
  try {
    const html = await api(`/incidents/${current.id}/postmortem?format=html`, { accept: 'text/html' });
    const frame = $('postmortem-frame');
    // Sandboxed (no scripts, no same origin): the postmortem shows, and can do nothing else.
    frame.srcdoc = typeof html === 'string' ? html : JSON.stringify(html);
    frame.hidden = false;
  } catch (err) {
    showError($('postmortem-error'), err);
  }
});

async function download(format, type) {
  if (!current) return;
  const id = current.id;
  clearError($('postmortem-error'));
  try {
    const text = await api(`/incidents/${id}/postmortem?format=${format}`, { accept: type });
    const url = URL.createObjectURL(new Blob([typeof text === 'string' ? text : JSON.stringify(text)], { type }));
    const link = el('a', { href: url, download: `postmortem-${id}.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    showError($('postmortem-error'), err);
  }
}

$('postmortem-md').addEventListener('click', () => void download('md', 'text/markdown'));
$('postmortem-html').addEventListener('click', () => void download('html', 'text/html'));
