/**
 * The curl commands the docs and the landing page show, read as a shell and curl would read them, so that tests can
 * send the same request with fetch (no curl needed). Only the options the docs use are known; any other option is
 * an error, so a command cannot show something the tests do not send.
 */

/**
 * Splits a command line into words: `'...'`, `"..."` (with `\"`, `\\`, `\$`, `` \` ``), `\` + newline.
 *
 * @example
 * shellWords(`curl -H 'a: b' "x y"`) // ['curl', '-H', 'a: b', 'x y']
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === '\\' && command[i + 1] === '\n') {
      i++;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; command[i] !== '"'; i++) {
        if (i >= command.length) throw new Error(`unclosed " in ${command}`);
        if (command[i] === '\\' && '"\\$`'.includes(command[i + 1]!)) i++;
        else if (command[i] === '$' || command[i] === '`') throw new Error(`expansion in ${command}`);
        word += command[i];
      }
    } else if (c === '\\') {
      word = (word ?? '') + command[++i];
    } else if (c === '$' || c === '`' || c === '|' || c === ';' || c === '&' || c === '>' || c === '<') {
      throw new Error(`shell syntax ${c} in ${command}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

export interface CurlRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/**
 * What a `curl` command sends.
 *
 * @example
 * parseCurl(`curl -s http://localhost:4001/graphql -H 'content-type: application/json' --data '{"query":"{ allSeries { id } }"}'`)
 */
export function parseCurl(command: string): CurlRequest {
  const words = shellWords(command.trim());
  if (words.shift() !== 'curl') throw new Error(`not a curl command: ${command}`);
  let url: string | undefined;
  let method: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const value = () => {
      const next = words[++i];
      if (next === undefined) throw new Error(`${word} needs a value in ${command}`);
      return next;
    };
    if (['-s', '--silent', '-S', '--show-error', '-f', '--fail', '-sS', '-fsS'].includes(word)) continue;
    if (word === '-H' || word === '--header') {
      const header = value();
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (['-d', '--data', '--data-raw', '--data-binary'].includes(word)) {
      if (value().startsWith('@')) throw new Error(`a body from a file is not sent by the tests: ${command}`);
      body = words[i];
    } else if (word === '--json') {
      body = value();
      headers['content-type'] ??= 'application/json';
      headers.accept ??= 'application/json';
    } else if (word === '-X' || word === '--request') {
      method = value();
    } else if (word.startsWith('-')) {
      throw new Error(`curl option ${word} is not known to the tests: ${command}`);
    } else if (url === undefined) {
      url = word;
    } else {
      throw new Error(`two URLs in ${command}`);
    }
  }
  if (!url) throw new Error(`no URL in ${command}`);
  if (body !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  return { url, method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body };
}

/**
 * Sends a curl command's request with fetch, to `origin` instead of the command's own (a test server's port).
 *
 * @example
 * const response = await sendCurl(command, 'http://127.0.0.1:54321');
 */
export function sendCurl(command: string, origin?: string): Promise<Response> {
  const request = parseCurl(command);
  const url = new URL(request.url);
  const target = origin ? new URL(`${url.pathname}${url.search}`, origin) : url;
  return fetch(target, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}
