/** Reading the HTML the server writes (ours: regular enough for patterns), as a browser without scripts shows it. */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** Decodes the character references the server writes. */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_m, name: string) => ENTITIES[name]!);
}

/**
 * The text of the body as shown with scripts off: no `<script>` or `<style>` content, tags removed, references
 * decoded, runs of white space as one space.
 */
export function visibleText(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? '';
  const text = body
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<noscript[\s\S]*?<\/noscript>/gi, '')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text).replace(/\s+/g, ' ').trim();
}

/** Every value of `attribute` on the page's elements (outside scripts). */
export function attributeValues(html: string, attribute: string): string[] {
  const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/gi, (tag) => tag.slice(0, tag.indexOf('>') + 1));
  const pattern = new RegExp(`<[a-z][^>]*\\s${attribute}="([^"]*)"`, 'gi');
  return [...markup.matchAll(pattern)].map((m) => decodeEntities(m[1]!));
}
