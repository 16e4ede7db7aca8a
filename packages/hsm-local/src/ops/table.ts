/**
 * How a node operation is declared: its access rule, whether it changes durable state, its shaping
 * class, and its handler. `OpTable<K>` ties each handler's result to the protocol's result type for
 * that operation (@strongroom/hsm-protocol `HsmOps`), and gives handlers of login-only operations a
 * `LoggedIn` context. Arguments arrive as untrusted wire maps and are read with the strict readers
 * of args.ts.
 *
 * Access rules follow CloudHSM's user types
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/understanding-users.html): `admin` manages
 * users and quorum, `crypto` (crypto user) manages and uses keys, `login` is any logged-in user,
 * `node` is another node of the cluster (its certificate), `none` needs nothing.
 */
import type { HsmOp, HsmResult } from '@strongroom/hsm-protocol';
import type { Args } from '../args';
import type { LoggedIn, OpContext } from '../context';
import type { OpClass } from '../shaping';

export type LoginAccess = 'login' | 'admin' | 'crypto';
export type OpenAccess = 'none' | 'node' | 'node-or-login';
export type Access = LoginAccess | OpenAccess;

type Returns<Op extends HsmOp> = HsmResult<Op> | Promise<HsmResult<Op>>;

interface SpecBase {
  /** Changes durable state: the audit record must be durable before the response. */
  durable?: boolean;
  /** Shaping class (hsm2m throughput model); unshaped when absent. */
  cls?: OpClass;
  /**
   * A successful call by another node of the cluster is not audited: it changes nothing and recurs
   * on a timer (server-side sync's poll), so logging it grew every idle node's log by a record per
   * poll and made it reseal its state each time. Refused or failed calls, and every user's, are.
   */
  quietForPeers?: boolean;
}

export type OpSpec<Op extends HsmOp> =
  | (SpecBase & { access: LoginAccess; fn: (ctx: LoggedIn, args: Args) => Returns<Op> })
  | (SpecBase & { access: OpenAccess; fn: (ctx: OpContext, args: Args) => Returns<Op> });

/** A room of operations: `{ 'key.generate': {...}, ... } satisfies OpTable<'key.generate' | ...>`. */
export type OpTable<K extends HsmOp> = { [Op in K]: OpSpec<Op> };
