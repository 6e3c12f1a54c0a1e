// Per test process: only the Temporal SDK's warnings and errors reach the test output.
import { installTemporalLogging } from '../../apps/worker/logging';
import { createLogger } from '../../lib/logger';

installTemporalLogging(createLogger('test-worker', 'warn'));
