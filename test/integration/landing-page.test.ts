/**
 * The landing page (GET /graphql from a browser) works offline: its text, read with scripts off, says what this is
 * and how to use it; its curl command, links and downloads work against the running server; nothing it shows comes
 * from the network; and where the CDN answers, the Sandbox is Apollo's own embed.
 */
import { existsSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { EXAMPLE_OPERATION } from '../../src/server/example.js';
import {
  apolloSandboxEmbed,
  LANDING_PAGE_DOCS,
  renderLandingPage,
  sandboxEmbedFrom,
} from '../../src/server/landing-page.js';
import { parseCurl, sendCurl } from '../helpers/curl.js';
import { docPages } from '../helpers/docs.js';
import { attributeValues, decodeEntities, visibleText } from '../helpers/html.js';
import { repoPath } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';

let server: RunningServer;
let base: string;
let page: string;
beforeAll(async () => {
  server = await startTestServer({ dataDir: repoPath('data') });
  base = server.url.replace(/\/graphql$/, '');
  const response = await fetch(server.url, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  page = await response.text();
});
afterAll(async () => {
  await server.stop();
});

/** The curl command in the page, as a reader copies it. */
const curlCommand = (html: string): string => decodeEntities(/<code id="curl">([\s\S]*?)<\/code>/.exec(html)![1]!);

describe('landing page', () => {
  it('says, with scripts off, what this is and how to query it', () => {
    const text = visibleText(page);
    expect(text).toContain('GraphQL Federation 2 subgraph serving a podcast transcript archive');
    expect(text).toContain('1 series, 1 episode, 1 segment, 17 turns and 2 speakers');
    for (const entity of ['Series', 'Episode', 'Segment', 'Turn', 'Speaker']) expect(text).toContain(entity);
    expect(text).toContain(`curl -s ${server.url} -H 'content-type: application/json'`);
    expect(text).toContain(`${base}/health`);
    for (const suffix of ['.vtt', '.srt', '.json', '.txt']) {
      expect(text).toContain(`/transcripts/the-good-thing-ep3${suffix}`);
    }
    expect(text).toContain('/chapters/the-good-thing-ep3.json');
    for (const [path] of LANDING_PAGE_DOCS) expect(text).toContain(path);
    // Apollo's page hid its text behind a script ("You need to enable JavaScript", a fading fallback).
    expect(page).not.toContain('<noscript>');
    expect(page).not.toMatch(/opacity:\s*0/);
  });

  it("shows a curl command with the server's URL whose request returns data", async () => {
    const command = curlCommand(page);
    expect(parseCurl(command).url).toBe(server.url);
    const response = await sendCurl(command);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: any; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.episode.id).toBe('the-good-thing-ep3');
    expect(body.data.episode.speakers).toEqual([{ name: 'Stefan' }, { name: 'Dustin' }]);
    expect(body.data.episode.turns.nodes).toHaveLength(2);
    expect(body.data.episode.turns.nodes[0].text).toMatch(/^And so with that learning/);
  });

  it('links only to what this server answers (200), and names docs that exist', async () => {
    const links = attributeValues(page, 'href');
    expect(links).toEqual([
      '/health',
      '/transcripts/the-good-thing-ep3.vtt',
      '/transcripts/the-good-thing-ep3.srt',
      '/transcripts/the-good-thing-ep3.json',
      '/transcripts/the-good-thing-ep3.txt',
      '/chapters/the-good-thing-ep3.json',
    ]);
    for (const link of links) {
      const response = await fetch(new URL(link, server.url));
      expect(response.status, link).toBe(200);
      expect((await response.text()).length, link).toBeGreaterThan(0);
    }
    for (const [path] of LANDING_PAGE_DOCS) expect(existsSync(repoPath(path)), path).toBe(true);
    expect(LANDING_PAGE_DOCS.map(([path]) => path).sort()).toEqual(docPages().sort());
  });

  it('needs nothing from the network to show its text', () => {
    // No element loads anything: no images, style sheets, fonts, icons or frames in the markup.
    expect(attributeValues(page, 'src')).toEqual([]);
    expect(page).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    const styles = [...page.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]!).join('\n');
    expect(styles).not.toMatch(/@import|url\(/);
    // The only thing hidden is the Sandbox's frame, until its script has loaded.
    expect([...styles.matchAll(/([^{}]+)\{[^}]*display:\s*none/g)].map((m) => m[1]!.trim())).toEqual([
      '#embeddableSandbox',
    ]);
    // One script, which inserts the CDN's script without blocking the page.
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![2]).toContain("document.createElement('script')");
    expect(page.indexOf('<script')).toBeGreaterThan(page.indexOf('</main>'));
  });

  it("loads Apollo's embedded Sandbox with the tour, under Apollo's content security policy", async () => {
    const embed = await apolloSandboxEmbed(EXAMPLE_OPERATION);
    expect(embed, "Apollo Server's landing page is of the shape landing-page.ts reads").not.toBeNull();
    expect(embed!.src).toMatch(/^https:\/\/embeddable-sandbox\.cdn\.apollographql\.com\/v2\//);
    expect(embed!.config).toMatchObject({
      target: '#embeddableSandbox',
      initialState: { document: EXAMPLE_OPERATION },
    });
    expect(page).toContain('embeddable-sandbox');
    expect(page).toContain('query Tour');
    const script = /<script nonce="([0-9a-f]+)">([\s\S]*?)<\/script>/.exec(page)!;
    expect(script[2]).toContain(`script.src = ${JSON.stringify(embed!.src)}`);
    expect(JSON.parse(/var config = (\{.*\});/.exec(script[2]!)![1]!)).toEqual(embed!.config);
    const policy = decodeEntities(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(page)![1]!);
    expect(policy).toBe(embed!.policy.replaceAll('{nonce}', script[1]!));
    expect(page).toContain(`<style nonce="${script[1]}">`);
    // A fresh nonce per page.
    const again = await (await fetch(server.url, { headers: { accept: 'text/html' } })).text();
    expect(/<script nonce="([0-9a-f]+)">/.exec(again)![1]).not.toBe(script[1]);
  });

  it("is still a page, with no script at all, when Apollo's page cannot be read", () => {
    expect(sandboxEmbedFrom('<html><body>something else</body></html>')).toBeNull();
    const html = renderLandingPage({ url: server.url, archive: server.archive, embed: null, nonce: 'n' });
    expect(html).not.toContain('<script');
    expect(visibleText(html)).toContain(curlCommand(page).replace(/\s+/g, ' '));
  });

  it('is not served with introspection off, as before', async () => {
    const off = await startTestServer({ dataDir: repoPath('data'), config: { introspection: false } });
    try {
      const response = await fetch(off.url, { headers: { accept: 'text/html' } });
      expect(response.headers.get('content-type')).not.toMatch(/text\/html/);
      expect(await response.text()).not.toContain('<html');
    } finally {
      await off.stop();
    }
  });
});
