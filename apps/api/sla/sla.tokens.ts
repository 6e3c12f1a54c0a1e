/** The SLA policy (lib/sla/policy.ts), read once when the API starts. */
export const SLA_POLICY = Symbol('SLA_POLICY');
/** Whom a breach may page: the paging vendor and policy (lib/paging/plan.ts). */
export const SLA_PAGING = Symbol('SLA_PAGING');
