/** Injection tokens of the webhooks module. */
export const ROUTING = Symbol('ROUTING');
export const REDACTOR = Symbol('REDACTOR');
export const REPLAY_CACHE = Symbol('REPLAY_CACHE');
export const SNS_VERIFIER = Symbol('SNS_VERIFIER');
export const SNS_CONFIRMER = Symbol('SNS_CONFIRMER');
export const LEAKED_SECRETS = Symbol('LEAKED_SECRETS');
