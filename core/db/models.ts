import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

import type { Role } from '../roles.ts';

export { ROLES, ROLE_LABELS, type Role } from '../roles.ts';

export class PluginVersion extends Model<
  InferAttributes<PluginVersion>,
  InferCreationAttributes<PluginVersion>
> {
  declare id: CreationOptional<number>;
  declare pluginCode: string;
  declare version: number;
  declare declaredVersion: string;
  declare checksum: string;
  declare source: 'bundled' | 'designer' | 'import';
  declare bundle: object;
  declare createdBy: number | null;
  declare createdAt: CreationOptional<Date>;
}

export class Event extends Model<InferAttributes<Event>, InferCreationAttributes<Event>> {
  declare id: CreationOptional<number>;
  declare code: string;
  declare name: string;
  declare pluginCode: string;
  declare pluginVersionId: number;
  declare status: CreationOptional<'active' | 'archived'>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Unit extends Model<InferAttributes<Unit>, InferCreationAttributes<Unit>> {
  declare id: CreationOptional<number>;
  declare code: string;
  declare name: string;
  declare contactName: string | null;
  declare contactPhone: string | null;
  declare contactEmail: CreationOptional<string | null>;
  declare address: CreationOptional<string | null>;
  declare remark: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** The working copy of an event's plugin while an admin edits it (see core/events/setup.ts). */
export class EventDraft extends Model<InferAttributes<EventDraft>, InferCreationAttributes<EventDraft>> {
  declare eventId: number;
  declare baseVersionId: number;
  declare revision: CreationOptional<number>;
  declare bundle: object;
  declare updatedBy: number | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare username: string;
  declare displayName: string;
  declare passwordHash: string;
  declare role: Role;
  declare unitId: number | null;
  declare disabled: CreationOptional<boolean>;
  declare failedLogins: CreationOptional<number>;
  declare lockedUntil: Date | null;
  declare lastLoginAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Session extends Model<InferAttributes<Session>, InferCreationAttributes<Session>> {
  declare id: string;
  declare userId: number;
  declare csrfToken: string;
  declare ip: string | null;
  declare userAgent: string | null;
  declare createdAt: CreationOptional<Date>;
  declare lastSeenAt: CreationOptional<Date>;
  declare expiresAt: Date;
}

export class AuditEntry extends Model<InferAttributes<AuditEntry>, InferCreationAttributes<AuditEntry>> {
  declare id: CreationOptional<number>;
  declare at: CreationOptional<Date>;
  declare userId: number | null;
  declare username: string | null;
  declare action: string;
  declare targetType: string | null;
  declare targetId: string | null;
  declare eventId: number | null;
  declare ip: string | null;
  declare detail: object;
}

/** A person or vehicle declared for an event: standard fields as columns, the rest in `data`. */
export class EventRecord extends Model<InferAttributes<EventRecord>, InferCreationAttributes<EventRecord>> {
  declare id: CreationOptional<number>;
  declare eventId: number;
  declare unitId: number;
  declare kind: string;
  declare status: CreationOptional<string>;
  declare cardType: string | null;
  /** The plugin version the record was collected under. */
  declare pluginVersionId: number;
  declare name: string | null;
  declare gender: string | null;
  declare birthDate: string | null;
  declare idType: string | null;
  declare idNumberHash: Buffer | null;
  declare idNumberEnc: Buffer | null;
  declare idNumberMasked: string | null;
  declare organization: string | null;
  declare position: string | null;
  declare mobile: string | null;
  declare plateNumber: string | null;
  declare vehicleType: string | null;
  declare zones: CreationOptional<string[]>;
  declare photo: string | null;
  declare data: CreationOptional<Record<string, unknown>>;
  declare version: CreationOptional<number>;
  declare createdBy: number | null;
  declare updatedBy: number | null;
  /** Review (数据审核): the batch it was last submitted in, and its latest decision. */
  declare reviewBatchId: CreationOptional<number | null>;
  declare submittedAt: CreationOptional<Date | null>;
  declare decidedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  declare decisionReason: CreationOptional<string | null>;
  declare printedAt: CreationOptional<Date | null>;
  /** What the rules found on it when it was submitted (null: not computed). */
  declare reviewFlags: CreationOptional<
    { field: string; level: 'error' | 'warning'; message: string }[] | null
  >;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export interface Models {
  EventRecord: typeof EventRecord;
  PluginVersion: typeof PluginVersion;
  Event: typeof Event;
  EventDraft: typeof EventDraft;
  Unit: typeof Unit;
  User: typeof User;
  Session: typeof Session;
  AuditEntry: typeof AuditEntry;
}

const id = { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true };
// pg returns bigint as a string; ids stay well below 2^53, so read them as numbers.
const bigintAsNumber = (column: string) => ({
  type: DataTypes.BIGINT,
  get(this: Model): number | null {
    const raw = this.getDataValue(column) as string | number | null;
    return raw === null || raw === undefined ? null : Number(raw);
  },
});
const idNumber = {
  ...id,
  get(this: Model): number {
    return Number(this.getDataValue('id'));
  },
};
const common = { underscored: true };

export function initModels(sequelize: Sequelize): Models {
  PluginVersion.init(
    {
      id: idNumber,
      pluginCode: { type: DataTypes.TEXT, allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false },
      declaredVersion: { type: DataTypes.TEXT, allowNull: false },
      checksum: { type: DataTypes.TEXT, allowNull: false },
      source: { type: DataTypes.TEXT, allowNull: false },
      bundle: { type: DataTypes.JSONB, allowNull: false },
      createdBy: bigintAsNumber('createdBy'),
      createdAt: DataTypes.DATE,
    },
    { ...common, sequelize, tableName: 'plugin_versions', updatedAt: false },
  );
  Event.init(
    {
      id: idNumber,
      code: { type: DataTypes.TEXT, allowNull: false, unique: true },
      name: { type: DataTypes.TEXT, allowNull: false },
      pluginCode: { type: DataTypes.TEXT, allowNull: false },
      pluginVersionId: { ...bigintAsNumber('pluginVersionId'), allowNull: false },
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'active' },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, sequelize, tableName: 'events' },
  );
  Unit.init(
    {
      id: idNumber,
      code: { type: DataTypes.TEXT, allowNull: false, unique: true },
      name: { type: DataTypes.TEXT, allowNull: false },
      contactName: DataTypes.TEXT,
      contactPhone: DataTypes.TEXT,
      contactEmail: DataTypes.TEXT,
      address: DataTypes.TEXT,
      remark: DataTypes.TEXT,
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, sequelize, tableName: 'units' },
  );
  EventDraft.init(
    {
      eventId: { ...bigintAsNumber('eventId'), primaryKey: true },
      baseVersionId: { ...bigintAsNumber('baseVersionId'), allowNull: false },
      revision: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      bundle: { type: DataTypes.JSONB, allowNull: false },
      updatedBy: bigintAsNumber('updatedBy'),
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, sequelize, tableName: 'event_drafts' },
  );
  User.init(
    {
      id: idNumber,
      username: { type: DataTypes.TEXT, allowNull: false, unique: true },
      displayName: { type: DataTypes.TEXT, allowNull: false },
      passwordHash: { type: DataTypes.TEXT, allowNull: false },
      role: { type: DataTypes.TEXT, allowNull: false },
      unitId: bigintAsNumber('unitId'),
      disabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      failedLogins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lockedUntil: DataTypes.DATE,
      lastLoginAt: DataTypes.DATE,
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, sequelize, tableName: 'users' },
  );
  Session.init(
    {
      id: { type: DataTypes.TEXT, primaryKey: true },
      userId: { ...bigintAsNumber('userId'), allowNull: false },
      csrfToken: { type: DataTypes.TEXT, allowNull: false },
      ip: DataTypes.TEXT,
      userAgent: DataTypes.TEXT,
      createdAt: DataTypes.DATE,
      lastSeenAt: { type: DataTypes.DATE, defaultValue: DataTypes.NOW },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
    },
    { ...common, sequelize, tableName: 'sessions', updatedAt: false },
  );
  AuditEntry.init(
    {
      id: idNumber,
      at: { type: DataTypes.DATE, defaultValue: DataTypes.NOW },
      userId: bigintAsNumber('userId'),
      username: DataTypes.TEXT,
      action: { type: DataTypes.TEXT, allowNull: false },
      targetType: DataTypes.TEXT,
      targetId: DataTypes.TEXT,
      eventId: bigintAsNumber('eventId'),
      ip: DataTypes.TEXT,
      detail: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    },
    { ...common, sequelize, tableName: 'audit_log', timestamps: false },
  );
  EventRecord.init(
    {
      id: idNumber,
      eventId: { ...bigintAsNumber('eventId'), allowNull: false },
      unitId: { ...bigintAsNumber('unitId'), allowNull: false },
      kind: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'draft' },
      cardType: DataTypes.TEXT,
      pluginVersionId: { ...bigintAsNumber('pluginVersionId'), allowNull: false },
      name: DataTypes.TEXT,
      gender: DataTypes.CHAR(1),
      birthDate: DataTypes.DATEONLY,
      idType: DataTypes.TEXT,
      idNumberHash: DataTypes.BLOB,
      idNumberEnc: DataTypes.BLOB,
      idNumberMasked: DataTypes.TEXT,
      organization: DataTypes.TEXT,
      position: DataTypes.TEXT,
      mobile: DataTypes.TEXT,
      plateNumber: DataTypes.TEXT,
      vehicleType: DataTypes.TEXT,
      zones: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      photo: DataTypes.TEXT,
      data: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      createdBy: bigintAsNumber('createdBy'),
      updatedBy: bigintAsNumber('updatedBy'),
      reviewBatchId: bigintAsNumber('reviewBatchId'),
      submittedAt: DataTypes.DATE,
      decidedBy: bigintAsNumber('decidedBy'),
      decidedAt: DataTypes.DATE,
      decisionReason: DataTypes.TEXT,
      printedAt: DataTypes.DATE,
      reviewFlags: DataTypes.JSONB,
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, sequelize, tableName: 'records' },
  );
  return { PluginVersion, Event, EventDraft, Unit, User, Session, AuditEntry, EventRecord };
}
