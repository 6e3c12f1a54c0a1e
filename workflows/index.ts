// Every workflow the worker runs. The Temporal bundler starts from this file.
export { manualIncident } from './manual-incident/workflow';
export { triageIncident } from './triage/workflow';
export { hostCompromise } from './host-compromise/workflow';
export { secretLeak } from './secret-leak/workflow';
export { configDrift } from './config-drift/workflow';
export { patchCanary } from './patch-canary/workflow';
