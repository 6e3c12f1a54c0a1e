// An incident's related incidents: its links, and Link / Merge for responders.
import { api, atLeast } from './api.js';
import { $, busy, clearError, el, status } from './dom.js';

/**
 * Shows the links of incident `i` (GET /incidents/:id's answer) and, for responders, the forms.
 * The header reloads on every new timeline event: the list is redrawn, the forms (and what is
 * being typed in them) are kept.
 */
export function showRelated(view, i, reload) {
  const box = $('related');
  if (box.dataset.incident !== view.id) {
    clearError($('related-error'));
    const forms = atLeast('responder') ? [linkForm(view, reload), mergeForm(view, reload)] : [];
    box.replaceChildren(el('div', { id: 'related-list' }), ...forms);
    box.dataset.incident = view.id;
  }
  const list = (i.links || []).length
    ? el('ul', { id: 'links' }, i.links.map((l) => el('li', {},
      `${l.relation} `, el('a', { href: `#/incidents/${l.incidentId}`, text: l.title }), ' ', status(l.status),
      el('span', { class: 'muted', text: ` by ${l.createdBy}${l.reason ? `: ${l.reason}` : ''}` }))))
    : el('p', { class: 'muted', text: 'No related incident.' });
  const merged = i.duplicateOf ? [el('p', {}, 'Merged as a duplicate into ', el('a', { href: `#/incidents/${i.duplicateOf}`, text: i.duplicateOf }))] : [];
  $('related-list').replaceChildren(...merged, list);
  const merge = $('merge-form');
  if (merge) merge.hidden = Boolean(i.duplicateOf) || i.status === 'resolved' || i.status === 'cancelled';
}

function submitter(form, run, reload) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(form.querySelector('button'), $('related-error'), async () => {
      await run(form.elements);
      form.reset();
      reload();
    });
  });
  return form;
}

function linkForm(view, reload) {
  const form = el('form', { class: 'actions', id: 'link-form' },
    el('input', { name: 'incidentId', placeholder: 'incident id', required: true, 'aria-label': 'Incident to link', spellcheck: 'false' }),
    el('select', { name: 'relation', 'aria-label': 'Relation' }, ['related', 'caused-by', 'causes'].map((r) => el('option', { value: r, text: r }))),
    el('input', { name: 'reason', placeholder: 'why (optional)', 'aria-label': 'Why' }),
    el('button', { type: 'submit', text: 'Link' }));
  return submitter(form, (f) => api(`/incidents/${view.id}/links`, {
    method: 'POST',
    body: { incidentId: f.incidentId.value.trim(), relation: f.relation.value, ...(f.reason.value.trim() ? { reason: f.reason.value.trim() } : {}) },
  }), reload);
}

function mergeForm(view, reload) {
  const form = el('form', { class: 'actions', id: 'merge-form' },
    el('input', { name: 'into', placeholder: 'merge into incident id', required: true, 'aria-label': 'Survivor', spellcheck: 'false' }),
    el('input', { name: 'reason', placeholder: 'why it is a duplicate', required: true, 'aria-label': 'Why it is a duplicate' }),
    el('label', {}, el('input', { type: 'checkbox', name: 'undo' }), ' undo what its playbook did'),
    el('button', { type: 'submit', class: 'danger', text: 'Merge as duplicate' }));
  return submitter(form, (f) => api(`/incidents/${view.id}/merge`, {
    method: 'POST',
    body: { into: f.into.value.trim(), reason: f.reason.value.trim(), undo: f.undo.checked },
  }), reload);
}
