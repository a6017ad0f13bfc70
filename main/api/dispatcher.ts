// The one place a desk call enters main: both bridges (Electron IPC and the loopback
// WebSocket) hand every call to a dispatcher, which finds the method in the contract,
// validates its arguments and runs its handler. Invariants:
// - a call always resolves to a DeskResult; it never rejects;
// - no argument value ever reaches a log line or an error message: arguments can carry
//   patron data (a hold's shelf name, a PIN), so messages name fields, not values.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  deskMethodNames,
  deskMethodSchema,
  fail,
  type DeskEventName,
  type DeskEvents,
  type DeskHandlers,
  type DeskResult,
} from '../../shared/api/index.js';

export interface DeskDispatcher {
  /** Runs `capability.method` with `args`; resolves to its answer or an error, never rejects. */
  call(name: string, args: unknown): Promise<DeskResult<unknown>>;
}

export interface DispatcherOptions {
  /** Where failures are written; one line each, with a stack and never an argument value. */
  log?: (line: string) => void;
}

type AnyHandler = (args: unknown) => Promise<DeskResult<unknown>> | DeskResult<unknown>;

interface DeskMethod {
  readonly validate: ValidateFunction;
  readonly handler: AnyHandler;
}

const defaultLog = (line: string): void => console.error(line);

/** Staff see this for any failure they cannot fix; the detail goes to the log. */
const internalMessage = 'Something went wrong at the desk. The desk log has the details.';

export function createDispatcher(
  handlers: DeskHandlers,
  options: DispatcherOptions = {},
): DeskDispatcher {
  const log = options.log ?? defaultLog;
  const ajv = new Ajv({
    strict: true,
    coerceTypes: false,
    removeAdditional: false,
    useDefaults: false,
    allErrors: false,
  });

  // Built once from the contract's own list. A Map, so names like `__proto__` or
  // `constructor` find nothing rather than something inherited.
  const methods = new Map<string, DeskMethod>();
  for (const name of deskMethodNames) {
    const schema = deskMethodSchema(name);
    const [capability, method] = name.split('.') as [string, string];
    const handler: unknown = (handlers as Record<string, Record<string, unknown> | undefined>)[
      capability
    ]?.[method];
    if (schema === undefined || typeof handler !== 'function') {
      throw new Error(`createDispatcher: no handler for ${name}`);
    }
    methods.set(name, {
      validate: ajv.compile(schema),
      handler: handler.bind((handlers as Record<string, unknown>)[capability]) as AnyHandler,
    });
  }

  return {
    async call(name, args) {
      const method = methods.get(name);
      if (method === undefined) {
        return fail('unknown_method', 'The desk has no such call.');
      }
      if (!isPlainObject(args)) {
        return fail('invalid_arguments', `${name}: the arguments must be an object.`);
      }
      if (!method.validate(args)) {
        return fail('invalid_arguments', `${name}: ${describeInvalid(method.validate.errors)}`);
      }
      try {
        const result: unknown = await method.handler(args);
        if (isDeskResult(result)) return result;
        log(`carrel: ${name} answered something that is not a DeskResult`);
      } catch (error) {
        log(`carrel: ${name} failed: ${describeError(error, stringValues(args))}`);
        const storage = storageFault(error);
        if (storage) return storage;
      }
      return fail('internal', internalMessage);
    },
  };
}

/**
 * A write the disk refused: the whole call was rolled back (nothing of it is recorded) and
 * staff must know at once, since the next scans will fail the same way. SQLite's error codes
 * (better-sqlite3's SqliteError.code), read without importing the driver here.
 */
function storageFault(error: unknown): DeskResult<never> | undefined {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'SQLITE_FULL') {
    return fail(
      'storage_full',
      'The disk is full: this was NOT recorded. Free space on this computer, then scan it again.',
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_IOERR_WRITE') {
    return fail(
      'storage_read_only',
      'The desk cannot write to its data folder: this was NOT recorded. Call your IT support.',
    );
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isDeskResult(value: unknown): value is DeskResult<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    ((value as { ok?: unknown }).ok === true || (value as { ok?: unknown }).ok === false)
  );
}

