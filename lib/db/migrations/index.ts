import { IncidentsAndTimeline1763800000000 } from './1763800000000-incidents-and-timeline';
import { AlertIntake1763900000000 } from './1763900000000-alert-intake';
import { SimulatedFleet1764000000000 } from './1764000000000-simulated-fleet';
import { AlertRefires1764100000000 } from './1764100000000-alert-refires';
import { ApiTokens1764200000000 } from './1764200000000-api-tokens';
import { Gamedays1764300000000 } from './1764300000000-gamedays';
import { InboxLeases1764400000000 } from './1764400000000-inbox-leases';
import { InboxDeadLetters1764500000000 } from './1764500000000-inbox-dead-letters';
import { AlertKeyLookup1764516000000 } from './1764516000000-alert-key-lookup';
import { StripSnsLinks1764560000000 } from './1764560000000-strip-sns-links';
import { SimulatedAccounts1764650000000 } from './1764650000000-simulated-accounts';
import { TokenIdentity1764700000000 } from './1764700000000-token-identity';
import { PagingOutbox1764800000000 } from './1764800000000-paging-outbox';
import { PagingChannels1764910000000 } from './1764910000000-paging-channels';
import { IncidentBuilds1764920000000 } from './1764920000000-incident-builds';
import { IncidentStuck1764920000001 } from './1764920000001-incident-stuck';
import { WebhookReplays1764930000000 } from './1764930000000-webhook-replays';
import { MetricsCursor1764940000000 } from './1764940000000-metrics-cursor';
import { GamedayHeartbeats1764950000000 } from './1764950000000-gameday-heartbeats';
import { InboxTraceparent1764960000000 } from './1764960000000-inbox-traceparent';
import { IncidentAssignee1764970000000 } from './1764970000000-incident-assignee';
import { IncidentClassification1764980000000 } from './1764980000000-incident-classification';
import { PostmortemReview1764990000000 } from './1764990000000-postmortem-review';
import { IncidentLinks1764990000001 } from './1764990000001-incident-links';
import { Deploys1765000000000 } from './1765000000000-deploys';
import { RunsWorking1765130000000 } from './1765130000000-runs-working';

/** Every committed migration, oldest first. Add new ones at the end. */
export const migrations = [
  IncidentsAndTimeline1763800000000,
  AlertIntake1763900000000,
  SimulatedFleet1764000000000,
  AlertRefires1764100000000,
  ApiTokens1764200000000,
  Gamedays1764300000000,
  InboxLeases1764400000000,
  InboxDeadLetters1764500000000,
  AlertKeyLookup1764516000000,
  StripSnsLinks1764560000000,
  SimulatedAccounts1764650000000,
  TokenIdentity1764700000000,
  PagingOutbox1764800000000,
  PagingChannels1764910000000,
  IncidentBuilds1764920000000,
  IncidentStuck1764920000001,
  WebhookReplays1764930000000,
  MetricsCursor1764940000000,
  GamedayHeartbeats1764950000000,
  InboxTraceparent1764960000000,
  IncidentAssignee1764970000000,
  IncidentClassification1764980000000,
  PostmortemReview1764990000000,
  IncidentLinks1764990000001,
  Deploys1765000000000,
  RunsWorking1765130000000,
];
