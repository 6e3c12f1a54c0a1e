/** Where replay tests (and `palisade replay check`) read histories from; `history export` writes there. */
export const HISTORY_DIR = 'test/histories';
