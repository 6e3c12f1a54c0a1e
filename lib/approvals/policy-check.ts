import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { PalisadeError } from '../errors';
import type { Catalogue } from '../playbooks/catalogue';

/**
 * Checks `runbooks/approvals.yaml` against the playbooks the engine runs: every playbook it
 * names exists, and every gate it names is one that playbook declares. A misspelled name
 * would otherwise give its gate the default policy without a word. Run when the API and the
 * worker start (after the file's own schema check, `loadApprovalPolicies`).
 */
export function checkApprovalPolicies(file: string, catalogue: Catalogue): void {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
  const playbooks = doc.get('playbooks', true);
  if (!isMap(playbooks)) return;
  const at = (offset: number | undefined) => (offset === undefined ? file : `${file}:${lines.linePos(offset).line}`);
  for (const item of playbooks.items) {
    if (!isScalar(item.key)) continue;
    const name = String(item.key.value);
    const entry = catalogue.get(name);
    if (!entry) {
      throw new PalisadeError(
        'approvals_unknown_playbook',
        `${at(item.key.range?.[0])}: playbooks.${name} names no playbook the engine runs.`,
        `Known playbooks: ${catalogue.names.join(', ')}. Fix the name, or remove the entry.`,
      );
    }
    const gates = isMap(item.value) ? (item.value).get('gates', true) : undefined;
    if (!isMap(gates)) continue;
    for (const gate of gates.items) {
      if (!isScalar(gate.key)) continue;
      const id = String(gate.key.value);
      if (entry.gates.includes(id)) continue;
      throw new PalisadeError(
        'approvals_unknown_gate',
        `${at(gate.key.range?.[0])}: playbooks.${name}.gates.${id} is not a gate of ${name}.`,
        `Gates of ${name}: ${entry.gates.join(', ')}. Fix the name (a misspelled gate would silently get the default policy).`,
      );
    }
  }
}
