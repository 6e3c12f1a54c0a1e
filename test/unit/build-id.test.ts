import { describe, expect, it } from 'vitest';
import { bundleAllPlaybooks } from '../../apps/playbooks/bundle';
import { ENGINE_MODULES } from '../../apps/playbooks/bundle';
import { loadPlaybooks } from '../../apps/playbooks/load';
import { buildIdOf } from '../../lib/temporal/build-id';
import { bundlePlaybooks } from '../../lib/temporal/workflow-bundle';

// The worker's version (Worker Versioning) is this id: derived from the code, never typed.
describe('build id', () => {
  it('is the same for the same code bundled twice, and another for other code', async () => {
    const first = await bundleAllPlaybooks();
    const again = await bundleAllPlaybooks();
    const { bundle } = await loadPlaybooks();
    // Other workflow code: the same playbooks but one.
    const other = await bundlePlaybooks(bundle.slice(1), ENGINE_MODULES);

    expect(buildIdOf(first.code)).toMatch(/^b[0-9a-f]{16}$/);
    expect(buildIdOf(again.code)).toBe(buildIdOf(first.code));
    expect(buildIdOf(other.code)).not.toBe(buildIdOf(first.code));
  }, 180_000);

  it('changes with any change to the code, not with where it was bundled', () => {
    const code = 'var a = require("../../tmp/palisade-bundle-AbC123/playbooks.ts");\nrun(1);\n//# sourceMappingURL=data:application/json;base64,eyJ4Ijox';
    expect(buildIdOf(code.replace('../../tmp/palisade-bundle-AbC123', '/var/folders/x/palisade-bundle-zz9ZZ9'))).toBe(buildIdOf(code));
    expect(buildIdOf(code.replace('base64,eyJ4Ijox', 'base64,eyJ5Ijoy'))).toBe(buildIdOf(code));
    expect(buildIdOf(code.replace('run(1)', 'run(2)'))).not.toBe(buildIdOf(code));
  });
});
