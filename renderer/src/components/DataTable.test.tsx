// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataTable, type Column } from './DataTable.js';

afterEach(cleanup);

interface Row {
  id: string;
  name: string;
}
const columns: (Column<Row> | false)[] = [
  { id: 'name', header: 'Name', cell: (r) => r.name, cellProps: (r) => ({ title: r.id }) },
  false,
  { id: 'id', header: 'Id', align: 'right', cell: (r) => r.id },
];
const base = {
  label: 'People',
  columns,
  empty: { title: 'Nobody here', hint: 'Add someone.' },
  rowKey: (r: Row) => r.id,
  rowProps: (r: Row) => ({ 'data-testid': 'person-row', 'data-id': r.id }),
};

describe('DataTable', () => {
  it('says it is loading until the first answer', () => {
    render(<DataTable {...base} rows={null} error={null} loadingLabel="Loading people" />);
    expect(screen.getByTestId('loading')).toBeTruthy();
    expect(screen.getByLabelText('Loading people')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it("shows the engine's sentence with Retry, even over rows it had", () => {
    const retry = vi.fn();
    render(
      <DataTable {...base} rows={[{ id: 'a', name: 'Ann' }]} error="The engine is away." onRetry={retry} />,
    );
    expect(screen.getByTestId('error').textContent).toContain('The engine is away.');
    expect(screen.queryByRole('table')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('says so when there is nothing to list', () => {
    render(<DataTable {...base} rows={[]} error={null} />);
    expect(screen.getByTestId('empty').textContent).toBe('Nobody hereAdd someone.');
  });

  it('lists the rows under the columns given, skipping the ones switched off', () => {
    render(
      <DataTable
        {...base}
        rows={[
          { id: 'a', name: 'Ann' },
          { id: 'b', name: 'Bob' },
        ]}
        error={null}
      />,
    );
    const table = screen.getByRole('table', { name: 'People' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Name', 'Id']);
    const rows = screen.getAllByTestId('person-row');
    expect(rows.map((r) => r.getAttribute('data-id'))).toEqual(['a', 'b']);
    expect(
      within(rows[1]!)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['Bob', 'b']);
    expect(within(rows[0]!).getByText('Ann').getAttribute('title')).toBe('a');
  });
});
