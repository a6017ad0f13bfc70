import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  deskMethodNames,
  fail,
  ok,
  type DeskHandlers,
  type DeskResult,
} from '../../shared/api/index.js';
import { handlersNotUnderTest, reshelveAnswer } from './bridge-test-handlers.js';
import { createDispatcher, createEventHub } from './dispatcher.js';

/** A barcode standing for patron-linked data: it must never show up in a log or a message. */
const secretBarcode = '31234000999999-PATRON';

function dispatcherWithScan(scan: DeskHandlers['checkin']['scan']) {
  const log: string[] = [];
  const handlers = {
    ...handlersNotUnderTest,
    checkin: { ...handlersNotUnderTest.checkin, scan },
  } satisfies DeskHandlers;
  const dispatcher = createDispatcher(handlers, { log: (line) => log.push(line) });
  return { dispatcher, log };
}

function errorOf(result: DeskResult<unknown>) {
  if (result.ok) throw new Error('expected a failed call');
  return result.error;
}

describe('createDispatcher: finding the method', () => {
  it.each([
    'nothing.here',
    'checkin',
    '',
    'checkin.scan.extra',
    '.scan',
    'checkin.',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '__proto__.scan',
    'checkin.__proto__',
    'checkin.constructor',
    'checkin.toString',
    'constructor.name',
  ])('answers unknown_method for %j and calls nothing', async (name) => {
    const scan = vi.fn(() => ok(reshelveAnswer('x')));
    const { dispatcher } = dispatcherWithScan(scan);
    const result = await dispatcher.call(name, { barcode: 'x' });
    expect(errorOf(result).code).toBe('unknown_method');
    expect(scan).not.toHaveBeenCalled();
  });

  it('refuses handlers that lack a method of the contract (a JavaScript caller)', () => {
    const partial = { ...handlersNotUnderTest, holds: {} } as unknown as DeskHandlers;
    expect(() => createDispatcher(partial)).toThrow(/holds\.pullList/);
  });
});

describe('createDispatcher: validating the arguments', () => {
  it.each([
    ['null', null],
    ['an array', [{ barcode: 'x' }]],
    ['a string', 'x'],
    ['a number', 5],
    ['undefined', undefined],
    ['a Date', new Date()],
    [
      'a class instance',
      new (class Scan {
        barcode = 'x';
      })(),
    ],
  ])('refuses %s as the arguments', async (_label, args) => {
    const scan = vi.fn(() => ok(reshelveAnswer('x')));
    const { dispatcher } = dispatcherWithScan(scan);
    const error = errorOf(await dispatcher.call('checkin.scan', args));
    expect(error.code).toBe('invalid_arguments');
    expect(error.message).toMatch(/must be an object/);
    expect(scan).not.toHaveBeenCalled();
  });

  const invalid: [label: string, name: string, args: object, says: RegExp][] = [
    ['an unknown field', 'checkin.scan', { barcode: 'x', patron: secretBarcode }, /"patron"/],
    ['a wrong type', 'checkin.scan', { barcode: 31234000999999 }, /"barcode" must be string/],
    ['a too long string', 'checkin.scan', { barcode: secretBarcode.repeat(10) }, /"barcode".*long/],
    ['a number as a string (no coercion)', 'checkin.recent', { limit: '5' }, /"limit" must be/],
    ['a missing field', 'crates.get', {}, /"crateId" is missing/],
    ['a value outside a union', 'crates.list', { direction: secretBarcode }, /"outgoing"/],
    [
      'a bad array entry',
      'crates.list',
      { direction: 'incoming', status: ['open', 7] },
      /status\[1\]/,
    ],
    ['a pattern mismatch', 'staff.signIn', { initials: 'AB', pin: `12${secretBarcode}` }, /"pin"/],
    ['a number out of range', 'checkin.recent', { limit: 201 }, /"limit" is out of range/],
    ['arguments to a call that takes none', 'holds.holdShelf', { limit: 1 }, /"limit"/],
  ];

  it.each(invalid)(
    'refuses %s, naming the field and not the value',
    async (_l, name, args, says) => {
      const { dispatcher } = dispatcherWithScan(() => ok(reshelveAnswer('x')));
      const error = errorOf(await dispatcher.call(name, args));
      expect(error.code).toBe('invalid_arguments');
      expect(error.message).toMatch(says);
      expect(error.message).not.toContain(secretBarcode);
    },
  );

  it('refuses a "__proto__" field that arrived as JSON, without calling the handler', async () => {
    const scan = vi.fn(() => ok(reshelveAnswer('x')));
    const { dispatcher } = dispatcherWithScan(scan);
    const args: unknown = JSON.parse('{"barcode":"x","__proto__":{"admin":true}}');
    expect(errorOf(await dispatcher.call('checkin.scan', args)).code).toBe('invalid_arguments');
    expect(scan).not.toHaveBeenCalled();
  });

  it('does not quote a field name that is not a plain name', async () => {
    const { dispatcher } = dispatcherWithScan(() => ok(reshelveAnswer('x')));
    const error = errorOf(await dispatcher.call('checkin.scan', { [secretBarcode]: 1 }));
    expect(error.code).toBe('invalid_arguments');
    expect(error.message).not.toContain(secretBarcode);
  });

  it('never rejects and never echoes a value, whatever the arguments', async () => {
    const { dispatcher } = dispatcherWithScan(() => ok(reshelveAnswer('x')));
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.string().map((s) => `secret:${s}`),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
      ),
      node: fc.oneof(
        { depthSize: 'small' },
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    const args = fc.oneof(
      value,
      fc.dictionary(
        fc.constantFrom('barcode', 'limit', 'crateId', 'direction', 'status', '__proto__', 'x'),
        value,
        { maxKeys: 4 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...deskMethodNames), args, async (name, input) => {
        const result = await dispatcher.call(name, input);
        if (!result.ok) expect(result.error.message).not.toContain('secret:');
      }),
    );
  });
});

