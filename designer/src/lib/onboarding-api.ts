// Calls of 开通向导 (server/routes/onboarding.ts); the shapes are core's (core/events/onboarding-views.ts).
import type { OnboardingView, TemplateSendBody } from '@core/events/onboarding-views.ts';
import { requestJson } from './api';

export type * from '@core/events/onboarding-views.ts';

const base = (event: string) => `/events/${encodeURIComponent(event)}/onboarding`;

export const onboardingApi = {
  get: (event: string) => requestJson<OnboardingView>('GET', base(event)),
  /** Marks the collection template sent to units (or takes the marks back); the new checklist. */
  markSent: (event: string, body: TemplateSendBody) =>
    requestJson<OnboardingView & { changed: number }>('POST', `${base(event)}/template-sends`, body),
};
