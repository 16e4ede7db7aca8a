/**
 * `recommend(workload, prices, limits)`: which backend to use for a workload, the reasons that
 * decided it, and what would change it. A pure function; the facts it applies:
 *
 * - Requirements (AWS KMS developer guide: "AWS KMS keys in CloudHSM key stores", multi-Region keys;
 *   AWS CloudHSM user guide; FIPS 140-3 certificates): AWS KMS runs multi-tenant on HSMs validated at
 *   FIPS 140-3 Level 3 and holds the key material itself; a custom key store keeps the material in
 *   your single-tenant CloudHSM cluster but KMS uses it on your behalf, only symmetric encryption keys,
 *   no multi-Region keys; a CloudHSM cluster is yours alone (PKCS#11, JCE, …) and AWS services reach it
 *   only through a custom key store.
 * - Capacity (limits.ts): a custom key store above its fixed request quota is ruled out; a KMS peak
 *   above the Region's quota needs an increase (adjustable) and stays eligible.
 * - Cost (model.ts): the cheapest backend that meets every requirement wins; ties go to the more
 *   managed one (KMS, then the custom key store, then the cluster).
 */
import { capacity, costOf, breakEvens, fmtCount, scenarioOf, type CapacityRow, type CloudBackend, type CostBreakdown } from './model';
import type { LimitInputs } from './limits';
import type { PriceInputs } from './pricing';
import type { Workload } from './workload-spec';

export interface Assessment {
  readonly backend: CloudBackend;
  readonly eligible: boolean;
  /** Requirements or hard limits this backend cannot meet. */
  readonly blockers: readonly string[];
  readonly warnings: readonly string[];
  readonly cost: CostBreakdown;
  readonly capacity: CapacityRow;
}

export interface Recommendation {
  readonly choice: CloudBackend;
  /** False when no backend meets every requirement (the choice is then the closest). */
  readonly meetsAll: boolean;
  readonly headline: string;
  readonly reasons: readonly string[];
  readonly whatWouldChangeIt: readonly string[];
  readonly assessments: readonly Assessment[];
}

export const TITLES: Readonly<Record<CloudBackend, string>> = { kms: 'AWS KMS', hsm: 'an HSM cluster (CloudHSM)', cks: 'a KMS custom key store' };
const SHORT: Readonly<Record<CloudBackend, string>> = { kms: 'KMS', hsm: 'HSM cluster', cks: 'custom key store' };
const PREFERENCE: readonly CloudBackend[] = ['kms', 'cks', 'hsm'];

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const rps = (n: number) => `${n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 2 : 0 })}/s`;

function assess(w: Workload, p: PriceInputs, l: LimitInputs): Assessment[] {
  const s = scenarioOf(w);
  const caps = capacity(s, l);
  const r = w.requirements;
  const multiRegion = w.regions.length > 1;
  return (['kms', 'hsm', 'cks'] as const).map((backend) => {
    const blockers: string[] = [];
    const warnings: string[] = [];
    const cap = caps.find((c) => c.backend === backend)!;
    if (backend === 'kms') {
      if (r.singleTenancy) blockers.push('single tenancy: AWS KMS is a multi-tenant service');
      if (r.keyHolder === 'own-hsm') blockers.push('key material in your own HSMs: AWS KMS keeps it in its own HSMs');
      if (r.keyHolder === 'only-us') blockers.push('keys usable by you alone: AWS KMS holds and uses the keys');
      if (r.pkcs11) blockers.push('PKCS#11/JCE access: AWS KMS offers only its API');
      if (!cap.fits) warnings.push(`the peak needs ${rps(cap.peakBackendRps)} against a default quota of ${rps(cap.limitRps!)}: request an increase in Service Quotas (adjustable)`);
      if (multiRegion) warnings.push(`multi-Region keys: each replica is billed as a key (${w.regions.length} Regions)`);
    } else if (backend === 'hsm') {
      if (r.awsIntegration) blockers.push('AWS service integration: AWS services use KMS keys, so a bare cluster needs a custom key store in front');
      if (r.fips140Level3) warnings.push('choose hsm2m.medium (FIPS 140-3 Level 3); hsm1.medium is validated to FIPS 140-2 Level 3');
      if (multiRegion) warnings.push(`one cluster per Region (${w.regions.length}); you copy keys between clusters yourself`);
    } else {
      if (w.keyType !== 'symmetric') blockers.push(`${w.keyType.toUpperCase()} keys: a custom key store holds only symmetric encryption keys`);
      if (r.keyHolder === 'only-us') blockers.push('keys usable by you alone: KMS uses custom key store keys on your behalf');
      if (r.pkcs11 && !r.awsIntegration) blockers.push('PKCS#11/JCE access: applications reach custom key store keys through the KMS API');
      if (r.pkcs11 && r.awsIntegration) warnings.push('PKCS#11/JCE applications use the same cluster directly, with their own crypto users and keys');
      if (!cap.fits) blockers.push(`peak of ${rps(cap.peakBackendRps)} above the store's ${rps(cap.limitRps!)} (GenerateDataKey + Decrypt; not adjustable)`);
      if (r.singleTenancy) warnings.push('single tenancy covers the key material (your cluster); the KMS front end is shared');
      if (r.fips140Level3) warnings.push('the cluster must be hsm2m.medium for FIPS 140-3 Level 3');
      if (multiRegion) warnings.push(`no multi-Region keys in a custom key store: one store, cluster and set of keys per Region (${w.regions.length}); ciphertext does not move between Regions without re-encryption`);
    }
    return { backend, eligible: blockers.length === 0, blockers, warnings, cost: costOf(backend, s, p, l), capacity: cap };
  });
}

