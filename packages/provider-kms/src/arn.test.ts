import { describe, expect, it } from 'vitest';
import { isMultiRegionKey, mrkMatch, parseKmsArn } from './arn';

const arn = (region: string, id: string, account = '111122223333') => `arn:aws:kms:${region}:${account}:key/${id}`;

describe('KMS ARNs', () => {
  it('parses key and alias ARNs and rejects others', () => {
    expect(parseKmsArn(arn('us-east-1', 'abc'))).toEqual({ partition: 'aws', region: 'us-east-1', accountId: '111122223333', resourceType: 'key', resourceId: 'abc' });
    expect(parseKmsArn('arn:aws:kms:us-east-1:1:alias/a/b')).toMatchObject({ resourceType: 'alias', resourceId: 'a/b' });
    for (const bad of ['alias/x', 'arn:aws:s3:us-east-1:1:key/x', 'arn:aws:kms:us-east-1:1:grant/x', 'arn:aws:kms::1:key/x', 'arn:aws:kms:us-east-1:1:key/']) {
      expect(parseKmsArn(bad)).toBeUndefined();
    }
  });

  it('matches MRKs across Regions only', () => {
    expect(isMultiRegionKey(arn('us-east-1', 'mrk-1'))).toBe(true);
    expect(isMultiRegionKey('mrk-1')).toBe(true);
    expect(isMultiRegionKey('arn:aws:kms:us-east-1:1:alias/mrk-1')).toBe(false);
    expect(mrkMatch(arn('us-east-1', 'mrk-1'), arn('eu-west-1', 'mrk-1'))).toBe(true);
    expect(mrkMatch(arn('us-east-1', 'mrk-1'), arn('eu-west-1', 'mrk-2'))).toBe(false);
    expect(mrkMatch(arn('us-east-1', 'mrk-1'), arn('eu-west-1', 'mrk-1', '222233334444'))).toBe(false);
    expect(mrkMatch(arn('us-east-1', 'k1'), arn('eu-west-1', 'k1'))).toBe(false);
    expect(mrkMatch(arn('us-east-1', 'k1'), arn('us-east-1', 'k1'))).toBe(true);
  });
});
