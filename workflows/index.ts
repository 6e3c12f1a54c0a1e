// Every workflow the worker runs. The Temporal bundler starts from this file.
export { manualIncident } from './manual-incident/workflow';
export { triageIncident } from './triage/workflow';
