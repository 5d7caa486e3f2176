/** The identity rule shared by segment, series and speaker ids. */

/** Lower-case letters that NFKD does not decompose, spelled out the way the identity rule wants them. */
export const SPECIAL_LETTERS: Readonly<Record<string, string>> = {
  ø: 'o',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  þ: 'th',
  ð: 'd',
};
const SPECIAL_RE = new RegExp(`[${Object.keys(SPECIAL_LETTERS).join('')}]`, 'g');

/**
 * Turns a name into an id: lower case; `ø`→`o`, `ß`→`ss`, `æ`→`ae`, `ł`→`l`, `đ`→`d`, `þ`→`th`; other
 * diacritics removed (NFKD, combining marks dropped); every run of characters that are not letters or
 * digits becomes one `-`; leading and trailing `-` trimmed. Letters of non-Latin scripts are kept, so a
 * name in Cyrillic or Japanese still has an id.
 *
 * @example
 * slugify('Søren Weiß') // 'soren-weiss'
 * slugify('Ana María López') // 'ana-maria-lopez'
 * slugify('The Good Thing') // 'the-good-thing'
 */
export function slugify(name: string): string {
  // Names repeat on every turn of every file: remember them (bounded, so hostile input cannot grow it forever).
  const known = memo.get(name);
  if (known !== undefined) return known;
  if (memo.size >= MEMO_LIMIT) memo.clear();
  const slug = computeSlug(name);
  memo.set(name, slug);
  return slug;
}

// Above the names of a large archive (each file brings a slug, a series and its speakers): clearing the memo in the
// middle of a load made it useless.
const MEMO_LIMIT = 100_000;
const memo = new Map<string, string>();

function computeSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(SPECIAL_RE, (c) => SPECIAL_LETTERS[c]!)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}
