import { describe, expect, test } from 'vitest';
import { graphqlOperation } from './graphql.js';

const url = 'https://shop.example/graphql';
const body = (value: unknown) => JSON.stringify(value);

describe('graphqlOperation', () => {
  test('a named operation, by its name, of its type', () => {
    expect(graphqlOperation(body({ query: 'query GetUser($id: ID!) { user(id: $id) { name } }' }), url)).toBe(
      'query GetUser',
    );
    expect(
      graphqlOperation(
        body({ query: 'mutation AddToCart($sku: ID!) { addToCart(sku: $sku) { count } }', variables: { sku: 7 } }),
        url,
      ),
    ).toBe('mutation AddToCart');
    expect(graphqlOperation(body({ query: 'subscription OnPrice { price }' }), url)).toBe('subscription OnPrice');
  });

  test('operationName picks the operation of a document that holds several, after fragments and comments', () => {
    const document = `
      # the cart page
      fragment Line on CartLine { sku qty }
      query Cart { cart { lines { ...Line } } }
      mutation Checkout { checkout { id } }`;
    expect(graphqlOperation(body({ query: document, operationName: 'Checkout' }), url)).toBe('mutation Checkout');
    expect(graphqlOperation(body({ query: document }), url)).toBe('query Cart');
  });

  test('anonymous operations and the shorthand are queries or their own type', () => {
    expect(graphqlOperation(body({ query: '{ me { id } }' }), url)).toBe('query');
    expect(graphqlOperation(body({ query: 'mutation { logout }' }), url)).toBe('mutation');
  });

  test('a batch names its operations, a few at most', () => {
    const batch = Array.from({ length: 7 }, (_, index) => ({ query: `query Q${index} { a }` }));
    expect(graphqlOperation(body(batch.slice(0, 2)), url)).toBe('query Q0, query Q1');
    expect(graphqlOperation(body(batch), url)).toBe('query Q0, query Q1, query Q2, query Q3, query Q4 and 2 more');
  });

  test('GET: from the query string, persisted queries by name', () => {
    const get = new URL(url);
    get.searchParams.set('query', 'query Search($q: String) { search(q: $q) { id } }');
    expect(graphqlOperation(undefined, get.href)).toBe('query Search');
    const persisted = new URL(url);
    persisted.searchParams.set('operationName', 'GetUser');
    persisted.searchParams.set('extensions', body({ persistedQuery: { version: 1, sha256Hash: 'abc' } }));
    expect(graphqlOperation(undefined, persisted.href)).toBe('GetUser');
    expect(graphqlOperation(body({ operationName: 'GetUser', extensions: { persistedQuery: {} } }), url)).toBe(
      'GetUser',
    );
  });

  test('not GraphQL: search APIs with a `query` field or parameter, other JSON, text, long bodies', () => {
    expect(graphqlOperation(body({ query: 'red shoes', page: 2 }), 'https://shop.example/api/search')).toBeUndefined();
    expect(graphqlOperation(undefined, 'https://shop.example/api/search?query=red+shoes')).toBeUndefined();
    expect(graphqlOperation(body({ operationName: 'x' }), url)).toBeUndefined();
    expect(graphqlOperation(body({ items: [1, 2] }), url)).toBeUndefined();
    expect(graphqlOperation('query=shoes', url)).toBeUndefined();
    expect(graphqlOperation('{"query": "query Broken {', url)).toBeUndefined();
    expect(graphqlOperation(body({ query: `query Big { ${'a '.repeat(60_000)} }` }), url)).toBeUndefined();
    expect(graphqlOperation(undefined, 'not a url')).toBeUndefined();
  });
});
