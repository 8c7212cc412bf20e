// The audit log as the admin's screen reads it (types and labels only, browser-safe).

export interface AuditEntryView {
  id: number;
  at: string;
  action: string;
  userId: number | null;
  username: string | null;
  ip: string | null;
  targetType: string | null;
  targetId: string | null;
  eventId: number | null;
  eventCode: string | null;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  /** ISO times; `from` inclusive, `to` exclusive. */
  from?: string | undefined;
  to?: string | undefined;
  /** One action, or a group (AUDIT_GROUPS id). */
  action?: string | undefined;
  /** User name as recorded (a failed sign-in records the name typed). */
  user?: string | undefined;
  ip?: string | undefined;
  /** `record:123`, `user:5`, or a bare id. */
  target?: string | undefined;
}

export interface AuditPage {
  entries: AuditEntryView[];
  total: number;
  offset: number;
  limit: number;
}

/** Chinese names of the actions the product records; unknown actions show as they are. */
export const AUDIT_ACTION_LABELS: Record<string, string> = {
  login: '登录成功',
  login_failed: '登录失败',
  logout: '退出登录',
  account_lock: '账号锁定',
  account_unlock: '账号解锁',
  password_change: '修改密码',
  password_change_failed: '修改密码失败',
  password_reset: '重设密码',
  user_add: '添加用户',
  user_disable: '停用用户',
  user_enable: '启用用户',
  unit_add: '添加单位',
  unit_update: '修改单位',
  id_number_read: '查看完整证件号',
  record_create: '新建记录',
  record_update: '修改记录',
  photo_upload: '上传照片',
  review_submit: '提交审核',
  review_approved: '审核通过',
  review_rejected: '审核不通过',
  review_returned: '退回修改',
  import_upload: '上传采集表',
  import_row_edit: '修改导入行',
  import_commit: '提交入库',
  import_discard: '放弃导入',
  import_export_rows: '导出问题行',
  mapping_profile_save: '保存映射方案',
  mapping_profile_delete: '删除映射方案',
  print_job_create: '创建制作任务',
  print_job_succeeded: '制作完成',
  print_job_failed: '制作失败',
  print_job_retry: '重试制作',
  print_job_cancel: '取消制作',
  print_job_download: '下载证件 PDF',
  layout_proof: '下载校样 PDF',
  report_export: '导出统计报表',
  card_issue: '发放证件',
  card_return: '收回证件',
  card_lost: '挂失证件',
  card_damaged: '证件损坏',
  card_revoke: '注销证件',
  card_reprint: '补制证件',
  card_verify: '扫码核验',
  event_create: '新建活动',
  event_publish: '发布新版本',
  event_import: '导入插件包',
  event_export: '导出插件包',
  event_draft_discard: '放弃草稿',
  event_asset_upload: '上传版式资源',
  backup_start: '开始备份',
  inspection: '巡检',
  legacy_migrate: '旧系统迁移',
};

/** Groups the filter offers besides single actions. */
export const AUDIT_GROUPS: readonly { id: string; label: string; actions: readonly string[] }[] = [
  {
    id: 'group:auth',
    label: '登录与账号',
    actions: [
      'login',
      'login_failed',
      'logout',
      'account_lock',
      'account_unlock',
      'password_change',
      'password_change_failed',
      'password_reset',
      'user_add',
      'user_disable',
      'user_enable',
    ],
  },
  {
    id: 'group:export',
    label: '导出与下载',
    actions: ['import_export_rows', 'print_job_download', 'layout_proof', 'report_export', 'event_export'],
  },
  {
    id: 'group:review',
    label: '审核决定',
    actions: ['review_approved', 'review_rejected', 'review_returned'],
  },
  {
    id: 'group:print',
    label: '制证与证件',
    actions: [
      'print_job_create',
      'print_job_succeeded',
      'print_job_failed',
      'print_job_retry',
      'print_job_cancel',
      'card_issue',
      'card_return',
      'card_lost',
      'card_damaged',
      'card_revoke',
      'card_reprint',
    ],
  },
];

export const auditActionLabel = (action: string): string => AUDIT_ACTION_LABELS[action] ?? action;
