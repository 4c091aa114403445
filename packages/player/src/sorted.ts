// Binary search over arrays kept in ascending order, shared by the event store and the frame index.

/** Index of the first value whose key is >= `key` (> `key` when `after`) in an ascending array. */
function firstIndex<T>(values: readonly T[], key: number, keyOf: (value: T) => number, after: boolean): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    const found = keyOf(values[middle]!);
    if (found < key || (after && found === key)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Index of the first value whose key is >= `key` in an ascending array. */
export function lowerBound<T>(values: readonly T[], key: number, keyOf: (value: T) => number): number {
  return firstIndex(values, key, keyOf, false);
}

/** Index of the first value whose key is > `key` in an ascending array. */
export function upperBound<T>(values: readonly T[], key: number, keyOf: (value: T) => number): number {
  return firstIndex(values, key, keyOf, true);
}

/** Insert `value` into an ascending array after any equal values (appending is the common case). */
export function insertSorted(values: number[], value: number): void {
  const last = values[values.length - 1];
  if (last === undefined || last <= value) values.push(value);
  else values.splice(upperBound(values, value, identity), 0, value);
}

/** The key of a number in a sorted array of numbers. */
export const identity = (value: number): number => value;
