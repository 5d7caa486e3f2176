/**
 * Query limits, with GraphQL Armor: depth, aliases, directives, tokens and cost are checked before anything runs,
 * and each refusal carries its own `extensions.code`. Field suggestions ("Did you mean …?") are blocked in
 * production, where they would let anyone map a schema whose introspection is off.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLFormattedError, ValidationRule } from 'graphql';

export interface Limits {
  /** Deepest selection. `MAX_DEPTH`, default 12. */
  readonly maxDepth: number;
  /** Aliases per operation. `MAX_ALIASES`, default 30 (routers alias merged fetches). */
  readonly maxAliases: number;
  /** Directives per operation. `MAX_DIRECTIVES`, default 50. */
  readonly maxDirectives: number;
  /** Tokens in the document. `MAX_TOKENS`, default 5000. */
  readonly maxTokens: number;
  /**
   * GraphQL Armor cost: objects 2, scalars 1, times 1.5 per level, times a literal `first`/`last`. `MAX_COST`,
   * default 10000 (`search(first: 100)` with a few fields costs about 1500).
   */
  readonly maxCost: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 50,
  maxTokens: 5000,
  maxCost: 50_000,
};

/** GraphQL Armor's refusals, by message: Apollo files them all under GRAPHQL_VALIDATION_FAILED otherwise. */
const REFUSALS: readonly [RegExp, string][] = [
  [/^(?:Syntax Error: )?Token limit of \d+ exceeded/, 'MAX_TOKENS_EXCEEDED'],
  [/^(?:Syntax Error: )?Query depth limit of \d+ exceeded/, 'MAX_DEPTH_EXCEEDED'],
  [/^(?:Syntax Error: )?Aliases limit of \d+ exceeded/, 'MAX_ALIASES_EXCEEDED'],
  [/^(?:Syntax Error: )?Directives limit of \d+ exceeded/, 'MAX_DIRECTIVES_EXCEEDED'],
  [/^(?:Syntax Error: )?Query Cost limit of \d+ exceeded/, 'MAX_COST_EXCEEDED'],
];

/**
 * Apollo `formatError` hook giving each limit its own `extensions.code`, so clients can tell them apart.
 *
 * @example
 * new ApolloServer({ schema, formatError: limitErrorCodes })
 */
export function limitErrorCodes(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const refusal = REFUSALS.find(([pattern]) => pattern.test(formatted.message));
  return refusal ? { ...formatted, extensions: { ...formatted.extensions, code: refusal[1] } } : formatted;
}

/**
 * Apollo Server plugins and validation rules enforcing the limits.
 *
 * @example
 * const { plugins, validationRules } = queryLimits(DEFAULT_LIMITS, { production: true });
 * new ApolloServer({ schema, plugins, validationRules });
 */
export function queryLimits(
  limits: Limits,
  options: { production: boolean },
): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[] } {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { n: limits.maxTokens },
    costLimit: { maxCost: limits.maxCost },
    blockFieldSuggestion: { enabled: options.production },
  });
  const { plugins, validationRules } = armor.protect();
  // GraphQL Armor is CommonJS and types its plugins against Apollo Server's CommonJS typings.
  return { plugins: plugins as unknown as ApolloServerPlugin[], validationRules };
}
