import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Link from '@mui/material/Link';
import ListItem from '@mui/material/ListItem';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import TextField from '@mui/material/TextField';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useEffect, useMemo, useRef, useState } from 'react';
import { formatTime } from '../components/format.js';
import { ReviewDialogs, type ReviewAction } from '../components/ReviewDialogs.js';
import { EmptyState, ErrorState, Loading } from '../components/states.js';
import { UnknownDetailPane } from '../components/UnknownDetailPane.js';
import { useCall } from '../hooks/useCall.js';
import { personHref, useRoute } from '../router.js';
import { useSession } from '../store/session.js';

const KEYS: Record<string, ReviewAction> = { i: 'identify', c: 'convert', d: 'dismiss', m: 'merge' };

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** The review queue of unknown persons, driven from the keyboard as well as the mouse. */
export default function ReviewPage() {
  const [tab, setTab] = useState<'queue' | 'history'>('queue');
  return (
    <Box
      data-testid="page-review"
      sx={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }}
    >
      <Tabs value={tab} onChange={(_e, v: 'queue' | 'history') => setTab(v)} sx={{ mb: 1, minHeight: 36 }}>
        <Tab value="queue" label="To review" sx={{ minHeight: 36 }} data-testid="review-tab-queue" />
        <Tab value="history" label="History" sx={{ minHeight: 36 }} data-testid="review-tab-history" />
      </Tabs>
      {tab === 'queue' ? <ReviewQueue /> : <ReviewHistory />}
    </Box>
  );
}

