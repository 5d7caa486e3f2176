import { describe, expect, it } from 'vitest';

import { slugify } from '../../src/parser/slug.js';

describe('slugify (the identity rule)', () => {
  it.each([
    ['The Good Thing', 'the-good-thing'],
    ['Stefan', 'stefan'],
    ['Jens Neuse', 'jens-neuse'],
    ['Björn Schwenzer', 'bjorn-schwenzer'],
    ['Ana María López', 'ana-maria-lopez'],
    ['Søren Weiß', 'soren-weiss'],
    ['SØREN WEISS', 'soren-weiss'],
    ['Æsir Ødegård', 'aesir-odegard'],
    ['Łukasz Đorđević', 'lukasz-dordevic'],
    ['Þór', 'thor'],
    ['  --Hello,   World!--  ', 'hello-world'],
    ["it's ep. 3 (part 2)", 'it-s-ep-3-part-2'],
    ['ep03-06-cosmo-boring-tech-architecture', 'ep03-06-cosmo-boring-tech-architecture'],
    ['Ｆｕｌｌｗｉｄｔｈ １２', 'fullwidth-12'],
    ['Юлия Ким', 'юлия-ким'],
    ['???', ''],
  ])('%j -> %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('is idempotent', () => {
    for (const name of ['Søren Weiß', 'Ana María López', 'A  B', 'x--y']) {
      expect(slugify(slugify(name))).toBe(slugify(name));
    }
  });
});
