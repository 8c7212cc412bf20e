import type { Engine } from '../../core/engine.ts';
import { Onboarding, type TemplateSendBody } from '../../core/events/onboarding.ts';
import { auditActorOf, eventParam, requestBody } from '../route-params.ts';
import { defineRoutes } from '../route-table.ts';

/** Staff who set an event up and send its templates out see the units and may mark them. */
const SENDERS = ['admin', 'clerk'] as const;

const services = new WeakMap<Engine, Onboarding>();

/** The onboarding service of an engine (stateless over the engine's database, made once per engine). */
export function onboardingOf(engine: Engine): Onboarding {
  let service = services.get(engine);
  if (!service) {
    service = new Onboarding(engine.db, engine.events, engine.audit);
    services.set(engine, service);
  }
  return service;
}

export const onboardingRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/events/:event/onboarding',
    summary: '开通向导 (first-run checklist of an event: forms, card types, units, layouts, templates sent)',
    tag: 'onboarding',
    // Designers read the checklist (their step is the layouts) without the unit table.
    access: ['admin', 'clerk', 'designer'],
    handler: async (ctx, engine) => {
      const role = ctx.state.user!.role;
      ctx.body = await onboardingOf(engine).view(eventParam(ctx), {
        withUnits: (SENDERS as readonly string[]).includes(role),
      });
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/onboarding/template-sends',
    summary: '标记采集模板已发送 (body: { units: [unit codes], sent: true|false }; false takes marks back)',
    tag: 'onboarding',
    access: SENDERS,
    handler: async (ctx, engine) => {
      const service = onboardingOf(engine);
      const body = requestBody(ctx) as unknown as TemplateSendBody;
      const { changed } = await service.markSent(eventParam(ctx), body, auditActorOf(ctx));
      ctx.body = { changed, ...(await service.view(eventParam(ctx), { withUnits: true })) };
    },
  },
]);
