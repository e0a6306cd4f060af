import { Column, Entity, PrimaryColumn } from 'typeorm';
import { isoDate, jsonText } from '../columns.js';

/** A small JSON value a plugin keeps across restarts (e.g. where the Discord bot posted a lobby). */
@Entity({ name: 'plugin_state' })
export class PluginStateEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, name: 'plugin_id' })
  pluginId!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, name: 'state_key' })
  key!: string;

  /** Any JSON value (`any` because TypeORM's insert types cannot express `unknown`; the store validates). */
  @Column({ type: 'text', name: 'value', transformer: jsonText })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value!: any;

  @Column({ type: 'varchar', length: 32, name: 'updated_at', transformer: isoDate })
  updatedAt!: Date;
}
