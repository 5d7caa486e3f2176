/** The identity rule shared by segment, series and speaker ids. */

const SPECIAL: Readonly<Record<string, string>> = {
  ø: 'o',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  þ: 'th',
  ð: 'd',
};
const SPECIAL_RE = new RegExp(`[${Object.keys(SPECIAL).join('')}]`, 'g');

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
  return name
    .toLowerCase()
    .replace(SPECIAL_RE, (c) => SPECIAL[c]!)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}
