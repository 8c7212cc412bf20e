import type { RouteDef } from '../route-table.ts';
import { adminRoutes } from './admin.ts';
import { authRoutes } from './auth.ts';
import { backupRoutes } from './backups.ts';
import { cardRoutes } from './cards.ts';
import { eventRoutes } from './events.ts';
import { helpRoutes } from './help.ts';
import { photoRoutes } from './photos.ts';
import { importRoutes } from './imports.ts';
import { layoutRoutes } from './layouts.ts';
import { onboardingRoutes } from './onboarding.ts';
import { opsRoutes } from './ops.ts';
import { recordRoutes } from './records.ts';
import { reviewRoutes } from './review.ts';
import { reportRoutes } from './reports.ts';
import { searchRoutes } from './search.ts';
import { setupRoutes } from './setup.ts';
import { systemRoutes } from './system.ts';

/** The whole route table. Tests walk it to check every route's access rule. */
export function allRoutes(): RouteDef[] {
  return [
    ...systemRoutes,
    ...authRoutes,
    ...eventRoutes,
    ...recordRoutes,
    ...importRoutes,
    ...reviewRoutes,
    ...cardRoutes,
    ...searchRoutes,
    ...reportRoutes,
    ...photoRoutes,
    ...setupRoutes,
    ...layoutRoutes,
    ...onboardingRoutes,
    ...adminRoutes,
    ...backupRoutes,
    ...opsRoutes,
    ...helpRoutes,
  ];
}
