// What the consortium server serves one desk (every collection, every page), and the key a
// document is compared by: shared by the multi-desk sync tests and the fault suites, which
// also run outside vitest (npm run test:faults), so nothing here imports vitest.
import {
  SYNC_BASE_PATH,
  replicatedCollections,
  type DeskCollectionName,
  type WireDocument,
} from '../../shared/index.js';

export type View = Map<DeskCollectionName, WireDocument[]>;

/** Everything the server sends a desk with this token, by collection. */
export async function serverView(url: string, token: string): Promise<View> {
  const view: View = new Map();
  for (const name of replicatedCollections) {
    const docs: WireDocument[] = [];
    let after: number | undefined;
    for (;;) {
      const query = `${after === undefined ? '' : `after=${after}&`}limit=1000`;
      const response = await fetch(`${url}${SYNC_BASE_PATH}/sync/${name}/pull?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`pull ${name}: ${response.status}`);
      const page = (await response.json()) as {
        documents: WireDocument[];
        checkpoint: { seq: number };
      };
      docs.push(...page.documents);
      after = page.checkpoint.seq;
      if (page.documents.length < 1000) break;
    }
    view.set(name, docs);
  }
  return view;
}

/** A document's primary key value, by collection. */
export const keyOf = (name: DeskCollectionName, doc: Record<string, unknown>) =>
  String(doc[name === 'libraries' ? 'code' : name === 'items' ? 'barcode' : 'id']);
