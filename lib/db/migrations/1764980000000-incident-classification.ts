import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a closed incident was (lib/domain/classification.ts), why, and who said so: a person
 * closing it, or `automation` when its playbook resolved it by itself. Null: not classified
 * (open, or closed before classifications were recorded).
 */
export class IncidentClassification1764980000000 implements MigrationInterface {
  name = 'IncidentClassification1764980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN classification text, ADD COLUMN classification_reason text, ADD COLUMN classified_by text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents DROP COLUMN classified_by, DROP COLUMN classification_reason, DROP COLUMN classification`);
  }
}
