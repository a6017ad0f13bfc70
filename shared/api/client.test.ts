import { describe, expect, it } from 'vitest';
import { buildDeskApi, isDeskEventName, toDeskResult, type DeskTransport } from './client.js';
import { deskContract, deskMethodNames } from './contract.js';
import { fail, ok } from './result.js';

describe('buildDeskApi', () => {
  it('has exactly one function per contract method, each calling with its own name', async () => {
    const calls: [string, unknown][] = [];
    const transport: DeskTransport = (name, args) => {
      calls.push([name, args]);
      return Promise.resolve(ok(name));
    };
    const api = buildDeskApi(transport) as unknown as Record<
      string,
      Record<string, (args: unknown) => Promise<unknown>>
    >;
    expect(Object.keys(api)).toEqual(Object.keys(deskContract));
    for (const [capability, methods] of Object.entries(api)) {
      expect(Object.keys(methods)).toEqual(
        Object.keys(deskContract[capability as keyof typeof deskContract]),
      );
    }
    for (const name of deskMethodNames) {
      const [capability = '', method = ''] = name.split('.');
      expect(await api[capability]?.[method]?.({ marker: name })).toEqual(ok(name));
    }
    expect(calls).toEqual(deskMethodNames.map((name) => [name, { marker: name }]));
  });

  it('answers internal, never rejects, when the transport throws or rejects', async () => {
    const rejecting = buildDeskApi(() => Promise.reject(new Error('gone')));
    const throwing = buildDeskApi(() => {
      throw new Error('gone');
    });
    for (const api of [rejecting, throwing]) {
      expect(await api.checkin.scan({ barcode: 'b' })).toMatchObject({
        ok: false,
        error: { code: 'internal' },
      });
    }
  });
});

describe('toDeskResult', () => {
  it.each([
    [ok(5), ok(5)],
    [ok(null), ok(null)],
    [fail('crate_not_found', 'No crate'), fail('crate_not_found', 'No crate')],
  ])('keeps a DeskResult %j', (answer, expected) => {
    expect(toDeskResult(answer)).toEqual(expected);
  });

  it.each([
    undefined,
    null,
    'ok',
    [],
    { ok: 'yes' },
    { ok: false },
    { ok: false, error: { code: 'made_up', message: 'x' } },
    { ok: false, error: { code: 'internal' } },
  ])('turns %j into internal', (answer) => {
    expect(toDeskResult(answer)).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});

describe('isDeskEventName', () => {
  it.each([
    ['checkin.recorded', true],
    ['crates.changed', true],
    ['crates.gone', false],
    ['__proto__', false],
    [7, false],
  ])('%j: %s', (name, expected) => {
    expect(isDeskEventName(name)).toBe(expected);
  });
});