function pick(assessments: readonly Assessment[]): Assessment {
  const eligible = assessments.filter((a) => a.eligible);
  const pool = eligible.length > 0 ? eligible : [...assessments].sort((a, b) => a.blockers.length - b.blockers.length).filter((a, _, all) => a.blockers.length === all[0]!.blockers.length);
  return [...pool].sort((a, b) => a.cost.totalPerMonth - b.cost.totalPerMonth || PREFERENCE.indexOf(a.backend) - PREFERENCE.indexOf(b.backend))[0]!;
}

/** The lowest hit rate at which `cheap` costs no more than `other`, or undefined if none below 99.99 %. */
function hitRateToBeat(w: Workload, cheap: CloudBackend, other: CloudBackend, p: PriceInputs, l: LimitInputs): number | undefined {
  const at = (h: number) => {
    const s = { ...scenarioOf(w), hitRate: h };
    return costOf(cheap, s, p, l).totalPerMonth - costOf(other, s, p, l).totalPerMonth;
  };
  if (at(0.9999) > 0) return undefined;
  let lo = 0;
  let hi = 0.9999;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

const FLIPS: ReadonlyArray<[string, (w: Workload) => Workload | undefined]> = [
  ['single tenancy required', (w) => (w.requirements.singleTenancy ? undefined : { ...w, requirements: { ...w.requirements, singleTenancy: true } })],
  ['key material required in your own HSMs', (w) => (w.requirements.keyHolder !== 'aws' ? undefined : { ...w, requirements: { ...w.requirements, keyHolder: 'own-hsm' } })],
  ['PKCS#11/JCE access required', (w) => (w.requirements.pkcs11 ? undefined : { ...w, requirements: { ...w.requirements, pkcs11: true } })],
  ['AWS service integration required', (w) => (w.requirements.awsIntegration ? undefined : { ...w, requirements: { ...w.requirements, awsIntegration: true } })],
  ['AWS service integration no longer required', (w) => (!w.requirements.awsIntegration ? undefined : { ...w, requirements: { ...w.requirements, awsIntegration: false } })],
  ['single tenancy no longer required', (w) => (!w.requirements.singleTenancy ? undefined : { ...w, requirements: { ...w.requirements, singleTenancy: false } })],
  ['KMS may hold the keys', (w) => (w.requirements.keyHolder === 'aws' ? undefined : { ...w, requirements: { ...w.requirements, keyHolder: 'aws' } })],
];

/** Recommend a backend for the workload. */
export function recommend(w: Workload, p: PriceInputs, l: LimitInputs): Recommendation {
  const assessments = assess(w, p, l);
  const chosen = pick(assessments);
  const others = assessments.filter((a) => a.backend !== chosen.backend);
  const meetsAll = chosen.eligible;
  const reasons: string[] = [];
  if (!meetsAll) reasons.push(`no backend meets every requirement; ${SHORT[chosen.backend]} misses the fewest: ${chosen.blockers.join('; ')}`);
  for (const o of others) if (!o.eligible) reasons.push(`not ${SHORT[o.backend]}: ${o.blockers.join('; ')}`);
  const eligibleOthers = others.filter((o) => o.eligible);
  if (meetsAll && eligibleOthers.length > 0) {
    reasons.push(`cheapest that meets every requirement: ${usd(chosen.cost.totalPerMonth)}/month against ${eligibleOthers.map((o) => `${SHORT[o.backend]} ${usd(o.cost.totalPerMonth)}`).join(', ')}`);
  } else if (meetsAll) {
    reasons.push(`the only backend that meets every requirement: ${usd(chosen.cost.totalPerMonth)}/month (${chosen.cost.notes})`);
  }
  if (w.requirements.fips140Level3) reasons.push('FIPS 140-3 Level 3 does not decide: AWS KMS HSMs and CloudHSM hsm2m.medium are both validated at Level 3');
  const cap = chosen.capacity;
  if (chosen.backend === 'kms') reasons.push(`capacity: ${rps(cap.peakBackendRps)} KMS requests at the peak against a quota of ${rps(cap.limitRps!)}${cap.fits ? '' : ' — request an increase'}`);
  else reasons.push(`capacity: ${rps(cap.peakBackendRps)} ${chosen.backend === 'cks' ? 'store requests' : 'HSM operations'} at the peak → ${cap.hsms} HSMs per Region (the peak's share + ${l.spareHsms} spare, at least ${l.minHsms})`);
  reasons.push(...chosen.warnings);

  const change: string[] = [];
  const s = scenarioOf(w);
  const crossings = breakEvens(s, s.hitRate, p, l);
  for (const o of others) {
    if (!o.eligible) {
      change.push(`${SHORT[o.backend]} is ruled out by: ${o.blockers.join('; ')} — without that it would cost ${usd(o.cost.totalPerMonth)}/month`);
      continue;
    }
    // Step costs (HSMs come in whole units) can cross more than once: the crossing nearest the reader's volume matters.
    const dist = (c: { opsPerMonth: number }) => Math.abs(Math.log10(c.opsPerMonth) - Math.log10(w.opsPerMonth));
    const x = crossings.filter((c) => c.between.includes(chosen.backend) && c.between.includes(o.backend)).sort((a, b) => dist(a) - dist(b))[0];
    if (x) {
      const above = x.cheaperAbove === o.backend;
      change.push(`${SHORT[o.backend]} becomes cheaper ${above ? 'above' : 'below'} ${fmtCount(x.opsPerMonth)} operations/month (break-even at ${usd(x.costPerMonth)}/month; you have ${fmtCount(w.opsPerMonth)})`);
    }
    if (o.backend === 'kms' && chosen.backend !== 'kms') {
      const h = hitRateToBeat(w, 'kms', chosen.backend, p, l);
      if (h !== undefined && h > s.hitRate) change.push(`a data-key cache hit rate of ${(h * 100).toFixed(h > 0.99 ? 2 : 1)} % or more makes KMS the cheaper one (now ${(s.hitRate * 100).toFixed(1)} %)`);
    }
  }
  if (chosen.backend === 'cks') change.push(`a peak above ${rps(l.cksMixedRps)} of store requests (now ${rps(cap.peakBackendRps)}) rules the custom key store out; a data-key cache lowers it`);
  if (chosen.backend === 'kms' && cap.fits) change.push(`a peak above ${rps(cap.limitRps!)} KMS requests needs a quota increase (shared with every caller in the account and Region)`);
  for (const [label, flip] of FLIPS) {
    const changed = flip(w);
    if (!changed) continue;
    const alt = pick(assess(changed, p, l));
    if (alt.backend !== chosen.backend) change.push(`${label}: ${SHORT[alt.backend]} (${usd(alt.cost.totalPerMonth)}/month)`);
  }

  const headline = `${meetsAll ? 'Use' : 'Closest fit'}: ${TITLES[chosen.backend]} — ${usd(chosen.cost.totalPerMonth)}/month for ${fmtCount(w.opsPerMonth)} operations/month${chosen.cost.hsms ? `, ${chosen.cost.hsms} HSMs per Region` : ''}`;
  return { choice: chosen.backend, meetsAll, headline, reasons, whatWouldChangeIt: change, assessments };
}