describe('createDispatcher: running the handler', () => {
  it('passes a valid call through to its handler and answers what it answered', async () => {
    const scan = vi.fn(({ barcode }: { barcode: string }) => ok(reshelveAnswer(barcode)));
    const { dispatcher, log } = dispatcherWithScan(scan);
    const result = await dispatcher.call('checkin.scan', { barcode: '31234000123456' });
    expect(result).toEqual(ok(reshelveAnswer('31234000123456')));
    expect(scan).toHaveBeenCalledWith({ barcode: '31234000123456' });
    expect(log).toEqual([]);
  });

  it('passes a handler error answer through unchanged', async () => {
    const { dispatcher } = dispatcherWithScan(() => fail('barcode_bad_check_digit', 'Check digit'));
    expect(await dispatcher.call('checkin.scan', { barcode: '1' })).toEqual(
      fail('barcode_bad_check_digit', 'Check digit'),
    );
  });

  it('passes a number through as a number (limit 5)', async () => {
    const recent = vi.fn(() => ok([]));
    const handlers = {
      ...handlersNotUnderTest,
      checkin: { ...handlersNotUnderTest.checkin, recent },
    } satisfies DeskHandlers;
    const result = await createDispatcher(handlers).call('checkin.recent', { limit: 5 });
    expect(result).toEqual(ok([]));
    expect(recent).toHaveBeenCalledWith({ limit: 5 });
  });

  it('calls a handler with its capability object as `this`', async () => {
    class CheckinHandlers {
      readonly prefix = 'seen:';
      scan({ barcode }: { barcode: string }) {
        return ok(reshelveAnswer(`${this.prefix}${barcode}`));
      }
      undo() {
        return fail('internal', 'not under test');
      }
      transitSlip() {
        return fail('internal', 'not under test');
      }
      recent() {
        return fail('internal', 'not under test');
      }
    }
    const handlers = {
      ...handlersNotUnderTest,
      checkin: new CheckinHandlers(),
    } satisfies DeskHandlers;
    const result = await createDispatcher(handlers).call('checkin.scan', { barcode: 'b' });
    expect(result).toEqual(ok(reshelveAnswer('seen:b')));
  });

  it.each([
    [
      'throws an Error',
      ({ barcode }: { barcode: string }) => {
        throw new Error(`no item ${barcode} for the patron`);
      },
    ],
    [
      'rejects',
      async ({ barcode }: { barcode: string }) => {
        await Promise.resolve();
        throw new TypeError(`bad ${barcode}`, { cause: new Error(`inner ${barcode}`) });
      },
    ],
    [
      'throws a non-Error',
      ({ barcode }: { barcode: string }): DeskResult<never> => {
        // Not an Error, on purpose: JavaScript code can throw anything.
        const thrown: unknown = `string with ${barcode}`;
        throw thrown;
      },
    ],
  ])('answers internal when the handler %s, logging no argument', async (_label, scan) => {
    const { dispatcher, log } = dispatcherWithScan(scan);
    const error = errorOf(await dispatcher.call('checkin.scan', { barcode: secretBarcode }));
    expect(error.code).toBe('internal');
    expect(error.message).not.toContain(secretBarcode);
    expect(log).toHaveLength(1);
    expect(log[0]).toContain('checkin.scan failed');
    expect(log[0]).not.toContain(secretBarcode);
  });

  it('logs the stack of a thrown Error (and its cause), with the argument redacted', async () => {
    const { dispatcher, log } = dispatcherWithScan(function scanThatThrows({ barcode }) {
      throw new Error(`no item ${barcode}`, { cause: new RangeError(`inner ${barcode}`) });
    });
    await dispatcher.call('checkin.scan', { barcode: secretBarcode });
    expect(log[0]).toMatch(/Error: no item \[redacted\]/);
    expect(log[0]).toMatch(/at .*scanThatThrows/);
    expect(log[0]).toMatch(/caused by: RangeError: inner \[redacted\]/);
  });

  it('answers internal when a handler answers something that is not a DeskResult', async () => {
    const { dispatcher, log } = dispatcherWithScan(() => undefined as unknown as DeskResult<never>);
    const error = errorOf(await dispatcher.call('checkin.scan', { barcode: secretBarcode }));
    expect(error.code).toBe('internal');
    expect(log.join('\n')).toMatch(/not a DeskResult/);
  });
});

