// Palisade's responder page: plain ES modules, no build step, no framework.
// This one signs in and out and routes: #/ (the list, filters in the query) and #/incidents/<id>.
import { api, forget, onUnauthorized, remember, session } from './api.js';
import { $, clearError, local, showError, utc } from './dom.js';
import { showIncident } from './incident.js';
import { showList } from './list.js';
import { showReport } from './report.js';

let leave = () => {};

function route() {
  leave();
  leave = () => {};
  const [path, query] = (location.hash.replace(/^#/, '') || '/').split('?');
  for (const id of ['sign-in', 'list-view', 'detail-view', 'report-view']) $(id).hidden = true;
  if (!session.token) {
    $('sign-in').hidden = false;
    $('token').focus();
    return;
  }
  if (path === '/report') {
    leave = showReport(new URLSearchParams(query || ''));
    return;
  }
  const detail = /^\/incidents\/([^/]+)$/.exec(path);
  leave = detail ? showIncident(decodeURIComponent(detail[1])) : showList(new URLSearchParams(query || ''));
}

function showWho() {
  $('who-name').textContent = session.me.name;
  $('who-role').textContent = session.me.role;
  $('who').hidden = false;
}

function signOut(reason) {
  forget();
  $('who').hidden = true;
  route();
  if (reason) showError($('sign-in-error'), reason);
}

onUnauthorized((failure) => signOut(failure));

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearError($('sign-in-error'));
  const token = $('token').value.trim();
  try {
    remember(token, await api('/me', { token }));
    $('token').value = '';
    showWho();
    route();
  } catch (err) {
    showError($('sign-in-error'), err);
  }
});

$('sign-out').addEventListener('click', () => signOut(null));
window.addEventListener('hashchange', route);

function tick() {
  const now = new Date();
  $('clock').textContent = `${utc(now)} · ${local(now)}`;
}
tick();
setInterval(tick, 1000);

if (session.token) {
  try {
    session.me = await api('/me');
    showWho();
  } catch {
    // A 401 signed the tab out; anything else shows on the page route() opens.
  }
}
route();
