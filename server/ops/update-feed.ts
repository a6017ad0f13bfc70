// The desks' update feed: electron-updater's `generic` provider reads `latest.yml` (and
// `latest-mac.yml`, `latest-linux.yml`) and then the installer from `<server>/v1/updates/`.
// The consortium copies electron-builder's `release/` output into one folder and starts the
// server with `--updates <folder>` (CARREL_UPDATES_DIR). Plain static files without auth (an
// installer is no secret and desks fetch it before any token matters), with range requests
// for differential downloads; nothing outside the folder is served, and no listing.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { resolve } from 'node:path';

export const UPDATE_FEED_PATH = '/v1/updates/';

export async function registerUpdateFeed(app: FastifyInstance, folder: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: resolve(folder),
    prefix: UPDATE_FEED_PATH,
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    acceptRanges: true,
    // Metadata changes with every release: desks must not keep an old latest.yml.
    cacheControl: true,
    maxAge: 0,
  });
}
