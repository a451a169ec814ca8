import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { AuditVerdict } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { readableDetails } from '../components/auditDetails.js';
import { formatTime } from '../components/format.js';
import { ErrorState, sentenceOf } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { DataTable } from '../components/DataTable.js';

/** A datetime-local value ("2026-05-01T10:00", local time) as an ISO instant; empty stays unset. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

export default function AuditPage() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [subject, setSubject] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const params = {
    limit: 500,
    ...(actor.trim() ? { actor: actor.trim() } : {}),
    ...(action.trim() ? { action: action.trim() } : {}),
    ...(subject.trim() ? { subject: subject.trim() } : {}),
    ...(isoOf(from) ? { from: isoOf(from) } : {}),
    ...(isoOf(to) ? { to: isoOf(to) } : {}),
  };
  const audit = useCall('audit.list', params);
  const [verdict, setVerdict] = useState<AuditVerdict | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);

  const verify = async () => {
    setVerifying(true);
    setVerdict(null);
    setVerifyError(null);
    try {
      setVerdict(await call('audit.verify', {}));
    } catch (e) {
      setVerifyError(sentenceOf(e));
    } finally {
      setVerifying(false);
    }
  };

  return (
    <Box data-testid="page-audit" sx={{ p: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1 }}>
        <Typography variant="h5" component="h1">
          Audit log
        </Typography>
        <Stack direction="row" spacing={1}>
          <Button onClick={audit.reload} disabled={audit.loading}>
            Refresh
          </Button>
          <Button variant="contained" onClick={() => void verify()} disabled={verifying}>
            Verify chain
          </Button>
        </Stack>
      </Stack>
      <Stack direction="row" spacing={1} sx={{ mb: 1, flexWrap: 'wrap' }} useFlexGap>
        <TextField
          size="small"
          sx={{ width: 170 }}
          label="Actor"
          value={actor}
          onChange={(e) => setActor(e.target.value)}
        />
        <TextField
          size="small"
          sx={{ width: 170 }}
          label="Action"
          value={action}
          onChange={(e) => setAction(e.target.value)}
        />
        <TextField
          size="small"
          label="Subject"
          value={subject}
          onChange={(e) => setSubject(e.target.value)}
        />
        <TextField
          size="small"
          type="datetime-local"
          sx={{ width: 230 }}
          label="From"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
          slotProps={{ inputLabel: { shrink: true } }}
        />
        <TextField
          size="small"
          type="datetime-local"
          sx={{ width: 230 }}
          label="To"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          slotProps={{ inputLabel: { shrink: true } }}
        />
      </Stack>
      {verdict && (
        <Alert severity={verdict.ok ? 'success' : 'error'} data-testid="audit-verdict" sx={{ mb: 1 }}>
          {verdict.ok
            ? `The chain is intact: ${verdict.rows} rows checked.`
            : `The chain is broken at row #${verdict.first_bad ?? '?'} (${verdict.rows} rows checked): an entry was changed or removed.`}
        </Alert>
      )}
      {verifyError && <ErrorState message={verifyError} />}
      <DataTable
        label="Audit log"
        rows={audit.data}
        error={audit.error}
        onRetry={audit.reload}
        empty={{
          title: Object.keys(params).length > 1 ? 'No entry matches these filters' : 'The audit log is empty',
        }}
        maxHeight="calc(100vh - 200px)"
        rowKey={(r) => r.audit_id}
        rowProps={(r) => ({ 'data-testid': 'audit-row', 'data-id': r.audit_id })}
        columns={[
          { id: 'id', header: '#', cell: (r) => r.audit_id },
          { id: 'time', header: 'Time', sx: { whiteSpace: 'nowrap' }, cell: (r) => formatTime(r.at) },
          { id: 'actor', header: 'Actor', cell: (r) => r.actor },
          { id: 'action', header: 'Action', cell: (r) => r.action },
          { id: 'subject', header: 'Subject', cell: (r) => r.subject ?? '—' },
          {
            id: 'details',
            header: 'Details',
            sx: { maxWidth: 420, overflowWrap: 'anywhere' },
            cellProps: (r) => ({ title: r.details }),
            cell: (r) => readableDetails(r.details),
          },
        ]}
      />
    </Box>
  );
}
