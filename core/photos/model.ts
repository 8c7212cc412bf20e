import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** One uploaded (processed) photo; its bytes live in the blob store under `sha256`. */
export class Photo extends Model<InferAttributes<Photo>, InferCreationAttributes<Photo>> {
  declare id: string;
  declare eventId: number;
  /** The uploading unit user's unit; null when staff (clerk, admin) uploaded it. */
  declare unitId: number | null;
  declare sha256: string;
  declare width: number;
  declare height: number;
  declare byteSize: number;
  declare mediaType: string;
  declare originalName: string | null;
  declare createdBy: number | null;
  declare createdAt: CreationOptional<Date>;
}

// pg returns bigint as a string; ids stay well below 2^53, so read them as numbers (as core/db/models.ts).
const bigintAsNumber = (column: string) => ({
  type: DataTypes.BIGINT,
  get(this: Model): number | null {
    const raw = this.getDataValue(column) as string | number | null;
    return raw === null || raw === undefined ? null : Number(raw);
  },
});

/** Binds the model to this database (as `initModels` does for the others); returns the class. */
export function initPhotoModel(sequelize: Sequelize): typeof Photo {
  Photo.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      eventId: { ...bigintAsNumber('eventId'), allowNull: false },
      unitId: bigintAsNumber('unitId'),
      sha256: { type: DataTypes.TEXT, allowNull: false },
      width: { type: DataTypes.INTEGER, allowNull: false },
      height: { type: DataTypes.INTEGER, allowNull: false },
      byteSize: { type: DataTypes.INTEGER, allowNull: false },
      mediaType: { type: DataTypes.TEXT, allowNull: false },
      originalName: DataTypes.TEXT,
      createdBy: bigintAsNumber('createdBy'),
      createdAt: DataTypes.DATE,
    },
    { underscored: true, sequelize, tableName: 'photos', updatedAt: false },
  );
  return Photo;
}
