/**
 * Every operation kms-local answers, by its `X-Amz-Target` name (`TrentService.<name>`), one table
 * built from the per-area tables of this folder; and the maintenance the server runs on a timer.
 */
import { aliasOps } from './aliases';
import { asymmetricOps } from './asymmetric';
import { customKeyStoreOps } from './custom-key-stores';
import type { Op } from './key-state';
import { lifecycleOps } from './lifecycle';
import { rotationOps } from './rotation';
import { symmetricOps } from './symmetric';

export type { Op } from './key-state';
export { rotateDueKeys } from './rotation';

/** A null-prototype table: an operation name from the request can only find an operation. */
export const OPERATIONS: Readonly<Record<string, Op>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Op>, lifecycleOps, aliasOps, rotationOps, symmetricOps, asymmetricOps, customKeyStoreOps),
);
