// What the onboarding API returns (server/routes/onboarding.ts; core/events/onboarding.ts builds it):
// types only, imported by the designer too.
//
//   GET  /api/events/:event/onboarding                 → OnboardingView
//   POST /api/events/:event/onboarding/template-sends  TemplateSendBody → OnboardingView & { changed }

/** The checklist's steps, in the order a new event is set up. */
export type OnboardingStepId =
  'forms' | 'cardTypes' | 'units' | 'layouts' | 'templates' | 'firstImport' | 'firstReview' | 'firstPrint';

/** ✓ 完成 / ⚠ 部分 / ✗ 未完成. */
export type OnboardingStatus = 'done' | 'partial' | 'missing';

export interface OnboardingStep {
  id: OnboardingStepId;
  /** 采集表单, 证件类型 … */
  title: string;
  /** Later steps (first import, review, print) show progress and never hold the checklist open. */
  optional: boolean;
  status: OnboardingStatus;
  /** One line: what is there (“3 个单位，其中 1 个还没有账号”). */
  summary: string;
  /** Each thing still missing, named (a card type without a layout, a unit without an account …). */
  missing: string[];
  /** When the step is a count of things done: how far along, e.g. 2 of 3 units. */
  progress: { done: number; total: number } | null;
}

/** A unit and whether the collection template has reached it for this event. */
export interface OnboardingUnit {
  code: string;
  name: string;
  contactName: string | null;
  contactPhone: string | null;
  /** Enabled unit accounts of the unit. */
  accounts: number;
  /** Records the unit has in this event. */
  records: number;
  template: {
    /** `download`: a unit account downloaded it; `marked`: staff marked it 已发送. */
    via: 'download' | 'marked';
    firstAt: string;
    lastAt: string;
    downloads: number;
    markedBy: string | null;
  } | null;
}

export interface OnboardingView {
  event: { code: string; name: string };
  steps: OnboardingStep[];
  /** Required steps done, of the required steps. */
  required: { done: number; total: number };
  allDone: boolean;
  /** The units with their template state; empty for roles that only read the checklist. */
  units: OnboardingUnit[];
  /** The event has unpublished changes in its setup draft. */
  draftPending: boolean;
}

export interface TemplateSendBody {
  /** Unit codes. */
  units: string[];
  /** true: 标记已发送; false: 撤销标记 (a unit's own download stays recorded). */
  sent: boolean;
}
