import { expect, test } from 'vitest';
import { createEmitter } from './emitter.js';

test('on() returns an unsubscribe, and a throwing listener does not stop the others', () => {
  const failures: Array<[string, unknown]> = [];
  const emitter = createEmitter<{ ping: number; pong: string }>((error, event) =>
    failures.push([String(event), (error as Error).message]),
  );
  const seen: number[] = [];
  const off = emitter.on('ping', (value) => seen.push(value));
  emitter.on('ping', () => {
    throw new Error('listener bug');
  });
  emitter.on('ping', (value) => seen.push(value * 10));
  emitter.emit('ping', 1);
  off();
  emitter.emit('ping', 2);
  expect(seen).toEqual([1, 10, 20]);
  expect(failures).toEqual([
    ['ping', 'listener bug'],
    ['ping', 'listener bug'],
  ]);
});

test('a listener that removes itself while an event is delivered does not skip the next one', () => {
  const emitter = createEmitter<{ time: number }>(() => {});
  const seen: string[] = [];
  const offFirst = emitter.on('time', () => {
    seen.push('first');
    offFirst();
  });
  emitter.on('time', () => seen.push('second'));
  emitter.emit('time', 1);
  emitter.emit('time', 2);
  expect(seen).toEqual(['first', 'second', 'second']);
});

test('clear() removes every listener', () => {
  const emitter = createEmitter<{ time: number }>(() => {});
  const seen: number[] = [];
  emitter.on('time', (time) => seen.push(time));
  emitter.clear();
  emitter.emit('time', 1);
  expect(seen).toEqual([]);
});
