import { z } from 'zod';
import { CAPABILITIES } from '../../../../lib/providers/capabilities';

/** Rows of the simulated fleet's tables (sim_*), as fleet.service.ts selects them. */
const rows = (fields: Record<string, z.ZodType>) => z.array(z.looseObject(fields));

export const fleetSchema = z
  .object({
    hosts: rows({ id: z.string(), hostname: z.string(), isolated: z.boolean(), online: z.boolean() }),
    credentials: rows({ id: z.string(), type: z.string(), status: z.string() }),
    accounts: rows({ id: z.string(), status: z.string() }),
    resources: rows({ id: z.string(), kind: z.string(), quarantined: z.boolean(), matchesBaseline: z.boolean() }),
    faults: rows({ capability: z.string(), action: z.string(), target: z.string() }),
    recentCalls: rows({ capability: z.string(), action: z.string(), target: z.string(), outcome: z.string() }).describe('The last 50 provider calls, newest first.'),
  })
  .meta({ id: 'Fleet' });

export const fleetSetupSchema = z.object({ simulated: z.literal(true) }).meta({ id: 'FleetSetup' });
export const hostsAddedSchema = z.object({ hosts: z.number().int() }).meta({ id: 'HostsAdded' });
export const fleetItemSchema = z.object({ id: z.string() }).meta({ id: 'FleetItem' });
export const faultSetSchema = z.object({ capability: z.enum(CAPABILITIES), action: z.string(), target: z.string() }).meta({ id: 'FaultSet' });
export const faultsClearedSchema = z.object({ cleared: z.number().int() }).meta({ id: 'FaultsCleared' });
