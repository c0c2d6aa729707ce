import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** Columns every table has (SPEC §3). */
type Base = {
  id: CreationOptional<string>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
};
const base = {
  id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
  createdAt: DataTypes.DATE,
  updatedAt: DataTypes.DATE,
};
const text = DataTypes.TEXT;
const date = DataTypes.DATEONLY;
const time = DataTypes.DATE;
const int = DataTypes.INTEGER;
const bool = DataTypes.BOOLEAN;
const uuid = DataTypes.UUID;
const required = <T>(type: T) => ({ type, allowNull: false });

export type OrganizationStatus = 'provisioning' | 'active' | 'failed' | 'deprovisioning' | 'deleted';
export class Organization extends Model<
  InferAttributes<Organization>,
  InferCreationAttributes<Organization>
> {
  declare id: Base['id'];
  declare name: string;
  declare subdomain: string;
  declare status: CreationOptional<OrganizationStatus>;
  declare dnsStatus: CreationOptional<'pending' | 'in_sync' | 'failed'>;
  declare logoKey: CreationOptional<string | null>;
  declare logoUrl: CreationOptional<string | null>;
  declare failureReason: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: Base['id'];
  declare email: string;
  declare name: CreationOptional<string>;
  declare passwordHash: string;
  declare platformAdmin: CreationOptional<boolean>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export type Role = 'owner' | 'admin' | 'member';
export class Membership extends Model<InferAttributes<Membership>, InferCreationAttributes<Membership>> {
  declare id: Base['id'];
  declare organizationId: string;
  declare userId: string;
  declare role: Role;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export type InvitationStatus = 'pending' | 'sent' | 'accepted' | 'expired' | 'revoked' | 'failed';
export class Invitation extends Model<InferAttributes<Invitation>, InferCreationAttributes<Invitation>> {
  declare id: Base['id'];
  declare organizationId: string;
  declare email: string;
  declare role: Role;
  declare status: CreationOptional<InvitationStatus>;
  declare invitedBy: CreationOptional<string | null>;
  declare expiresAt: Date;
  declare sentAt: CreationOptional<Date | null>;
  declare acceptedAt: CreationOptional<Date | null>;
  declare reminderSentAt: CreationOptional<Date | null>;
  declare tokenId: string;
  declare workflowId: CreationOptional<string | null>;
  declare failureReason: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export type RosterKind = 'employees' | 'caregivers' | 'patients';
export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export class RosterImport extends Model<
  InferAttributes<RosterImport>,
  InferCreationAttributes<RosterImport>
> {
  declare id: Base['id'];
  declare organizationId: string;
  declare kind: RosterKind;
  declare sourceBucket: string;
  declare sourceKey: string;
  declare sourceEtag: CreationOptional<string | null>;
  declare format: 'csv' | 'xlsx';
  declare mode: CreationOptional<'replace' | 'merge'>;
  declare dryRun: CreationOptional<boolean>;
  declare force: CreationOptional<boolean>;
  declare status: CreationOptional<ImportStatus>;
  declare totalCount: CreationOptional<number>;
  declare insertedCount: CreationOptional<number>;
  declare updatedCount: CreationOptional<number>;
  declare unchangedCount: CreationOptional<number>;
  declare deactivatedCount: CreationOptional<number>;
  declare rejectedCount: CreationOptional<number>;
  declare rowsProcessed: CreationOptional<number>;
  declare unknownColumns: CreationOptional<string[]>;
  declare workflowId: CreationOptional<string | null>;
  declare errorReportKey: CreationOptional<string | null>;
  declare createdBy: CreationOptional<string | null>;
  declare startedAt: CreationOptional<Date | null>;
  declare finishedAt: CreationOptional<Date | null>;
  declare failureReason: CreationOptional<string | null>;
  declare cancelRequestedAt: CreationOptional<Date | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class RosterImportError extends Model<
  InferAttributes<RosterImportError>,
  InferCreationAttributes<RosterImportError>
> {
  declare id: Base['id'];
  declare importId: string;
  declare rowNumber: number;
  declare column: string | null;
  declare code: string;
  declare message: string;
  declare value: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class Employee extends Model<InferAttributes<Employee>, InferCreationAttributes<Employee>> {
  declare id: Base['id'];
  declare organizationId: string;
  declare kind: 'employee' | 'caregiver';
  declare externalId: string | null;
  declare firstName: string;
  declare middleName: CreationOptional<string | null>;
  declare lastName: string;
  declare dateOfBirth: CreationOptional<string | null>;
  declare npi: CreationOptional<string | null>;
  declare email: CreationOptional<string | null>;
  declare phone: CreationOptional<string | null>;
  declare title: CreationOptional<string | null>;
  declare hireDate: CreationOptional<string | null>;
  declare status: CreationOptional<'active' | 'inactive'>;
  declare firstNameNorm: string;
  declare lastNameNorm: string;
  /** Generated by Postgres from the two above (migration 1000); never written. */
  declare fullNameNorm: CreationOptional<string>;
  declare lastImportId: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class Patient extends Model<InferAttributes<Patient>, InferCreationAttributes<Patient>> {
  declare id: Base['id'];
  declare organizationId: string;
  declare externalId: string;
  declare firstName: string;
  declare middleName: CreationOptional<string | null>;
  declare lastName: string;
  declare dateOfBirth: string;
  declare sex: CreationOptional<string | null>;
  declare phone: CreationOptional<string | null>;
  declare email: CreationOptional<string | null>;
  declare address: CreationOptional<string | null>;
  declare city: CreationOptional<string | null>;
  declare state: CreationOptional<string | null>;
  declare zip: CreationOptional<string | null>;
  declare status: CreationOptional<'active' | 'inactive'>;
  declare fullNameNorm: string;
  declare lastImportId: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class OigExclusion extends Model<
  InferAttributes<OigExclusion>,
  InferCreationAttributes<OigExclusion>
> {
  declare id: Base['id'];
  declare exclusionKey: string;
  declare lastname: string | null;
  declare firstname: string | null;
  declare midname: string | null;
  declare busname: string | null;
  declare general: string | null;
  declare specialty: string | null;
  declare upin: string | null;
  declare npi: string | null;
  declare dob: string | null;
  declare address: string | null;
  declare city: string | null;
  declare state: string | null;
  declare zip: string | null;
  declare excltype: string | null;
  declare excldate: string | null;
  declare reindate: string | null;
  declare waiverdate: string | null;
  declare wvrstate: string | null;
  declare lastNameNorm: string | null;
  declare firstNameNorm: string | null;
  declare fullNameNorm: string | null;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class OigExclusionsCheck extends Model<
  InferAttributes<OigExclusionsCheck>,
  InferCreationAttributes<OigExclusionsCheck>
> {
  declare id: Base['id'];
  declare checkedAt: CreationOptional<Date>;
  declare trigger: 'schedule' | 'manual';
  declare sourceUpdatedOn: CreationOptional<string | null>;
  declare etag: CreationOptional<string | null>;
  declare lastModified: CreationOptional<string | null>;
  declare sha256: CreationOptional<string | null>;
  declare status: 'unchanged' | 'imported' | 'failed';
  declare rowCount: CreationOptional<number | null>;
  declare added: CreationOptional<number | null>;
  declare removed: CreationOptional<number | null>;
  declare invalidFields: CreationOptional<number | null>;
  declare durationMs: CreationOptional<number | null>;
  declare archiveKey: CreationOptional<string | null>;
  declare warning: CreationOptional<string | null>;
  declare error: CreationOptional<string | null>;
  declare workflowId: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export type MatchStatus = 'open' | 'confirmed' | 'dismissed' | 'resolved';
export class ExclusionMatch extends Model<
  InferAttributes<ExclusionMatch>,
  InferCreationAttributes<ExclusionMatch>
> {
  declare id: Base['id'];
  declare organizationId: string;
  declare employeeId: string;
  declare exclusionKey: string;
  declare reason: 'npi' | 'name_dob' | 'name';
  declare score: string;
  declare status: CreationOptional<MatchStatus>;
  declare resolution: CreationOptional<string | null>;
  declare firstDetectedAt: CreationOptional<Date>;
  declare lastSeenAt: CreationOptional<Date>;
  declare reviewedBy: CreationOptional<string | null>;
  declare reviewedAt: CreationOptional<Date | null>;
  declare note: CreationOptional<string | null>;
  declare alertedAt: CreationOptional<Date | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class EmailMessage extends Model<
  InferAttributes<EmailMessage>,
  InferCreationAttributes<EmailMessage>
> {
  declare id: Base['id'];
  declare toAddress: string;
  declare template: string;
  declare subject: string;
  declare status: CreationOptional<'queued' | 'sent' | 'failed'>;
  declare provider: 'log' | 'sendgrid';
  declare providerMessageId: CreationOptional<string | null>;
  declare error: CreationOptional<string | null>;
  declare relatedEntityType: CreationOptional<string | null>;
  declare relatedEntityId: CreationOptional<string | null>;
  declare idempotencyKey: CreationOptional<string | null>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

export class AuditLog extends Model<InferAttributes<AuditLog>, InferCreationAttributes<AuditLog>> {
  declare id: Base['id'];
  declare actorUserId: string | null;
  declare action: string;
  declare entityType: string;
  declare entityId: string | null;
  declare organizationId: string | null;
  declare at: CreationOptional<Date>;
  declare details: CreationOptional<Record<string, unknown>>;
  declare createdAt: Base['createdAt'];
  declare updatedAt: Base['updatedAt'];
}

/** Binds every model to `sequelize`. The schema itself comes from the migrations, never from sync(). */
export function initModels(sequelize: Sequelize) {
  const options = (tableName: string) => ({ sequelize, tableName, underscored: true });
  Organization.init(
    {
      ...base,
      name: required(text),
      subdomain: required(text),
      status: text,
      dnsStatus: text,
      logoKey: text,
      logoUrl: text,
      failureReason: text,
    },
    options('organizations'),
  );
  User.init(
    { ...base, email: required(text), name: text, passwordHash: required(text), platformAdmin: bool },
    options('users'),
  );
  Membership.init(
    { ...base, organizationId: required(uuid), userId: required(uuid), role: required(text) },
    options('memberships'),
  );
  Invitation.init(
    {
      ...base,
      organizationId: required(uuid),
      email: required(text),
      role: required(text),
      status: text,
      invitedBy: uuid,
      expiresAt: required(time),
      sentAt: time,
      acceptedAt: time,
      reminderSentAt: time,
      tokenId: required(uuid),
      workflowId: text,
      failureReason: text,
    },
    options('invitations'),
  );
  RosterImport.init(
    {
      ...base,
      organizationId: required(uuid),
      kind: required(text),
      sourceBucket: required(text),
      sourceKey: required(text),
      sourceEtag: text,
      format: required(text),
      mode: text,
      dryRun: bool,
      force: bool,
      status: text,
      totalCount: int,
      insertedCount: int,
      updatedCount: int,
      unchangedCount: int,
      deactivatedCount: int,
      rejectedCount: int,
      rowsProcessed: int,
      unknownColumns: DataTypes.ARRAY(DataTypes.TEXT),
      workflowId: text,
      errorReportKey: text,
      createdBy: uuid,
      startedAt: time,
      finishedAt: time,
      failureReason: text,
      cancelRequestedAt: time,
    },
    options('roster_imports'),
  );
  RosterImportError.init(
    {
      ...base,
      importId: required(uuid),
      rowNumber: required(int),
      column: text,
      code: required(text),
      message: required(text),
      value: text,
    },
    options('roster_import_errors'),
  );
  const person = {
    organizationId: required(uuid),
    externalId: text,
    firstName: required(text),
    middleName: text,
    lastName: required(text),
    dateOfBirth: date,
    email: text,
    phone: text,
    status: text,
    lastImportId: uuid,
  };
  Employee.init(
    {
      ...base,
      ...person,
      kind: required(text),
      npi: text,
      title: text,
      hireDate: date,
      firstNameNorm: required(text),
      lastNameNorm: required(text),
      fullNameNorm: text,
    },
    options('employees'),
  );
  Patient.init(
    {
      ...base,
      ...person,
      fullNameNorm: required(text),
      sex: text,
      address: text,
      city: text,
      state: text,
      zip: text,
    },
    options('patients'),
  );
  OigExclusion.init(
    {
      ...base,
      exclusionKey: required(text),
      lastname: text,
      firstname: text,
      midname: text,
      busname: text,
      general: text,
      specialty: text,
      upin: text,
      npi: text,
      dob: date,
      address: text,
      city: text,
      state: text,
      zip: text,
      excltype: text,
      excldate: date,
      reindate: date,
      waiverdate: date,
      wvrstate: text,
      lastNameNorm: text,
      firstNameNorm: text,
      fullNameNorm: text,
    },
    { ...options('oig_employees_exclusion'), freezeTableName: true },
  );
  OigExclusionsCheck.init(
    {
      ...base,
      checkedAt: time,
      trigger: required(text),
      sourceUpdatedOn: date,
      etag: text,
      lastModified: text,
      sha256: text,
      status: required(text),
      rowCount: int,
      added: int,
      removed: int,
      invalidFields: int,
      durationMs: int,
      archiveKey: text,
      warning: text,
      error: text,
      workflowId: text,
    },
    { ...options('oig_exclusions_check'), freezeTableName: true },
  );
  ExclusionMatch.init(
    {
      ...base,
      organizationId: required(uuid),
      employeeId: required(uuid),
      exclusionKey: required(text),
      reason: required(text),
      score: required(DataTypes.DECIMAL(3, 2)),
      status: text,
      resolution: text,
      firstDetectedAt: time,
      lastSeenAt: time,
      reviewedBy: uuid,
      reviewedAt: time,
      note: text,
      alertedAt: time,
    },
    options('exclusion_matches'),
  );
  EmailMessage.init(
    {
      ...base,
      toAddress: required(text),
      template: required(text),
      subject: required(text),
      status: text,
      provider: required(text),
      providerMessageId: text,
      error: text,
      relatedEntityType: text,
      relatedEntityId: uuid,
      idempotencyKey: text,
    },
    options('email_messages'),
  );
  AuditLog.init(
    {
      ...base,
      actorUserId: uuid,
      action: required(text),
      entityType: required(text),
      entityId: uuid,
      organizationId: uuid,
      at: time,
      details: DataTypes.JSONB,
    },
    { ...options('audit_log'), freezeTableName: true },
  );
  Membership.belongsTo(Organization, { foreignKey: 'organizationId', as: 'organization' });
  Membership.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  User.hasMany(Membership, { foreignKey: 'userId', as: 'memberships' });
  Organization.hasMany(Membership, { foreignKey: 'organizationId', as: 'memberships' });
  return {
    Organization,
    User,
    Membership,
    Invitation,
    RosterImport,
    RosterImportError,
    Employee,
    Patient,
    OigExclusion,
    OigExclusionsCheck,
    ExclusionMatch,
    EmailMessage,
    AuditLog,
  };
}
