export { clearShelf, holdShelf, pullList } from './hold-lists.js';
export { holdSlipPdf, transitSlipPdf } from './hold-slip.js';
export type { HoldSlipInput, TransitSlipInput } from './hold-slip.js';
