import { IncidentsAndTimeline1763800000000 } from './1763800000000-incidents-and-timeline';
import { AlertIntake1763900000000 } from './1763900000000-alert-intake';
import { SimulatedFleet1764000000000 } from './1764000000000-simulated-fleet';
import { AlertRefires1764100000000 } from './1764100000000-alert-refires';
import { ApiTokens1764200000000 } from './1764200000000-api-tokens';
import { Gamedays1764300000000 } from './1764300000000-gamedays';
import { InboxLeases1764400000000 } from './1764400000000-inbox-leases';
import { TokenIdentity1764516000000 } from './1764516000000-token-identity';

/** Every committed migration, oldest first. Add new ones at the end. */
export const migrations = [IncidentsAndTimeline1763800000000, AlertIntake1763900000000, SimulatedFleet1764000000000, AlertRefires1764100000000, ApiTokens1764200000000, Gamedays1764300000000, InboxLeases1764400000000, TokenIdentity1764516000000];
