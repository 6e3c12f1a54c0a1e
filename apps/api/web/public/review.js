// An incident's postmortem review: what responders wrote, its state and sign-offs, and the
// actions a responder may take on it (save, submit, sign off, start a new revision).
import { api, atLeast } from './api.js';
import { $, busy, clearError, el, showError, time } from './dom.js';

const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);

/** Reloads the review of the incident `view` shows. */
export async function loadReview(view) {
  try {
    const r = await api(`/postmortems/${view.id}`);
    if (view.closed) return;
    clearError($('review-error'));
    $('review').replaceChildren(...render(view, r));
  } catch (err) {
    if (!view.closed) showError($('review-error'), err);
  }
}

function render(view, r) {
  const c = r.current;
  const content = c ? c.content : { rootCause: '', contributingFactors: [], wentWell: [], wentBadly: [] };
  const frozen = r.state === 'published';
  const canWrite = atLeast('responder') && !frozen;
  const state = el('p', { class: 'badges', id: 'review-state' },
    el('span', { class: `status review-${r.state}`, text: r.state === 'none' ? 'not started' : r.state.replace('_', ' ') }),
    c ? ` revision ${c.revision}` : '',
    c && c.editedBy ? el('span', { class: 'muted' }, ` · last edit by ${c.editedBy} `, time(c.editedAt)) : null);
  const signOffs = [];
  if (r.published) {
    signOffs.push(el('p', { id: 'review-published' }, `Revision ${r.published.revision} published `, time(r.published.publishedAt),
      `, signed off by ${r.published.signOffs.map((s) => s.reviewer).join(' and ')}`));
  }
  if (c && c.state === 'in_review') signOffs.push(el('p', { text: `Sign-offs: ${c.signOffs.length} of ${r.signOffsNeeded}${c.signOffs.length ? ` (${c.signOffs.map((s) => s.reviewer).join(', ')})` : ''}` }));

  const field = (name, label, value) => el('label', { class: 'review-field' }, label,
    el('textarea', { name, rows: 3, ...(canWrite ? {} : { readonly: true }) }, value));
  const form = el('form', { id: 'review-form', class: 'review-form' },
    field('rootCause', 'Root cause', content.rootCause),
    field('contributingFactors', 'Contributing factors (one per line)', content.contributingFactors.join('\n')),
    field('wentWell', 'What went well (one per line)', content.wentWell.join('\n')),
    field('wentBadly', 'What went badly (one per line)', content.wentBadly.join('\n')));

  const items = el('table', { class: 'action-items', id: 'action-items' },
    el('thead', {}, el('tr', {}, ['#', 'Action item', 'Owner', 'Due', 'Status', 'Ticket'].map((h) => el('th', { text: h })))),
    el('tbody', {}, r.actionItems.map((a) => el('tr', { 'data-item': a.id },
      el('td', { text: String(a.id) }), el('td', { text: a.title }), el('td', { text: a.owner }), el('td', { text: a.due }),
      el('td', { text: a.status }),
      el('td', {}, a.ticket ? (a.ticket.url ? el('a', { href: a.ticket.url, rel: 'noopener', target: '_blank', text: `${a.ticket.key} (${a.ticket.status})` }) : `${a.ticket.status}${a.ticket.error ? `: ${a.ticket.error}` : ''}`) : '—')))));
  const add = canWrite
    ? el('p', { class: 'actions', id: 'action-add' },
      el('input', { name: 'title', placeholder: 'New action item', 'aria-label': 'New action item' }),
      el('input', { name: 'owner', placeholder: 'owner', 'aria-label': 'Owner' }),
      el('input', { name: 'due', type: 'date', 'aria-label': 'Due' }))
    : null;

  const buttons = el('p', { class: 'actions' });
  const act = (label, id, run) => {
    const b = el('button', { type: 'button', id, text: label });
    b.addEventListener('click', () =>
      busy(b, $('review-error'), async () => {
        await run();
        await loadReview(view);
      }),
    );
    buttons.append(b);
  };
  if (canWrite) {
    act('Save', 'review-save', () => {
      const f = $('review-form').elements;
      const kept = r.actionItems.map(({ id, title, owner, due, status }) => ({ id, title, owner, due, status }));
      const row = $('action-add');
      const fresh = { title: row.querySelector('[name=title]').value.trim(), owner: row.querySelector('[name=owner]').value.trim(), due: row.querySelector('[name=due]').value };
      return api(`/postmortems/${view.id}`, {
        method: 'PATCH',
        body: {
          rootCause: f.rootCause.value,
          contributingFactors: lines(f.contributingFactors.value),
          wentWell: lines(f.wentWell.value),
          wentBadly: lines(f.wentBadly.value),
          actionItems: fresh.title ? [...kept, fresh] : kept,
        },
      });
    });
    if (r.state === 'draft') act('Send to review', 'review-submit', () => api(`/postmortems/${view.id}/submit`, { method: 'POST', body: {} }));
  }
  if (atLeast('responder') && r.state === 'in_review') act('Sign off', 'review-sign-off', () => api(`/postmortems/${view.id}/sign-off`, { method: 'POST', body: {} }));
  if (atLeast('responder') && frozen) {
    act('Start a new revision', 'review-revise', () => {
      const reason = window.prompt('Why is the published postmortem revised?');
      if (!reason) return Promise.resolve();
      return api(`/postmortems/${view.id}/revisions`, { method: 'POST', body: { reason } });
    });
  }
  const suggestions = r.suggestedActionItems.length
    ? el('details', {}, el('summary', { text: `Suggested from the timeline (${r.suggestedActionItems.length})` }), el('ul', {}, r.suggestedActionItems.map((s) => el('li', { text: s }))))
    : null;
  return [state, ...signOffs, form, el('h3', { text: 'Action items' }), items, add, suggestions, buttons].filter(Boolean);
}
