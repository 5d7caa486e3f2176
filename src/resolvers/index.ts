/** Every resolver, one file per type. They read the archive only, through the request context. */
import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Episode } from './Episode.js';
import { Query } from './Query.js';
import { Segment } from './Segment.js';
import { Series } from './Series.js';
import { Speaker } from './Speaker.js';
import { Turn } from './Turn.js';
import { TurnSearchEdge } from './TurnSearchEdge.js';

export const resolvers: Resolvers = { Query, Series, Episode, Segment, Turn, Speaker, TurnSearchEdge };
