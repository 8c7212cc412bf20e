import type { Sequelize } from 'sequelize';
import { holdsRecordSql as HELD } from '../../cards/store.ts';

/**
 * records.card_held: whether a card holds the record, kept by a trigger on cards. The production
 * page lists approved records no card holds; at a million records finding them meant an anti-join
 * of every approved record against every card, ~0.5 s for the list and as much again for the counts
 * per card type on a quiet server, over 1 s each under load. Now they are read from a partial index
 * of the few records waiting for a card, a page unit by unit in id order (print-jobs printable).
 *
 * The trigger locks the records concerned before it looks at their cards: two transactions changing
 * cards of one record then see each other's changes, and the flag cannot be left stale. Only a card
 * that starts or stops holding its record concerns it: a print job's cards printed, a card issued,
 * touch no record (and lock none).
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    ALTER TABLE records ADD COLUMN card_held boolean NOT NULL DEFAULT false;
    UPDATE records r SET card_held = true WHERE EXISTS (SELECT 1 FROM cards c WHERE c.record_id = r.id AND ${HELD('c')});
    CREATE INDEX records_printable ON records (event_id, card_type, unit_id, id)
      WHERE status = 'approved' AND card_type IS NOT NULL AND NOT card_held;

    CREATE FUNCTION records_card_held() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      touched bigint[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT record_id) INTO touched FROM new_rows n WHERE ${HELD('n')};
      ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT record_id) INTO touched FROM old_rows o WHERE ${HELD('o')};
      ELSE
        SELECT array_agg(DISTINCT id) INTO touched FROM (
          SELECT unnest(ARRAY[o.record_id, nw.record_id]) AS id
            FROM old_rows o JOIN new_rows nw ON nw.id = o.id
           WHERE o.record_id IS DISTINCT FROM nw.record_id OR (${HELD('o')}) IS DISTINCT FROM (${HELD('nw')})
        ) t;
      END IF;
      IF touched IS NULL THEN
        RETURN NULL;
      END IF;
      PERFORM 1 FROM records WHERE id = ANY(touched) ORDER BY id FOR NO KEY UPDATE;
      UPDATE records r SET card_held = h.held
        FROM (SELECT t.id, EXISTS (SELECT 1 FROM cards c WHERE c.record_id = t.id AND ${HELD('c')}) AS held
                FROM unnest(touched) AS t(id)) h
       WHERE r.id = h.id AND r.card_held IS DISTINCT FROM h.held;
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER records_card_held_i AFTER INSERT ON cards REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION records_card_held();
    CREATE TRIGGER records_card_held_u AFTER UPDATE ON cards REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION records_card_held();
    CREATE TRIGGER records_card_held_d AFTER DELETE ON cards REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION records_card_held();
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    DROP TRIGGER IF EXISTS records_card_held_i ON cards;
    DROP TRIGGER IF EXISTS records_card_held_u ON cards;
    DROP TRIGGER IF EXISTS records_card_held_d ON cards;
    DROP FUNCTION IF EXISTS records_card_held();
    DROP INDEX IF EXISTS records_printable;
    ALTER TABLE records DROP COLUMN IF EXISTS card_held;
  `);
}
