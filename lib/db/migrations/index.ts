import { IncidentsAndTimeline1763800000000 } from './1763800000000-incidents-and-timeline';

/** Every committed migration, oldest first. Add new ones at the end. */
export const migrations = [IncidentsAndTimeline1763800000000];