const OUTCOMES = ['all', 'identified', 'dismissed', 'merged'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** Closed cases: who was identified as whom, dismissed or merged, by whom and when; searchable. */
function ReviewHistory() {
  const [query, setQuery] = useState('');
  const [outcome, setOutcome] = useState<Outcome>('all');
  const history = useCall('unknowns.history', { query: query.trim() || undefined, outcome, limit: 200 });
  return (
    <Stack spacing={1} sx={{ minHeight: 0, flexGrow: 1 }}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap' }} useFlexGap>
        <TextField
          size="small"
          label="Search id or name"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          sx={{ minWidth: 240 }}
        />
        <ToggleButtonGroup
          size="small"
          exclusive
          value={outcome}
          onChange={(_e, v: Outcome | null) => v && setOutcome(v)}
          aria-label="Outcome"
        >
          {OUTCOMES.map((o) => (
            <ToggleButton key={o} value={o}>
              {o}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
      </Stack>
      <Paper sx={{ flexGrow: 1, overflow: 'auto', minHeight: 0 }}>
        {history.loading && !history.data ? (
          <Loading label="Loading history" />
        ) : history.error ? (
          <ErrorState message={history.error} onRetry={history.reload} />
        ) : (history.data ?? []).length === 0 ? (
          <EmptyState title="No closed cases" hint="Identified, dismissed and merged people appear here." />
        ) : (
          <List dense aria-label="Closed cases">
            {(history.data ?? []).map((h) => (
              <ListItem
                key={`${h.outcome}:${h.unknown_id}:${h.at}`}
                divider
                data-testid="history-row"
                data-id={h.unknown_id}
              >
                <ListItemText
                  primary={
                    <>
                      {h.unknown_id}{' '}
                      <Chip size="small" variant="outlined" label={h.outcome} sx={{ mx: 0.5 }} />
                      {h.into_id && h.outcome !== 'dismissed' && (
                        <>
                          {h.outcome === 'merged' ? 'into ' : 'as '}
                          <Link
                            href={
                              h.into_id.startsWith('MEMBER_')
                                ? personHref('member', h.into_id)
                                : personHref('unknown', h.into_id)
                            }
                          >
                            {h.into_name ?? h.into_id}
                          </Link>
                        </>
                      )}
                      {!h.into_id && h.into_name && `as ${h.into_name}`}
                    </>
                  }
                  secondary={`${formatTime(h.at)}${h.by ? ` · by ${h.by.replace(/^user:/, '')}` : ''}${h.appearance_count ? ` · ${h.appearance_count} sightings` : ''}`}
                />
              </ListItem>
            ))}
          </List>
        )}
      </Paper>
    </Stack>
  );
}

/** The queue of active unknown persons. */
function ReviewQueue() {
  const [sort, setSort] = useState<'newest' | 'frequent'>('newest');
  const list = useCall('unknowns.list', { sort });
  const cameras = useCall('cameras.list', {});
  const cameraName = (id: string) => cameras.data?.find((c) => c.camera_id === id)?.name ?? id;
  const canResolve = useSession((s) => s.can('unknowns.resolve'));
  // The address can name the person to open (#/review/UNKNOWN_…), e.g. from an alert or the feed.
  const routeId = useRoute((r) => (r.page === 'review' ? r.id : null));
  const [picked, setPicked] = useState<string | null>(routeId);
  useEffect(() => {
    if (routeId) setPicked(routeId);
  }, [routeId]);
  const selected = picked;
  const setSelected = setPicked;
  const [action, setAction] = useState<ReviewAction | null>(null);
  const [preselect, setPreselect] = useState<{ member_id: string; name: string } | undefined>(undefined);
  const [detailKey, setDetailKey] = useState(0);
  const rows = useRef<HTMLUListElement>(null);

  const items = useMemo(() => list.data ?? [], [list.data]);
  const index = items.findIndex((u) => u.unknown_id === selected);
  const current = index >= 0 ? items[index] : undefined;

  // Keep a selection: the first row at start, the neighbour after one is resolved.
  useEffect(() => {
    if (items.length > 0 && index < 0) setPicked(items[0]?.unknown_id ?? null);
  }, [items, index]);

  const move = (delta: number) => {
    if (items.length === 0) return;
    const next = Math.min(items.length - 1, Math.max(0, (index < 0 ? 0 : index) + delta));
    setSelected(items[next]?.unknown_id ?? null);
    rows.current?.querySelector(`[data-index="${next}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (action || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'j' || e.key === 'ArrowDown') move(1);
      else if (e.key === 'k' || e.key === 'ArrowUp') move(-1);
      else if (KEYS[e.key] && current && canResolve) {
        setPreselect(undefined);
        setAction(KEYS[e.key] ?? null);
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const resolved = (a: ReviewAction) => {
    setAction(null);
    // Merging keeps this person; the others leave the queue, so select their neighbour.
    if (a !== 'merge') {
      const neighbour = items[index + 1] ?? items[index - 1];
      setSelected(neighbour?.unknown_id ?? null);
    }
    setDetailKey((k) => k + 1);
    list.reload();
  };

  // A person named by the address but no longer in the queue: say what became of them.
  const routedAway =
    routeId && list.data && !list.data.some((u) => u.unknown_id === routeId) ? routeId : null;

  let left;
  if (list.loading && !list.data) left = <Loading label="Loading unknown persons" />;
  else if (list.error) left = <ErrorState message={list.error} onRetry={list.reload} />;
  else if (items.length === 0)
    left = (
      <EmptyState title="Nobody to review" hint="Unknown persons appear here when the cameras see them." />
    );
  else
    left = (
      <List ref={rows} dense aria-label="Unknown persons" sx={{ overflow: 'auto', flexGrow: 1 }}>
        {items.map((u, i) => (
          <ListItemButton
            key={u.unknown_id}
            data-testid="unknown-row"
            data-id={u.unknown_id}
            data-index={i}
            selected={u.unknown_id === selected}
            onClick={() => setSelected(u.unknown_id)}
          >
            <ListItemText
              primary={u.unknown_id}
              secondary={`${u.appearance_count} sightings · last ${formatTime(u.last_seen)} · ${u.cameras.map(cameraName).join(', ')}`}
            />
          </ListItemButton>
        ))}
      </List>
    );

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', flexGrow: 1, minHeight: 0 }}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 1 }}>
        <Typography variant="h5" sx={{ flexGrow: 1 }}>
          Review
        </Typography>
        <Typography variant="caption" color="text.secondary" data-testid="shortcuts">
          {canResolve ? 'j/k or ↑/↓ move · i identify · c convert · d dismiss · m merge' : 'j/k or ↑/↓ move'}
        </Typography>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={sort}
          onChange={(_e, v: 'newest' | 'frequent' | null) => v && setSort(v)}
          aria-label="Sort"
        >
          <ToggleButton value="newest">Newest</ToggleButton>
          <ToggleButton value="frequent">Most frequent</ToggleButton>
        </ToggleButtonGroup>
      </Stack>
      {routedAway && (
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }} data-testid="review-closed-note">
          {routedAway} is no longer in the queue; see History.
        </Typography>
      )}
      <Box sx={{ display: 'flex', gap: 2, flexGrow: 1, minHeight: 0 }}>
        <Paper
          sx={{
            width: { xs: 280, lg: 360 },
            flexShrink: 0,
            display: 'flex',
            flexDirection: 'column',
            minHeight: 0,
          }}
        >
          {left}
        </Paper>
        <Paper sx={{ flexGrow: 1, p: 2, overflow: 'auto', minWidth: 0 }}>
          {current ? (
            <Stack spacing={2}>
              {canResolve && (
                <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap' }}>
                  <Button variant="contained" onClick={() => setAction('identify')}>
                    Identify (i)
                  </Button>
                  <Button variant="outlined" onClick={() => setAction('convert')}>
                    Convert to member (c)
                  </Button>
                  <Button variant="outlined" color="warning" onClick={() => setAction('dismiss')}>
                    Dismiss (d)
                  </Button>
                  <Button variant="outlined" onClick={() => setAction('merge')}>
                    Merge (m)
                  </Button>
                </Stack>
              )}
              <UnknownDetailPane
                key={`${current.unknown_id}:${detailKey}`}
                id={current.unknown_id}
                onChanged={list.reload}
                {...(canResolve
                  ? {
                      onPossibly: (m: { member_id: string; name: string }) => {
                        setPreselect(m);
                        setAction('identify');
                      },
                    }
                  : {})}
              />
              <ReviewDialogs
                action={action}
                unknown={current}
                others={items.filter((u) => u.unknown_id !== current.unknown_id)}
                preselect={preselect}
                onClose={() => {
                  setAction(null);
                  setPreselect(undefined);
                }}
                onDone={(a) => {
                  setPreselect(undefined);
                  resolved(a);
                }}
                onAction={(a, m) => {
                  setPreselect(m);
                  setAction(a);
                }}
              />
            </Stack>
          ) : (
            items.length > 0 && <Typography color="text.secondary">Select a person to review.</Typography>
          )}
        </Paper>
      </Box>
    </Box>
  );
}
