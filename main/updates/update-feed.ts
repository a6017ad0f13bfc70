// Where a desk looks for updates: the consortium server it is enrolled with serves
// electron-updater's generic feed (latest.yml, latest-mac.yml, latest-linux.yml and the
// installers electron-builder wrote to release/) as static files under /v1/updates/.

/** The generic provider's URL for a server base URL as enrolment stored it. */
export function updateFeedUrl(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/v1/updates/`;
}
