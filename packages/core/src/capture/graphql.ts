/**
 * The GraphQL operation a request carries, so the replay's network panel tells `mutation
 * AddToCart` from `query GetUser` where every request is `POST /graphql`. Read from a JSON body
 * (`{ query, operationName }`, or an array of them: a batch) or, for a GET, the query string, as
 * GraphQL over HTTP sends them. Names are the app's identifiers, not user input.
 */

/** Bodies longer than this are not parsed (a query document is rarely more than a few kB). */
const MAX_PARSED_BODY = 100_000;
/** Operations named for a batched request; past this the rest are counted. */
const MAX_BATCH_OPERATIONS = 5;
/** An operation definition opens a document or follows the `}` that closes the previous one. */
const DEFINITION = /(?:^|\})\s*(query|mutation|subscription)\b\s*([_A-Za-z]\w*)?/g;

/** What a GraphQL document starts with: `{` (a query's shorthand) or a definition's keyword. */
const DOCUMENT_START = /^\s*(\{|(query|mutation|subscription|fragment)\b)/;

function operationOf(request: unknown): string | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  const { query, operationName, extensions } = request as Record<string, unknown>;
  const name = typeof operationName === 'string' && operationName ? operationName : undefined;
  // A persisted query sends its name and a hash (in `extensions`) without the document: its type is unknown.
  if (typeof query !== 'string') return extensions ? name : undefined;
  const document = query.replace(/#[^\n\r]*/g, '');
  // `{ "query": "shoes" }` is a search API's body, not GraphQL.
  if (!DOCUMENT_START.test(document)) return undefined;
  for (const [, type, defined] of document.matchAll(DEFINITION))
    if (!name || defined === name) return defined || name ? `${type} ${name ?? defined}` : type;
  // The shorthand `{ … }` is a query.
  return name ? `query ${name}` : 'query';
}

/** `query GetUser`, `mutation AddToCart`, `query A, query B` for a batch; undefined when not GraphQL. */
export function graphqlOperation(body: string | undefined, url: string): string | undefined {
  try {
    if (body === undefined || body === '') {
      const params = new URL(url).searchParams;
      if (!params.has('query') && !params.has('operationName')) return undefined;
      return operationOf({
        query: params.get('query') ?? undefined,
        operationName: params.get('operationName'),
        extensions: params.get('extensions') ?? undefined,
      });
    }
    if (body.length > MAX_PARSED_BODY || !/"(query|operationName)"\s*:/.test(body)) return undefined;
    const parsed: unknown = JSON.parse(body);
    if (!Array.isArray(parsed)) return operationOf(parsed);
    const names = parsed.slice(0, MAX_BATCH_OPERATIONS).map(operationOf).filter(Boolean);
    if (names.length === 0) return undefined;
    const more = parsed.length - MAX_BATCH_OPERATIONS;
    return names.join(', ') + (more > 0 ? ` and ${more} more` : '');
  } catch {
    // Not JSON, or not a URL: not a GraphQL request we can read.
    return undefined;
  }
}
