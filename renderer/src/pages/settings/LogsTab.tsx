import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import { useCall } from '../../hooks/useCall.js';
import { Section } from './parts.js';
import { DataTable } from '../../components/DataTable.js';

/** The engine's last warnings and errors (DATA_DIR/vigil.log), for whoever looks after the site. */
export function LogsTab() {
  const problems = useCall('system.logProblems', { limit: 50 });
  return (
    <Section
      title="Recent errors and warnings"
      hint="From the engine's log file (vigil.log in the data folder, rotated at 5 MiB, 4 files kept). Newest first."
    >
      <Button size="small" onClick={problems.reload} sx={{ mb: 1 }}>
        Refresh
      </Button>
      <DataTable
        label="Recent errors and warnings"
        testId="log-problems"
        rows={problems.data}
        error={problems.error}
        onRetry={problems.reload}
        empty={{ title: 'No errors or warnings logged.' }}
        rowKey={(p, i) => `${p.t}-${i}`}
        columns={[
          {
            id: 'time',
            header: 'Time',
            sx: { whiteSpace: 'nowrap' },
            cell: (p) => new Date(p.t).toLocaleString(),
          },
          {
            id: 'level',
            header: 'Level',
            cell: (p) => (
              <Chip size="small" label={p.level} color={p.level === 'error' ? 'error' : 'warning'} />
            ),
          },
          { id: 'event', header: 'Event', sx: { fontFamily: 'monospace' }, cell: (p) => p.event },
          {
            id: 'details',
            header: 'Details',
            sx: { fontFamily: 'monospace', wordBreak: 'break-word' },
            cell: (p) =>
              Object.entries(p.fields)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join('  '),
          },
        ]}
      />
    </Section>
  );
}
