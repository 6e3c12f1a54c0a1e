// The libraries every run of the worker's workflow thread shares (lib/temporal/workflow-bundle.ts,
// PRELOADED_MODULES): evaluated once, before any run, then deep-frozen by the SDK. Only
// libraries without per-run state belong here. A bare `require('zod')` in the bundle's
// preload list is dropped by webpack (zod declares `sideEffects: false`), so this module
// uses zod, which keeps it evaluated; through `z`, as the playbooks do, so the bundle keeps
// the same zod modules (not its 60 locales): the test names any zod module a playbook uses
// that is not shared (test/unit/workflow-bundle-shared-modules.test.ts).
import { z } from 'zod';

// zod sets its defaults on first use (the default locale and memoizer into its global config,
// whether it may compile parsers into `allowsEval`), into objects the SDK freezes once this
// module is loaded: a schema made and used here sets them first (a run writing them later
// failed its workflow task: "Cannot add property localeError, object is not extensible").
export const warmed = z.object({ warm: z.string(), at: z.iso.datetime().optional() }).parse({ warm: '' });
