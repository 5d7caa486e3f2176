declare module 'webvtt-parser' {
  export interface CueNode {
    type: 'object' | 'text';
    name?: string;
    value?: string;
    children?: CueNode[];
  }
  export interface Cue {
    id: string;
    startTime: number;
    endTime: number;
    text: string;
    tree: { children: CueNode[] };
  }
  export interface ParseError {
    message: string;
    line: number;
  }
  export class WebVTTParser {
    constructor(entities?: Record<string, string>);
    parse(input: string, mode?: 'subtitles/captions' | 'metadata' | 'chapters'): { cues: Cue[]; errors: ParseError[] };
  }
  // CommonJS: Node's ESM loader sees only a default export.
  const webvtt: { WebVTTParser: typeof WebVTTParser };
  export default webvtt;
}
