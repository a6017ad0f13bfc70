export { knownLibraries, loadDemo, setUpStandalone } from './setup-service.js';
export { demoConsortium, demoLibraryCodes } from './demo-consortium.js';
