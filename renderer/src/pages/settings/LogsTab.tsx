import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import { EmptyState, ErrorState, Loading } from '../../components/states.js';
import { useCall } from '../../hooks/useCall.js';
import { Section } from './parts.js';

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
      {problems.error ? (
        <ErrorState message={problems.error} onRetry={problems.reload} />
      ) : !problems.data ? (
        <Loading />
      ) : problems.data.length === 0 ? (
        <EmptyState title="No errors or warnings logged." />
      ) : (
        <Table size="small" data-testid="log-problems">
          <TableHead>
            <TableRow>
              <TableCell>Time</TableCell>
              <TableCell>Level</TableCell>
              <TableCell>Event</TableCell>
              <TableCell>Details</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {problems.data.map((p, i) => (
              <TableRow key={`${p.t}-${i}`}>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{new Date(p.t).toLocaleString()}</TableCell>
                <TableCell>
                  <Chip size="small" label={p.level} color={p.level === 'error' ? 'error' : 'warning'} />
                </TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }}>{p.event}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace', wordBreak: 'break-word' }}>
                  {Object.entries(p.fields)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join('  ')}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Section>
  );
}
