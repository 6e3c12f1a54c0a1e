// An incident's approval gates, and Approve / Deny for those still waiting.
import { api, atLeast, session } from './api.js';
import { $, clearError, el, showError, status, time } from './dom.js';

/** Reloads the gates of the incident `view` shows. */
export async function loadApprovals(view) {
  try {
    const approvals = await api(`/incidents/${view.id}/approvals`);
    if (view.closed) return;
    clearError($('approvals-error'));
    const gates = approvals.gates || [];
    $('gates').replaceChildren(...(gates.length ? gates.map((g) => gateCard(view, g)) : [el('p', { class: 'muted', text: 'This playbook has asked for no approval yet.' })]));
  } catch (err) {
    if (view.closed) return;
    if (err.code === 'playbook_not_running') {
      // Normal for a closed incident: said quietly.
      clearError($('approvals-error'));
      $('gates').replaceChildren(el('p', { class: 'muted' }, err.message, ' ', err.hint));
    } else {
      showError($('approvals-error'), err);
    }
  }
}

function gateCard(view, g) {
  const waiting = g.status === 'open' || g.status === 'paused';
  const card = el('article', { class: `gate gate-${g.status}${g.critical ? ' critical' : ''}`, 'data-gate': g.id },
    el('h3', {}, el('span', { class: 'mono', text: g.id }), ' ', status(g.status), g.critical ? el('span', { class: 'sev sev-critical', text: 'critical' }) : null),
    el('p', { class: 'gate-summary', text: g.summary }),
    el('dl', { class: 'facts' },
      el('dt', { text: 'Step' }), el('dd', { text: g.step }),
      el('dt', { text: 'Approvals' }), el('dd', { text: `${g.approvals} of ${g.needed} needed` }),
      el('dt', { text: 'Who may decide' }), el('dd', { text: g.whoMayDecide }),
      el('dt', { text: 'Requested' }), el('dd', {}, `by ${g.requestedBy} `, time(g.requestedAt)),
      g.deadline ? [el('dt', { text: 'Escalates' }), el('dd', {}, time(g.deadline))] : null,
      g.expiresAt ? [el('dt', { text: 'Expires' }), el('dd', {}, time(g.expiresAt), ` then ${g.fallback}`)] : null,
      g.choice ? [el('dt', { text: 'Chosen' }), el('dd', { text: g.choice })] : null),
    g.votes && g.votes.length
      ? el('ul', { class: 'votes' }, g.votes.map((v) => el('li', {},
        el('strong', { text: v.approverId }), ` ${v.decision}${v.choice ? ` (${v.choice})` : ''} via ${v.via} `, time(v.at),
        v.reason ? el('div', { class: 'muted', text: `“${v.reason}”` }) : null)))
      : null);
  if (waiting) {
    card.append(atLeast('approver')
      ? voteForm(view, g)
      : el('p', { class: 'muted', text: `Your token's role (${session.me ? session.me.role : 'unknown'}) cannot vote: approvers can.` }));
  }
  return card;
}

function voteForm(view, g) {
  const reason = el('input', { type: 'text', name: 'reason', maxlength: 2000, placeholder: 'Reason (required to deny)', 'aria-label': `Reason for ${g.id}` });
  const choice = g.options && g.options.length
    ? el('select', { name: 'choice', 'aria-label': `Choice for ${g.id}` }, g.options.map((o) => el('option', { value: o, text: o })))
    : null;
  const approve = el('button', { type: 'button', class: 'approve', text: 'Approve' });
  const deny = el('button', { type: 'button', class: 'deny', text: 'Deny' });
  const problem = el('span', { class: 'inline-error', role: 'alert' });
  const vote = async (decision) => {
    problem.textContent = '';
    const why = reason.value.trim();
    if (decision === 'deny' && why.length < 3) {
      problem.textContent = 'Say why you deny (3 characters or more).';
      reason.focus();
      return;
    }
    approve.disabled = deny.disabled = true;
    const body = { decision, ...(why ? { reason: why } : {}), ...(decision === 'approve' && choice ? { choice: choice.value } : {}) };
    try {
      showVerdict(await api(`/incidents/${view.id}/approvals/${encodeURIComponent(g.id)}`, { method: 'POST', body }));
    } catch (err) {
      showVerdictError(g.id, err);
    } finally {
      approve.disabled = deny.disabled = false;
      void loadApprovals(view);
    }
  };
  approve.addEventListener('click', () => void vote('approve'));
  deny.addEventListener('click', () => void vote('deny'));
  return el('div', { class: 'vote' }, choice, reason, approve, deny, problem);
}

function showVerdict(v) {
  const box = $('verdict');
  box.className = `verdict outcome-${v.outcome}`;
  const said = v.outcome === 'pending'
    ? `Your vote on ${v.gateId} counted: ${v.approvals} of ${v.needed} approvals; the gate waits for more.`
    : `Your vote on ${v.gateId} counted: the gate is ${v.outcome} (${v.approvals} of ${v.needed} approvals).`;
  box.replaceChildren(el('strong', { text: said }));
  box.hidden = false;
}

/** A vote that did not count (409: already decided, not allowed…; 403: role): the API's message and hint. */
function showVerdictError(gateId, err) {
  const box = $('verdict');
  box.className = 'verdict error';
  box.replaceChildren(el('strong', { text: `Your vote on ${gateId} did not count: ${err.message}` }), err.hint ? el('div', { class: 'hint', text: err.hint }) : null);
  box.hidden = false;
}
