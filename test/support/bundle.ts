// The bundling helper lives with the CLI's `replay check`, which needs it outside the tests.
export { bundleWorkflows } from '../../lib/temporal/workflow-bundle';
