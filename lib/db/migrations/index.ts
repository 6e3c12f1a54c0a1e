import { IncidentsAndTimeline1763800000000 } from './1763800000000-incidents-and-timeline';
import { AlertIntake1763900000000 } from './1763900000000-alert-intake';

/** Every committed migration, oldest first. Add new ones at the end. */
export const migrations = [IncidentsAndTimeline1763800000000, AlertIntake1763900000000];
