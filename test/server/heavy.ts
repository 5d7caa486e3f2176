/**
 * A valid operation near the default limits (~4,800 tokens, under the 16 KB planned execution takes), distinct for
 * each `i`: what an attacker sends to make caches hold as much as they can. It is what some routers send, too:
 * `_entities` with its representations written inline. Every `ids` entry is one representation, used in turn.
 *
 * @example
 * heavyOperation(7, ['s#1']) // 'query H7{_entities(representations:[{__typename:"Turn",id:"s#1"},…]){…}}'
 */
export function heavyOperation(i: number, ids: readonly string[], representations = 570): string {
  const list = Array.from(
    { length: representations },
    (_, k) => `{__typename:"Turn",id:"${ids[(i + k) % ids.length]}"}`,
  );
  return `query H${i}{_entities(representations:[${list.join('')}]){...on Turn{id text}}}`;
}
