// electron-builder.yml cannot be tried here (no Electron binary to package), so it is checked
// the way electron-builder checks it first: against app-builder-lib's scheme.json with ajv.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';

const configPath = resolve(import.meta.dirname, '..', 'electron-builder.yml');

function readConfig(): Record<string, unknown> {
  const config: unknown = parseYaml(readFileSync(configPath, 'utf8'));
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error('electron-builder.yml is not a mapping');
  }
  return config as Record<string, unknown>;
}

let validate: ValidateFunction;

beforeAll(() => {
  const schema = JSON.parse(
    readFileSync(
      resolve(import.meta.dirname, '..', 'node_modules', 'app-builder-lib', 'scheme.json'),
      'utf8',
    ),
  ) as object;
  // The options electron-builder's own validator uses (app-builder-lib schemaValidator.js).
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
  validate = ajv.compile(schema);
});

function problems(config: unknown): string[] {
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

describe('electron-builder.yml', () => {
  it('matches the schema electron-builder validates its configuration with', () => {
    expect(problems(readConfig())).toEqual([]);
  });

  it('is rejected when an option has the wrong type', () => {
    const broken = { ...readConfig(), nsis: { perMachine: 'yes' } };
    expect(problems(broken)).not.toEqual([]);
  });

  it('is rejected when it names an option electron-builder does not have', () => {
    const broken = { ...readConfig(), applicationId: 'org.carrel.desk' };
    expect(problems(broken)).not.toEqual([]);
  });

  it('sets the Electron fuses: no Node mode, no NODE_OPTIONS, no inspector, only the checked ASAR', () => {
    expect(readConfig()['electronFuses']).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
  });

  it('is rejected when a fuse is misspelt or not a boolean', () => {
    const config = readConfig();
    const fuses = config['electronFuses'] as Record<string, unknown>;
    expect(problems({ ...config, electronFuses: { ...fuses, runAsNodeX: false } })).not.toEqual([]);
    expect(problems({ ...config, electronFuses: { ...fuses, runAsNode: 'off' } })).not.toEqual([]);
  });

  it('publishes a generic update feed that the consortium server serves under /v1/updates/', () => {
    const publish = readConfig()['publish'] as Record<string, unknown>;
    expect(publish['provider']).toBe('generic');
    expect(String(publish['url'])).toMatch(/\/v1\/updates\/$/);
  });

  it('packages the built app with its icon, better-sqlite3 unpacked, for every desk platform', () => {
    const config = readConfig();
    expect(config).toMatchObject({
      appId: 'org.carrel.desk',
      productName: 'Carrel',
      files: ['out/**'],
      directories: { buildResources: 'build' },
      npmRebuild: true,
      win: { target: 'nsis' },
      nsis: { perMachine: true },
      mac: { target: ['dmg', 'zip'] },
      linux: { target: ['AppImage', 'deb'] },
    });
    expect(config['asarUnpack']).toContain('**/node_modules/better-sqlite3/**/*.node');
    const icon = readFileSync(resolve(import.meta.dirname, '..', 'build', 'icon.png'));
    // PNG signature, then IHDR width and height
    expect(icon.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]));
    expect([icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual([512, 512]);
  });
});
