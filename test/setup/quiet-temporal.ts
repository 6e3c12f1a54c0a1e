// Per test process: only the Temporal SDK's warnings and errors reach the test output.
import { installTemporalRuntime } from '../../apps/worker/logging';
import { createLogger } from '../../lib/logger';

installTemporalRuntime(createLogger('test-worker', 'warn'));
