// #/report: MTTD, MTTA, MTTC and MTTR per playbook (or severity, source, week) as bars, and the
// false-positive rate per rule, from GET /reports/response-times and /reports/false-positives.
import { api } from './api.js';
import { $, clearError, el, showError } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const MEASURES = [
  ['mttd', 'detect'],
  ['mtta', 'acknowledge'],
  ['mttc', 'contain'],
  ['mttr', 'resolve'],
];

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/** "4m 12s", "850ms": a duration for a label. */
function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms}ms`;
  let s = Math.round(ms / 1000);
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
  }
  parts.push(`${s}s`);
  return parts.join(' ');
}

/** One group's four means as horizontal bars (inline SVG), each labelled with its mean, median and p90. */
function bars(group, scaleMs) {
  const row = 22;
  const width = 780;
  const label = 140;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${row * MEASURES.length}`, width, height: row * MEASURES.length, role: 'img', 'aria-label': `Response times for ${group.key}` });
  MEASURES.forEach(([key, name], i) => {
    const s = group[key];
    const y = i * row;
    const w = s.count === 0 || scaleMs === 0 ? 0 : Math.max(2, Math.round(((width - label - 320) * s.meanMs) / scaleMs));
    chart.append(
      svg('text', { x: 0, y: y + 15, class: 'bar-label' }, `time to ${name}`),
      svg('rect', { x: label, y: y + 4, width: w, height: row - 8, class: `bar bar-${key}` }),
      svg('text', { x: label + w + 6, y: y + 15, class: 'bar-value' }, s.count === 0 ? 'not reached' : `${duration(s.meanMs)} mean · ${duration(s.medianMs)} median · ${duration(s.p90Ms)} p90 (${s.count})`),
    );
  });
  return chart;
}

function rates(title, list) {
  if (list.length === 0) return el('p', { class: 'muted', text: `${title}: no classified incident came from an alert.` });
  return el('table', { class: 'incidents' },
    el('thead', {}, el('tr', {}, el('th', { text: title }), el('th', { text: 'Incidents' }), el('th', { text: 'False positives' }), el('th', { text: 'Rate' }))),
    el('tbody', {}, list.map((r) => el('tr', {}, el('td', { text: r.rule }), el('td', { text: String(r.incidents) }), el('td', { text: String(r.falsePositives) }), el('td', { text: `${Math.round(r.rate * 100)}%` })))));
}

/** Each SLA target met or missed (runbooks/sla.yaml). */
function slaTable(rows) {
  if (rows.length === 0) return el('p', { class: 'muted', text: 'No SLA target applies to these incidents.' });
  return el('table', { class: 'incidents sla' },
    el('thead', {}, el('tr', {}, ['SLA policy', 'Measure', 'Target', 'Met', 'Missed', 'Pending'].map((h) => el('th', { text: h })))),
    el('tbody', {}, rows.map((t) => el('tr', { class: t.missed > 0 ? 'missed' : 'met' },
      el('td', { text: t.rule }), el('td', { text: t.measure }), el('td', { text: t.target }),
      el('td', { text: String(t.met) }), el('td', { text: t.missed > 0 ? `${t.missed} missed` : '0' }), el('td', { text: String(t.pending) })))));
}

async function load(query) {
  const box = $('report-error');
  clearError(box);
  const by = query.get('by') || 'playbook';
  const days = Number(query.get('days') || 30);
  const since = new Date(Date.now() - days * 86400000).toISOString();
  $('report-by').value = by;
  $('report-days').value = String(days);
  try {
    const [times, fp] = await Promise.all([
      api(`/reports/response-times?by=${encodeURIComponent(by)}&since=${encodeURIComponent(since)}`),
      api(`/reports/false-positives?since=${encodeURIComponent(since)}`),
    ]);
    const scale = Math.max(0, ...times.groups.flatMap((g) => MEASURES.map(([k]) => g[k].meanMs || 0)));
    $('report-times').replaceChildren(
      el('p', { text: `${times.incidents} incident(s) detected in the last ${days} day(s); bars are means, from the first alert.` }),
      slaTable(times.sla || []),
      ...times.groups.map((g) => el('figure', { class: 'report-group' }, el('figcaption', {}, el('strong', { text: g.key }), ` · ${g.incidents} incident(s)`), bars(g, scale))),
    );
    $('report-fp').replaceChildren(
      el('p', { text: `${fp.classified} classified incident(s), ${fp.unclassified} closed without a classification (test and duplicate ones are not counted in rates).` }),
      rates('Routing rule', fp.routingRules),
      rates('Vendor rule', fp.vendorRules),
    );
  } catch (err) {
    showError(box, err);
  }
}

/** Shows the report view; answers how to leave it. */
export function showReport(query) {
  $('report-view').hidden = false;
  const form = $('report-form');
  const submit = (event) => {
    event.preventDefault();
    location.hash = `#/report?by=${encodeURIComponent($('report-by').value)}&days=${encodeURIComponent($('report-days').value)}`;
  };
  form.addEventListener('submit', submit);
  void load(query);
  return () => form.removeEventListener('submit', submit);
}
