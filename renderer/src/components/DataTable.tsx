import type { SxProps, Theme } from '@mui/material/styles';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell, { type TableCellProps } from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow, { type TableRowProps } from '@mui/material/TableRow';
import type { ReactNode } from 'react';
import { EmptyState, ErrorState, Loading } from './states.js';

export interface Column<T> {
  id: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  align?: TableCellProps['align'];
  padding?: TableCellProps['padding'];
  /** The column's body cells. */
  sx?: SxProps<Theme>;
  /** Its header cell. */
  headerSx?: SxProps<Theme>;
  /** Per-row cell attributes (a title for a clipped value, say). */
  cellProps?: (row: T) => Omit<TableCellProps, 'children'> & DataAttributes;
}

type DataAttributes = Partial<Record<`data-${string}`, string | number>>;

/** A row's attributes: test ids, a click, hover, selection. */
export type RowProps = TableRowProps & DataAttributes;

export interface DataTableProps<T> {
  /** The table's accessible name. */
  label: string;
  columns: readonly (Column<T> | false | null | undefined)[];
  /** Null until the first answer arrives. */
  rows: readonly T[] | null;
  /** The engine's sentence when the call failed (wins over stale rows). */
  error: string | null;
  onRetry?: () => void;
  empty: { title: string; hint?: string };
  rowKey: (row: T, index: number) => string | number;
  rowProps?: (row: T) => RowProps;
  loadingLabel?: string;
  maxHeight?: string;
  containerSx?: SxProps<Theme>;
  testId?: string;
}

/**
 * One list of records in its four states: failed (with Retry), loading, empty, and the table.
 * The end-to-end tests find the states by their test ids (loading, empty, error).
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  error,
  onRetry,
  empty,
  rowKey,
  rowProps,
  loadingLabel,
  maxHeight,
  containerSx,
  testId,
}: DataTableProps<T>) {
  if (error) return <ErrorState message={error} {...(onRetry ? { onRetry } : {})} />;
  if (rows === null) return <Loading {...(loadingLabel ? { label: loadingLabel } : {})} />;
  if (rows.length === 0)
    return <EmptyState title={empty.title} {...(empty.hint ? { hint: empty.hint } : {})} />;
  const cols = columns.filter((c): c is Column<T> => Boolean(c));
  return (
    <TableContainer sx={containerSx ?? (maxHeight ? { maxHeight } : undefined)}>
      <Table size="small" stickyHeader aria-label={label} data-testid={testId}>
        <TableHead>
          <TableRow>
            {cols.map((c) => (
              <TableCell key={c.id} align={c.align} padding={c.padding} sx={c.headerSx}>
                {c.header}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r, i) => (
            <TableRow key={rowKey(r, i)} {...rowProps?.(r)}>
              {cols.map((c) => (
                <TableCell key={c.id} align={c.align} padding={c.padding} sx={c.sx} {...c.cellProps?.(r)}>
                  {c.cell(r)}
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
