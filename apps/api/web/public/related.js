// An incident's related incidents: its links, and Link / Merge for responders.
import { api, atLeast } from './api.js';
import { $, clearError, el, showError, status } from './dom.js';

/** Shows the links of incident `i` (GET /incidents/:id's answer) and, for responders, the forms. */
export function showRelated(view, i, reload) {
  clearError($('related-error'));
  const list = (i.links || []).length
    ? el('ul', { id: 'links' }, i.links.map((l) => el('li', {},
      `${l.relation} `, el('a', { href: `#/incidents/${l.incidentId}`, text: l.title }), ' ', status(l.status),
      el('span', { class: 'muted', text: ` by ${l.createdBy}${l.reason ? `: ${l.reason}` : ''}` }))))
    : el('p', { class: 'muted', text: 'No related incident.' });
  const parts = [list];
  if (i.duplicateOf) parts.unshift(el('p', {}, 'Merged as a duplicate into ', el('a', { href: `#/incidents/${i.duplicateOf}`, text: i.duplicateOf })));
  if (atLeast('responder') && !i.duplicateOf) parts.push(linkForm(view, reload), mergeForm(view, i, reload));
  $('related').replaceChildren(...parts);
}

function submitter(form, run, reload) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await run(form.elements);
      form.reset();
      reload();
    } catch (err) {
      showError($('related-error'), err);
    } finally {
      button.disabled = false;
    }
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

function mergeForm(view, i, reload) {
  if (i.status === 'resolved' || i.status === 'cancelled') return null;
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
