/**
 * SQL rows of the report counts as they stand: a kept table (counts or totals, migrations 0008 and
 * 0015) plus the deltas the triggers appended since the last fold, `columns` and `amount` from each.
 * Both sides are read by one statement, and a fold moves deltas into the kept tables in one
 * transaction: a reader sees a row on one side or the other, never on both.
 */
export const keptPlusDeltas = (
  kept: string,
  deltas: string,
  columns: string,
  where: string,
  deltasWhere = where,
): string =>
  `SELECT ${columns}, amount FROM ${kept} WHERE ${where}
   UNION ALL SELECT ${columns}, amount FROM ${deltas} WHERE ${deltasWhere}`;
