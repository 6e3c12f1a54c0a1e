import type { SourceName } from '../alert';
import type { SourceAdapter } from '../source';
import { elasticSource } from './elastic';
import { falcoSource } from './falco';
import { genericSource } from './generic';
import { githubSource } from './github';
import { guarddutySource } from './guardduty';
import { securityhubSource } from './securityhub';
import { sentinelSource } from './sentinel';
import { splunkSource } from './splunk';
import { wazuhSource } from './wazuh';

/** One adapter per vendor; `POST /webhooks/:source` picks one of these by name. */
export const SOURCE_ADAPTERS: Record<SourceName, SourceAdapter> = {
  splunk: splunkSource,
  elastic: elasticSource,
  wazuh: wazuhSource,
  falco: falcoSource,
  guardduty: guarddutySource,
  securityhub: securityhubSource,
  github: githubSource,
  sentinel: sentinelSource,
  generic: genericSource,
};
