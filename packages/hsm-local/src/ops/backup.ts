/**
 * Backups on demand (admins): the node writes an encrypted backup of its state to its backup
 * directory. CloudHSM backups: https://docs.aws.amazon.com/cloudhsm/latest/userguide/backups.html
 */
import { StrongroomError } from '@strongroom/core';
import type { OpTable } from './table';

export const backupOps = {
  'backup.create': {
    access: 'admin',
    durable: true,
    fn: async ({ node }) => {
      if (!node.createBackup) throw new StrongroomError('UNSUPPORTED', 'backups are not configured on this node');
      const b = await node.createBackup();
      return { path: b.path, createdAt: b.createdAt };
    },
  },
} satisfies OpTable<'backup.create'>;
