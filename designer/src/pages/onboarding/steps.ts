// Where each checklist step is done, and who may go there (the same roles as the nav's items).
import type { OnboardingStatus, OnboardingStepId } from '../../lib/onboarding-api';
import {
  importsPath,
  layoutsPath,
  onboardingPath,
  reviewsPath,
  setupPath,
  eventPath,
} from '../../lib/router.svelte';
import type { Role } from '../../lib/types';

interface StepTarget {
  label: string;
  path: (code: string) => string;
  roles: readonly Role[];
  /** Who does it, for roles that cannot go there. */
  owner: string;
}

const TARGETS: Record<OnboardingStepId, StepTarget> = {
  forms: {
    label: '编辑表单',
    path: (c) => setupPath(c, 'form-person'),
    roles: ['admin'],
    owner: '管理员',
  },
  cardTypes: {
    label: '证件类型',
    path: (c) => setupPath(c, 'card-types'),
    roles: ['admin'],
    owner: '管理员',
  },
  units: {
    label: '单位与配额',
    path: (c) => setupPath(c, 'units'),
    roles: ['admin'],
    owner: '管理员',
  },
  layouts: {
    label: '设计版式',
    path: layoutsPath,
    roles: ['admin', 'designer'],
    owner: '设计员',
  },
  templates: {
    label: '下发模板',
    path: (c) => `${onboardingPath(c)}?units`,
    roles: ['admin', 'clerk'],
    owner: '采集员',
  },
  firstImport: { label: '信息采集', path: importsPath, roles: ['admin', 'clerk'], owner: '采集员' },
  firstReview: { label: '数据审核', path: reviewsPath, roles: ['admin', 'clerk'], owner: '审核员' },
  firstPrint: {
    label: '证件制作',
    path: (c) => `${eventPath(c)}/production`,
    roles: ['admin'],
    owner: '制证员',
  },
};

/** The button of a step for this role, or who does it instead. */
export function stepTarget(
  id: OnboardingStepId,
  code: string,
  role: Role,
): { label: string; path: string } | { owner: string } {
  const t = TARGETS[id];
  return t.roles.includes(role) ? { label: t.label, path: t.path(code) } : { owner: t.owner };
}

export const STATUS_MARK: Record<OnboardingStatus, { mark: string; label: string }> = {
  done: { mark: '✓', label: '完成' },
  partial: { mark: '⚠', label: '部分' },
  missing: { mark: '✗', label: '未完成' },
};
