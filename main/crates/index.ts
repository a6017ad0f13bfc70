export {
  addItem,
  closeCrate,
  crateFactsFor,
  getCrate,
  listCrates,
  openCrate,
  packForTransit,
  receiveCrate,
  removeItem,
  sealCrate,
  tickOff,
  unpackForReroute,
} from './crate-service.js';
export type { CrateContents } from './crate-service.js';
export { crateLabelPdf } from './crate-label.js';
export type { CrateLabelInput } from './crate-label.js';
export { crateManifestCsv, crateManifestPdf } from './crate-manifest.js';
export type { CrateManifestInput, CrateManifestItem } from './crate-manifest.js';