describe('createEventHub', () => {
  const summary = {
    crateId: '01JD0000000000000000000001',
    labelBarcode: 'C-1',
    origin: { code: 'AAA', name: 'A' },
    destination: { code: 'BBB', name: 'B' },
    status: 'open',
    count: 0,
    capacity: 40,
    openedAt: '2026-11-23T09:00:00.000Z',
  } as const;

  it('delivers each event to every subscriber until it unsubscribes', () => {
    const hub = createEventHub();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const unsubscribeFirst = hub.subscribe((event, payload) => first.push([event, payload]));
    hub.subscribe((event, payload) => second.push([event, payload]));
    hub.emit('crates.changed', summary);
    unsubscribeFirst();
    hub.emit('checkin.recorded', reshelveAnswer('b'));
    expect(first).toEqual([['crates.changed', summary]]);
    expect(second).toEqual([
      ['crates.changed', summary],
      ['checkin.recorded', reshelveAnswer('b')],
    ]);
  });

  it('keeps delivering when a listener throws, and logs it without the payload', () => {
    const log: string[] = [];
    const hub = createEventHub({ log: (line) => log.push(line) });
    const received: string[] = [];
    hub.subscribe((_event, payload) => {
      throw new Error(`listener saw ${JSON.stringify(payload)}`);
    });
    hub.subscribe((event) => {
      received.push(event);
    });
    hub.emit('checkin.recorded', reshelveAnswer(secretBarcode));
    expect(received).toEqual(['checkin.recorded']);
    expect(log).toHaveLength(1);
    expect(log[0]).toContain('checkin.recorded');
    expect(log[0]).not.toContain(secretBarcode);
  });

  it('lets the same listener subscribe twice and leave one subscription', () => {
    const hub = createEventHub();
    const received: string[] = [];
    const listener = (event: string): void => {
      received.push(event);
    };
    const leave = hub.subscribe(listener);
    hub.subscribe(listener);
    leave();
    hub.emit('crates.changed', summary);
    expect(received).toEqual(['crates.changed']);
  });
});
