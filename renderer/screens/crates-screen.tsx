// Crates: what is packing for each destination (count against capacity), sealing and printing
// label and manifest; receiving a crate that arrived; the history of crates both ways.
import { useState } from 'react';
import { CrateReceiving } from './crate-receiving.js';
import { CrateHistory, OutgoingCrates } from './crates-outgoing.js';

const tabs = [
  { id: 'outgoing', label: 'Outgoing' },
  { id: 'receive', label: 'Receive' },
  { id: 'history', label: 'History' },
] as const;
type Tab = (typeof tabs)[number]['id'];

export function CratesScreen() {
  const [tab, setTab] = useState<Tab>('outgoing');
  return (
    <div className="crates">
      <h1>Crates</h1>
      <TabBar tabs={tabs} current={tab} onChange={setTab} label="Crate views" />
      {tab === 'outgoing' && <OutgoingCrates />}
      {tab === 'receive' && <CrateReceiving />}
      {tab === 'history' && <CrateHistory />}
    </div>
  );
}

/** A row of buttons switching a screen's views (keyboard: Tab to one, Enter). */
export function TabBar<T extends string>(props: {
  tabs: readonly { id: T; label: string }[];
  current: T;
  onChange: (tab: T) => void;
  label: string;
}) {
  return (
    <div className="tab-bar" role="group" aria-label={props.label}>
      {props.tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          aria-pressed={tab.id === props.current}
          onClick={() => props.onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
