import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TablePagination from '@mui/material/TablePagination';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import { EnrollDialog } from '../components/EnrollDialog.js';
import { formatTime } from '../components/format.js';
import { MemberDetailPane } from '../components/MemberDetailPane.js';
import { useCall } from '../hooks/useCall.js';
import { useRoute } from '../router.js';
import { useSession } from '../store/session.js';
import { DataTable } from '../components/DataTable.js';

const PAGE_SIZE = 25;

/** Search, page through and manage members; enroll new ones. */
export default function MembersPage() {
  const [input, setInput] = useState('');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(0);
  // The address can name the member to open (#/members/MEMBER_…), e.g. from the live feed.
  const routeId = useRoute((r) => (r.page === 'members' ? r.id : null));
  const [selected, setSelected] = useState<string | null>(routeId);
  useEffect(() => {
    if (routeId) setSelected(routeId);
  }, [routeId]);
  const [enrolling, setEnrolling] = useState(false);
  const canEnroll = useSession((s) => s.can('members.enroll'));

  // Search as the operator types, but not a call per keystroke.
  useEffect(() => {
    const t = setTimeout(() => {
      setQuery(input.trim());
      setPage(0);
    }, 300);
    return () => clearTimeout(t);
  }, [input]);

  const list = useCall('members.list', {
    ...(query ? { query } : {}),
    offset: page * PAGE_SIZE,
    limit: PAGE_SIZE,
  });
  const items = list.data?.items ?? [];

  const table = (
    <>
      <DataTable
        label="Members"
        rows={list.data ? items : null}
        error={list.error}
        onRetry={list.reload}
        loadingLabel="Loading members"
        empty={
          query
            ? { title: `No member matches “${query}”` }
            : {
                title: 'No members yet',
                ...(canEnroll ? { hint: 'Enroll the first one with “Enroll member”.' } : {}),
              }
        }
        containerSx={{ flexGrow: 1 }}
        rowKey={(m) => m.member_id}
        rowProps={(m) => ({
          hover: true,
          selected: m.member_id === selected,
          onClick: () => setSelected(m.member_id),
          'data-testid': 'member-row',
          'data-id': m.member_id,
          sx: { cursor: 'pointer' },
        })}
        columns={[
          {
            id: 'name',
            header: 'Name',
            cell: (m) => (
              <>
                {m.name} {m.watchlist && <Chip size="small" color="error" label="watchlist" />}
              </>
            ),
          },
          { id: 'apartment', header: 'Apartment', cell: (m) => m.apartment ?? '—' },
          { id: 'type', header: 'Type', cell: (m) => m.member_type },
          { id: 'status', header: 'Status', cell: (m) => m.status },
          { id: 'last-seen', header: 'Last seen', cell: (m) => formatTime(m.last_seen) },
        ]}
      />
      {!list.error && items.length > 0 && (
        <TablePagination
          component="div"
          count={list.data?.total ?? 0}
          page={page}
          onPageChange={(_e, p) => setPage(p)}
          rowsPerPage={PAGE_SIZE}
          rowsPerPageOptions={[PAGE_SIZE]}
        />
      )}
    </>
  );

  return (
    <Box
      data-testid="page-members"
      sx={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }}
    >
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 1 }}>
        <Typography variant="h5" sx={{ flexGrow: 1 }}>
          Members
        </Typography>
        <TextField
          size="small"
          label="Search members"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          type="search"
        />
        {canEnroll && (
          <Button variant="contained" onClick={() => setEnrolling(true)}>
            Enroll member
          </Button>
        )}
      </Stack>
      <Box sx={{ display: 'flex', gap: 2, flexGrow: 1, minHeight: 0 }}>
        <Paper sx={{ flex: '1 1 55%', display: 'flex', flexDirection: 'column', minWidth: 0, minHeight: 0 }}>
          {table}
        </Paper>
        <Paper sx={{ flex: '1 1 45%', p: 2, overflow: 'auto', minWidth: 0 }}>
          {selected ? (
            <MemberDetailPane
              key={selected}
              id={selected}
              onChanged={list.reload}
              onDeleted={() => {
                setSelected(null);
                list.reload();
              }}
            />
          ) : (
            <Typography color="text.secondary">Select a member to see details and appearances.</Typography>
          )}
        </Paper>
      </Box>
      <EnrollDialog open={enrolling} onEnrolled={list.reload} onClose={() => setEnrolling(false)} />
    </Box>
  );
}
