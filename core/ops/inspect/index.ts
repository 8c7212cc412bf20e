export {
  CHECKS,
  INSPECTION_TASK,
  Inspections,
  type InspectionActor,
  type InspectionResult,
} from './inspections.ts';
export { reportHtml } from './html.ts';
export { FAILED_LOGIN_BURST, WEAK_PASSWORDS } from './checks/security.ts';
export type * from './views.ts';
