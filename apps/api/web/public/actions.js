// What a responder does to an incident from the page: acknowledge, take, assign, unassign, a
// note, tags/severity/title, resolve, cancel. Each is one API route (responder role); the page
// shows the API's answer, or its message and hint.
import { api, atLeast, session } from './api.js';
import { $, busy, clearError, el } from './dom.js';

/** Fills the actions panel for the incident `view` shows; `changed` reloads what they change. */
export function showActions(view, changed) {
  const panel = $('actions');
  clearError($('actions-error'));
  $('action-result').hidden = true;
  if (!atLeast('responder')) {
    panel.replaceChildren(el('p', { class: 'muted', text: `Your token's role (${session.me ? session.me.role : 'unknown'}) cannot work on incidents: responders can.` }));
    return;
  }
  const run = (button, what, call) => () =>
    busy(button, $('actions-error'), async () => {
      say(what(await call()));
      changed();
    });
  const post = (path, body) => api(`/incidents/${view.id}${path}`, { method: 'POST', body });
  const input = (attrs) => el('input', { type: 'text', ...attrs });
  const button = (id, text, cls = '') => el('button', { type: 'button', id, class: cls, text });

  const ack = button('action-ack', 'Acknowledge', 'primary');
  ack.addEventListener('click', run(ack, (a) => `Acknowledged by ${a.acknowledgedBy}.`, () => post('/acknowledge', {})));
  const take = button('action-take', 'Take it');
  take.addEventListener('click', run(take, owned, () => post('/take', {})));
  const person = input({ id: 'action-assignee', placeholder: 'person (people.yaml id or email)', 'aria-label': 'Assign to' });
  const assign = button('action-assign', 'Assign');
  assign.addEventListener('click', run(assign, owned, () => post('/assign', { assignee: person.value.trim() })));
  const unassign = button('action-unassign', 'Unassign', 'quiet');
  unassign.addEventListener('click', run(unassign, owned, () => post('/unassign', {})));

  const note = el('textarea', { id: 'action-note', rows: 3, maxlength: 10000, placeholder: 'A note (Markdown, shown as text)', 'aria-label': 'Note' });
  const addNote = button('action-add-note', 'Add note');
  addNote.addEventListener('click', run(addNote, (n) => {
    note.value = '';
    return `Note added by ${n.author}.`;
  }, () => post('/notes', { text: note.value })));

  const tags = input({ id: 'action-tags', placeholder: 'tags, comma-separated', 'aria-label': 'Tags' });
  const level = el('select', { id: 'action-severity', 'aria-label': 'Severity' }, el('option', { value: '', text: 'severity unchanged' }), ['low', 'medium', 'high', 'critical'].map((s) => el('option', { value: s, text: s })));
  const title = input({ id: 'action-title', placeholder: 'new title (empty: unchanged)', 'aria-label': 'Title' });
  const reason = input({ id: 'action-reason', placeholder: 'Reason (required to edit, resolve or cancel)', 'aria-label': 'Reason' });
  const save = button('action-save', 'Save changes');
  save.addEventListener('click', run(save, (u) => (u.changes.length ? `Changed: ${u.changes.map((c) => c.field).join(', ')}.` : 'Nothing changed.'), () => {
    const body = { reason: reason.value.trim() };
    if (tags.value.trim() !== '' || tags.dataset.touched) body.tags = tags.value.split(',').map((t) => t.trim()).filter(Boolean);
    if (level.value) body.severity = level.value;
    if (title.value.trim()) body.title = title.value.trim();
    return api(`/incidents/${view.id}`, { method: 'PATCH', body });
  }));
  tags.addEventListener('input', () => (tags.dataset.touched = '1'));
  // What it was: required to resolve; a cancel records a false positive unless told otherwise.
  const kind = el(
    'select',
    { id: 'action-classification', 'aria-label': 'Classification' },
    el('option', { value: '', text: 'what was it?' }),
    CLASSIFICATIONS.map(([value, text]) => el('option', { value, text })),
  );
  const classified = () => (kind.value ? { classification: kind.value } : {});
  const resolve = button('action-resolve', 'Resolve', 'approve');
  resolve.addEventListener('click', run(resolve, () => 'Its playbook was asked to resolve it.', () => post('/resolve', { reason: reason.value.trim(), ...classified() })));
  const cancel = button('action-cancel', 'Cancel (false positive)', 'deny');
  cancel.addEventListener('click', run(cancel, (c) => c.message || 'Its playbook was asked to cancel it.', () => post('/cancel', { reason: reason.value.trim(), ...classified() })));

  panel.replaceChildren(
    el('div', { class: 'action-row' }, ack, take, person, assign, unassign),
    el('div', { class: 'action-row' }, note, addNote),
    el('div', { class: 'action-row' }, tags, level, title),
    el('div', { class: 'action-row' }, reason, save, kind, resolve, cancel),
  );
}

/** The API's classifications (lib/domain/classification.ts), as a responder reads them. */
const CLASSIFICATIONS = [
  ['true_positive', 'true positive'],
  ['benign_true_positive', 'benign true positive'],
  ['false_positive', 'false positive'],
  ['duplicate', 'duplicate'],
  ['test', 'test'],
];

function owned(a) {
  if (!a.changed) return `Nothing changed: it already was ${a.assignee || 'nobody'}'s.`;
  return a.assignee ? `It is ${a.assignee}'s now.` : 'Nobody owns it now.';
}

function say(text) {
  const box = $('action-result');
  box.replaceChildren(el('strong', { text }));
  box.hidden = false;
}
