// Reports over a range of days: check-ins by outcome, crates out and in per library, courier
// turnaround per route, and the lending/borrowing balance (items sent against items received).
// Every chart has its figures in a table beside it, for screen readers and for exact numbers.
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ErrorText } from '../components/error-text.js';
import { localDay } from '../lib/format.js';
import { useDeskQuery } from '../lib/use-desk-query.js';

const routeWords: Record<string, string> = {
  hold_here: 'Hold shelf',
  hold_transit: 'Crate for hold',
  return_home: 'Home',
  float_here: 'Floats here',
  reshelve: 'Reshelve',
  set_aside: 'Set aside',
};

const ranges = [7, 30, 90] as const;

function FigureTable({
  caption,
  columns,
  rows,
}: {
  caption: string;
  columns: readonly string[];
  rows: readonly (readonly (string | number)[])[];
}) {
  return (
    <table className="figures">
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={String(row[0])}>
            {row.map((cell, index) => (
              <td key={index}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Chart({ children, show = true }: { children: React.ReactElement; show?: boolean }) {
  if (!show) return null;
  return (
    <div className="chart" aria-hidden="true">
      <ResponsiveContainer width="100%" height={240}>
        {children}
      </ResponsiveContainer>
    </div>
  );
}

export function ReportsScreen() {
  const [days, setDays] = useState<(typeof ranges)[number]>(30);
  const from = localDay(days - 1);
  const to = localDay();
  const checkins = useDeskQuery((c) => c.reports.checkinsByDay({ from, to }), `${from}:${to}`, [
    'checkins',
  ]);
  const traffic = useDeskQuery((c) => c.reports.crateTraffic({ from, to }), `${from}:${to}`, [
    'crates',
  ]);
  const waiting = useDeskQuery((c) => c.reports.waiting({}), 'waiting', ['crates', 'holds']);

  const byRoute = new Map<string, number>();
  for (const row of checkins.data ?? [])
    byRoute.set(row.route, (byRoute.get(row.route) ?? 0) + row.count);
  const outcomes = Object.keys(routeWords).map((route) => ({
    name: routeWords[route] ?? route,
    count: byRoute.get(route) ?? 0,
  }));
  const perLibrary = (traffic.data?.traffic ?? []).map((row) => ({
    name: row.library,
    'Crates out': row.sentCrates,
    'Crates in': row.receivedCrates,
    'Items lent': row.sentItems,
    'Items borrowed': row.receivedItems,
  }));
  const turnaround = traffic.data?.turnaround ?? [];

  return (
    <div className="reports">
      <h1>Reports</h1>
      <div className="tab-bar" role="group" aria-label="Range">
        {ranges.map((range) => (
          <button
            key={range}
            type="button"
            aria-pressed={range === days}
            onClick={() => setDays(range)}
          >
            Last {range} days
          </button>
        ))}
      </div>
      <ErrorText error={checkins.error ?? traffic.error ?? waiting.error} />
      {waiting.data && (
        <section aria-labelledby="waiting-heading">
          <h2 id="waiting-heading">Waiting now</h2>
          <ul className="counts">
            <li>Open crates: {waiting.data.openCrates}</li>
            <li>Crates on the way here: {waiting.data.cratesInTransitHere}</li>
            <li>Crates being unpacked: {waiting.data.cratesBeingUnpacked}</li>
            <li>
              On the hold shelf: {waiting.data.onHoldShelf} ({waiting.data.expiredOnHoldShelf}{' '}
              expired)
            </li>
          </ul>
        </section>
      )}
      <section aria-labelledby="outcomes-heading">
        <h2 id="outcomes-heading">Check-ins by outcome</h2>
        <Chart>
          <BarChart accessibilityLayer={false} data={outcomes}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Bar isAnimationActive={false} dataKey="count" name="Check-ins" fill="#1f5fa8" />
          </BarChart>
        </Chart>
        <FigureTable
          caption={`Check-ins, ${from} to ${to}`}
          columns={['Outcome', 'Check-ins']}
          rows={outcomes.map((row) => [row.name, row.count])}
        />
      </section>
      <section aria-labelledby="crates-heading">
        <h2 id="crates-heading">Crates out and in</h2>
        {perLibrary.length === 0 && <p>No crates sent or received in this range.</p>}
        <Chart show={perLibrary.length > 0}>
          <BarChart accessibilityLayer={false} data={perLibrary}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar isAnimationActive={false} dataKey="Crates out" fill="#7a3e9d" />
            <Bar isAnimationActive={false} dataKey="Crates in" fill="#2e7d32" />
          </BarChart>
        </Chart>
        <FigureTable
          caption="Crates per library"
          columns={['Library', 'Crates out', 'Crates in']}
          rows={perLibrary.map((row) => [row.name, row['Crates out'], row['Crates in']])}
        />
      </section>
      <section aria-labelledby="balance-heading">
        <h2 id="balance-heading">Lending and borrowing balance</h2>
        {perLibrary.length === 0 && <p>No items sent or received in this range.</p>}
        <Chart show={perLibrary.length > 0}>
          <BarChart accessibilityLayer={false} data={perLibrary}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar isAnimationActive={false} dataKey="Items lent" fill="#b45309" />
            <Bar isAnimationActive={false} dataKey="Items borrowed" fill="#1f5fa8" />
          </BarChart>
        </Chart>
        <FigureTable
          caption="Items sent to and received from each library (a net lender sends more)"
          columns={['Library', 'Items sent', 'Items received', 'Balance']}
          rows={perLibrary.map((row) => [
            row.name,
            row['Items lent'],
            row['Items borrowed'],
            row['Items lent'] - row['Items borrowed'],
          ])}
        />
      </section>
      <section aria-labelledby="turnaround-heading">
        <h2 id="turnaround-heading">Courier turnaround</h2>
        {turnaround.length === 0 && <p>No crate was received in this range.</p>}
        <Chart show={turnaround.length > 0}>
          <BarChart
            accessibilityLayer={false}
            data={turnaround.map((row) => ({
              name: `${row.from}→${row.to}`,
              median: row.medianHours,
              p90: row.p90Hours,
            }))}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis unit=" h" />
            <Tooltip />
            <Legend />
            <Bar isAnimationActive={false} dataKey="median" name="Median hours" fill="#1f5fa8" />
            <Bar
              isAnimationActive={false}
              dataKey="p90"
              name="90th percentile hours"
              fill="#b45309"
            />
          </BarChart>
        </Chart>
        <FigureTable
          caption="Sealed to received, per route"
          columns={['Route', 'Crates', 'Median hours', '90th percentile hours']}
          rows={turnaround.map((row) => [
            `${row.from} to ${row.to}`,
            row.crates,
            row.medianHours.toFixed(1),
            row.p90Hours.toFixed(1),
          ])}
        />
      </section>
    </div>
  );
}
