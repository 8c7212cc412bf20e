// Shapes of the unit API; browser-safe, the designer imports them.
/** Contact details of a unit, as edited on the unit screens. */
export interface UnitContacts {
  name?: string;
  contactName?: string | null;
  contactPhone?: string | null;
  contactEmail?: string | null;
  address?: string | null;
  remark?: string | null;
}

export interface UnitView {
  id: number;
  code: string;
  name: string;
  contactName: string | null;
  contactPhone: string | null;
  contactEmail: string | null;
  address: string | null;
  remark: string | null;
}