// ---- Messages that name a field, never a value ----------------------------------------------

/** A field name worth quoting back; anything else (it came from the caller) is not. */
const plainFieldName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** `/status/1` -> `status[1]` (a JSON pointer from ajv: schema names and array indexes). */
function fieldOf(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((path, part) =>
    /^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`,
  );
}

function describeInvalid(errors: ErrorObject[] | null | undefined): string {
  // With allErrors off, ajv stops at the first failing rule; for a union it lists each
  // branch's failure and then the union's own, all at the same place.
  const first = errors?.[0];
  if (first === undefined) return 'the arguments are not valid.';
  const field = first.instancePath === '' ? '' : `"${fieldOf(first.instancePath)}" `;
  switch (first.keyword) {
    case 'required':
      return `"${String(first.params['missingProperty'])}" is missing.`;
    case 'additionalProperties': {
      const extra = String(first.params['additionalProperty']);
      return plainFieldName.test(extra)
        ? `"${extra}" is not a field of this call.`
        : 'the arguments have a field this call does not take.';
    }
    case 'type':
      return `${field}must be ${String(first.params['type'])}.`;
    case 'const':
    case 'enum':
    case 'anyOf': {
      const allowed = (errors ?? [])
        .filter((e) => e.instancePath === first.instancePath && e.keyword === 'const')
        .map((e) => JSON.stringify(e.params['allowedValue']));
      return allowed.length > 0
        ? `${field}must be one of ${allowed.join(', ')}.`
        : `${field}is not one of the allowed values.`;
    }
    case 'maxLength':
      return `${field}is too long (at most ${String(first.params['limit'])} characters).`;
    case 'minLength':
      return `${field}is too short (at least ${String(first.params['limit'])} characters).`;
    case 'pattern':
      return `${field}does not have the expected form.`;
    case 'minimum':
    case 'maximum':
      return `${field}is out of range.`;
    case 'maxItems':
      return `${field}has too many entries.`;
    default:
      return `${field}is not valid (${first.keyword}).`;
  }
}

// ---- Logging a failure without the arguments ------------------------------------------------

/** Every string inside the arguments, longest first (so a longer value is hidden whole). */
function stringValues(args: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') found.add(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(args);
  // Shorter strings carry nothing worth hiding and would garble the text around them.
  return [...found].filter((value) => value.length >= 3).sort((a, b) => b.length - a.length);
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.replaceAll(secret, '[redacted]'), text);
}

/**
 * The error's stack (its message redacted: a handler may have put an argument into it), and
 * its causes' likewise. A thrown non-Error is described by its type only.
 */
function describeError(error: unknown, secrets: readonly string[], depth = 0): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error} (not an Error)`;
  const text = redact(error.stack ?? `${error.name}: ${error.message}`, secrets);
  if (error.cause === undefined || depth >= 3) return text;
  return `${text}\ncaused by: ${describeError(error.cause, secrets, depth + 1)}`;
}

// ---- Events main pushes to the UI -----------------------------------------------------------

/** Hears every event; `payload` is the event's (DeskEvents[event]). */
export type DeskEventListener = <E extends DeskEventName>(event: E, payload: DeskEvents[E]) => void;

export interface DeskEventHub {
  emit<E extends DeskEventName>(event: E, payload: DeskEvents[E]): void;
  /** Answers the unsubscribe function. */
  subscribe(listener: DeskEventListener): () => void;
}

/**
 * Where capabilities announce events and bridges pick them up. A listener that throws is
 * logged (without the payload) and does not keep the event from the others.
 */
export function createEventHub(options: DispatcherOptions = {}): DeskEventHub {
  const log = options.log ?? defaultLog;
  const listeners = new Set<DeskEventListener>();
  return {
    emit(event, payload) {
      for (const listener of [...listeners]) {
        try {
          listener(event, payload);
        } catch (error) {
          const detail = describeError(error, stringValues(payload));
          log(`carrel: a listener of ${event} failed: ${detail}`);
        }
      }
    },
    subscribe(listener) {
      const own: DeskEventListener = (event, payload) => listener(event, payload);
      listeners.add(own);
      return () => {
        listeners.delete(own);
      };
    },
  };
}
