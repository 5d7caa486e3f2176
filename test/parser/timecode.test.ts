import { describe, expect, it } from 'vitest';

import { parseTimecode, splitTimecodeRange } from '../../src/parser/timecode.js';

const seconds = (text: string, fps = 30): number => {
  const result = parseTimecode(text, fps);
  if (!result.ok) throw new Error(`${text} refused: ${result.kind}`);
  return result.value.seconds;
};

describe('parseTimecode', () => {
  it('reads non-drop HH:MM:SS:FF as h*3600 + m*60 + s + ff/fps', () => {
    expect(seconds('00:21:40:13')).toBeCloseTo(1300.43333, 5);
    expect(seconds('01:00:00:15', 30)).toBe(3600.5);
    expect(seconds('00:00:01:12', 25)).toBe(1.48);
    expect(seconds('00:00:00:59', 60)).toBeCloseTo(0.98333, 5);
  });

  it('keeps the timecode as written', () => {
    expect(parseTimecode('00:21:40:13', 30)).toMatchObject({ ok: true, value: { smpte: '00:21:40:13' } });
  });

  it('reads hours past ten and up to three digits (live marathons)', () => {
    expect(seconds('10:00:02:00')).toBe(36002);
    expect(seconds('123:00:00:00')).toBe(442800);
    expect(seconds('9:00:00:00')).toBe(32400);
  });

  it('reads HH:MM:SS.mmm and HH:MM:SS', () => {
    expect(seconds('00:01:02.500')).toBe(62.5);
    expect(seconds('00:01:02.5')).toBe(62.5);
    expect(seconds('01:02:03')).toBe(3723);
  });

  it('reads drop-frame at 29.97: labels ;00 and ;01 are skipped each minute but every tenth', () => {
    // Frame numbers from the SMPTE drop-frame rule, times 1001/30000 s.
    expect(seconds('00:00:59;29')).toBeCloseTo((1799 * 1001) / 30000, 9);
    expect(seconds('00:01:00;02')).toBeCloseTo((1800 * 1001) / 30000, 9);
    expect(seconds('00:10:00;00')).toBeCloseTo((17982 * 1001) / 30000, 9);
    expect(seconds('01:00:00;00')).toBeCloseTo((107892 * 1001) / 30000, 9);
  });

  it('reads drop-frame at 59.94, skipping four labels', () => {
    expect(seconds('00:01:00;04', 60)).toBeCloseTo((3600 * 1001) / 60000, 9);
    expect(parseTimecode('00:01:00;03', 60)).toMatchObject({ ok: false, kind: 'out-of-range' });
  });

  it('refuses labels that drop-frame skips', () => {
    expect(parseTimecode('00:01:00;00', 30)).toMatchObject({ ok: false, kind: 'out-of-range' });
    expect(parseTimecode('00:01:00;01', 30)).toMatchObject({ ok: false, kind: 'out-of-range' });
    expect(parseTimecode('00:10:00;00', 30)).toMatchObject({ ok: true });
  });

  it('refuses drop-frame unless fps is 30 or 60', () => {
    expect(parseTimecode('00:00:01;00', 25)).toEqual({ ok: false, kind: 'drop-frame-fps' });
    expect(parseTimecode('00:00:01;00', 24)).toEqual({ ok: false, kind: 'drop-frame-fps' });
  });

  it('refuses minutes, seconds or frames out of range', () => {
    expect(parseTimecode('00:60:00:00', 30)).toMatchObject({ ok: false, kind: 'out-of-range' });
    expect(parseTimecode('00:00:60:00', 30)).toMatchObject({ ok: false, kind: 'out-of-range' });
    expect(parseTimecode('00:00:00:30', 30)).toMatchObject({ ok: false, kind: 'out-of-range' });
    expect(parseTimecode('00:00:00:25', 25)).toMatchObject({ ok: false, kind: 'out-of-range' });
    expect(parseTimecode('00:00:00:29', 30)).toMatchObject({ ok: true });
  });

  it.each([
    '',
    '1:2:3',
    '00:00',
    '00:0:00:00',
    'aa:bb:cc:dd',
    '00:00:00:00:00',
    '00:00:00,500',
    ' 00:00:01:00',
    '-00:00:01',
  ])('refuses %j as malformed', (text) => {
    expect(parseTimecode(text, 30)).toEqual({ ok: false, kind: 'malformed' });
  });
});

describe('splitTimecodeRange', () => {
  it.each([
    ['00:00:01:00 - 00:00:02:00', '00:00:01:00', '00:00:02:00'],
    ['00:00:01:00-00:00:02:00', '00:00:01:00', '00:00:02:00'],
    ['00:00:01.000 --> 00:00:02.000', '00:00:01.000', '00:00:02.000'],
    ['00:00:01:00 \u2013 00:00:02:00', '00:00:01:00', '00:00:02:00'],
  ])('splits %j', (text, start, end) => {
    expect(splitTimecodeRange(text)).toEqual({ start, end });
  });

  it.each(['00:00:01:00', '00:00:01:00 - ', ' - 00:00:01:00', '00:00:01:00 - 00:00:02:00 - 00:00:03:00'])(
    'refuses %j',
    (text) => {
      expect(splitTimecodeRange(text)).toBeNull();
    },
  );
});
