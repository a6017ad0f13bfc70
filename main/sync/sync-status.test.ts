import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../shared/index.js';
import {
  classifyFailure,
  statusChanged,
  stoppedFacts,
  syncState,
  syncStatusOf,
  type SyncFacts,
} from './sync-status.js';

const running: SyncFacts = { ...stoppedFacts, running: true };
const idle: SyncFacts = { ...running, firstRoundDone: true };
const offline = classifyFailure({ message: 'no route' });
const refused = classifyFailure({ status: 403, code: 'forbidden', message: 'no' });
const revoked = classifyFailure({ status: 403, code: 'revoked', message: 'revoked' });
const local = { code: 'sync_internal', message: 'write failed' };

describe('syncState', () => {
  it.each<[string, SyncFacts, SyncStatus['state']]>([
    ['not enrolled', stoppedFacts, 'disabled'],
    ['started, first round running', running, 'syncing'],
    ['first round done, idle', idle, 'online'],
    ['a round running', { ...idle, active: true }, 'syncing'],
    ['server unreachable', { ...idle, requestFailure: offline }, 'offline'],
    [
      'unreachable while a round runs',
      { ...idle, active: true, requestFailure: offline },
      'offline',
    ],
    ['server refused a push', { ...idle, requestFailure: refused }, 'error'],
    ['applying a pull failed', { ...idle, localFailure: local }, 'error'],
    ['token revoked', { ...idle, fatal: revoked }, 'error'],
    ['token revoked, then stopped', { ...stoppedFacts, fatal: revoked }, 'error'],
    ['unreachable before the first round', { ...running, requestFailure: offline }, 'offline'],
  ])('%s: %s', (_label, facts, state) => {
    expect(syncState(facts)).toBe(state);
  });
});

describe('syncStatusOf', () => {
  const now = new Date('2026-11-23T10:00:00.000Z');

  it('ages the data while not online, and reports the problem', () => {
    const facts = { ...idle, requestFailure: offline, lastSuccessAt: '2026-11-23T09:58:30.000Z' };
    expect(syncStatusOf(facts, now)).toEqual({
      state: 'offline',
      lastSuccessAt: '2026-11-23T09:58:30.000Z',
      error: { code: 'server_unreachable', message: 'no route' },
      pending: 0,
      dataAgeSeconds: 90,
      clockOffsetMs: null,
    });
  });

  it('reports data age 0 while online, null before any success', () => {
    expect(
      syncStatusOf({ ...idle, lastSuccessAt: '2026-11-23T09:00:00.000Z' }, now).dataAgeSeconds,
    ).toBe(0);
    expect(syncStatusOf(running, now).dataAgeSeconds).toBeNull();
  });

  it('shows the fatal problem before any other', () => {
    expect(syncStatusOf({ ...idle, fatal: revoked, localFailure: local }, now).error?.code).toBe(
      'revoked',
    );
  });
});

describe('statusChanged', () => {
  const base = syncStatusOf({ ...idle, lastSuccessAt: '2026-11-23T09:00:00.000Z' }, new Date());
  it.each<[string, Partial<SyncStatus>, boolean]>([
    ['nothing', {}, false],
    ['data age only (it grows by itself)', { dataAgeSeconds: 999 }, false],
    ['state', { state: 'offline' }, true],
    ['pending', { pending: 3 }, true],
    ['error', { error: { code: 'x', message: 'y' } }, true],
    ['clock offset', { clockOffsetMs: 1200 }, true],
    ['last success', { lastSuccessAt: '2026-11-23T09:00:01.000Z' }, true],
  ])('%s', (_label, change, changed) => {
    expect(statusChanged(base, { ...base, ...change })).toBe(changed);
  });
});

describe('classifyFailure', () => {
  it.each([
    [{}, 'offline', 'server_unreachable'],
    [{ status: 401 }, 'fatal', 'unauthorized'],
    [{ status: 401, code: 'unauthorized' }, 'fatal', 'unauthorized'],
    [{ status: 403, code: 'revoked' }, 'fatal', 'revoked'],
    [{ status: 403, code: 'forbidden' }, 'refused', 'forbidden'],
    [{ status: 422, code: 'invalid_document' }, 'refused', 'invalid_document'],
    [{ status: 404 }, 'refused', 'server_error'],
    [{ status: 429, code: 'rate_limited' }, 'offline', 'rate_limited'],
    [{ status: 408 }, 'offline', 'server_unreachable'],
    [{ status: 500, code: 'internal' }, 'offline', 'internal'],
    [{ status: 503 }, 'offline', 'server_unreachable'],
  ])('%j is %s (%s)', (failure, kind, code) => {
    expect(classifyFailure(failure)).toMatchObject({ kind, code });
  });
});
