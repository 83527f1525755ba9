import { describe, expect, it } from 'vitest';
import { describeDifferences } from '@/components/veo/ReplacedNotice';
import { replacedUnseen } from '@/lib/shared/merge-rule';
import { formatVersion } from '@/lib/shared/version';
import { plainJob } from '../support/job-fixture';

const v = (wall: number, node = 'phone') => formatVersion(wall, 0, node);

describe('replacedUnseen: whether a winner from elsewhere was made without this device’s write', () => {
  const mine = v(200);

  it('is a conflict when the winner was based on an older version, whether or not mine had reached the server', () => {
    for (const reached of [true, false]) {
      expect(replacedUnseen(mine, { version: v(300, 'laptop'), basedOn: v(100) }, reached)).toBe(
        true,
      );
    }
  });

  it('is none when the winner was made on top of mine, or on something newer', () => {
    expect(replacedUnseen(mine, { version: v(300, 'laptop'), basedOn: mine }, false)).toBe(false);
    expect(replacedUnseen(mine, { version: v(300, 'laptop'), basedOn: v(250) }, true)).toBe(false);
  });

  it('is none when the incoming write does not win', () => {
    expect(replacedUnseen(mine, { version: v(150, 'laptop'), basedOn: v(100) }, false)).toBe(false);
    expect(replacedUnseen(mine, { version: mine, basedOn: v(100) }, false)).toBe(false);
  });

  it('counts a winner that does not say as unseen only while mine had not reached the server', () => {
    expect(replacedUnseen(mine, { version: v(300, 'api') }, false)).toBe(true);
    expect(replacedUnseen(mine, { version: v(300, 'api') }, true)).toBe(false);
  });
});

describe('describeDifferences: what the replaced-edit notice says', () => {
  const now = { ...plainJob('harbour', 1_800_000_000_000, { scenes: [] }), version: v(300) };

  it('names the summary fields that differ, theirs and now', () => {
    const { data: _data, ...info } = now;
    const mine = { ...info, sceneCount: 118, voice: 'narrator' };
    expect(describeDifferences(mine, info)).toBe(
      'Yours: 118 scenes, voice narrator. Now: 1 scene, voice no-voice.',
    );
  });

  it('says the difference is in the scenes when the summaries are alike', () => {
    const { data: _data, ...info } = now;
    expect(describeDifferences(info, info)).toBe('The two differ in what their scenes say.');
  });
});
