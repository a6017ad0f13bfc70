export { deskStatus, signIn, signOut } from './staff-service.js';
