import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItemAvatar from '@mui/material/ListItemAvatar';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { UnknownView } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { useCall } from '../hooks/useCall.js';
import { ActionDialog } from './ActionDialog.js';
import { EMPTY_MEMBER, MemberFields, memberParams } from './MemberFields.js';
import { PersonThumb } from './PersonThumb.js';

export type ReviewAction = 'identify' | 'convert' | 'dismiss' | 'merge';

interface Props {
  action: ReviewAction | null;
  unknown: UnknownView;
  /** The other unknowns, candidates to merge into this one. */
  others: UnknownView[];
  /** The member to propose in Identify ("possibly NAME?"). */
  preselect?: { member_id: string; name: string } | undefined;
  onClose(): void;
  onDone(action: ReviewAction): void;
  /** Switches to another action (Convert's "identify as NAME instead"). */
  onAction(action: ReviewAction, member?: { member_id: string; name: string }): void;
}

/** The four ways to resolve an unknown person, one dialog each. */
export function ReviewDialogs({ action, unknown, others, preselect, onClose, onDone, onAction }: Props) {
  const id = unknown.unknown_id;
  return (
    <>
      {action === 'identify' && (
        <IdentifyDialog
          id={id}
          onClose={onClose}
          onDone={() => onDone('identify')}
          {...(preselect ? { preselect } : {})}
        />
      )}
      {action === 'convert' && (
        <ConvertDialog
          id={id}
          onClose={onClose}
          onDone={() => onDone('convert')}
          onIdentifyInstead={(m) => onAction('identify', m)}
        />
      )}
      {action === 'dismiss' && <DismissDialog id={id} onClose={onClose} onDone={() => onDone('dismiss')} />}
      {action === 'merge' && (
        <MergeDialog id={id} others={others} onClose={onClose} onDone={() => onDone('merge')} />
      )}
    </>
  );
}

interface One {
  id: string;
  onClose(): void;
  onDone(): void;
}

/** Members matching the search, with their enrollment quality (never a photo: none is kept). */
function MemberPicker({
  id,
  selected,
  onSelect,
}: {
  id: string;
  selected: string | null;
  onSelect(m: { member_id: string; name: string } | null): void;
}) {
  const [query, setQuery] = useState('');
  const detail = useCall('unknowns.get', { id });
  const found = useCall('members.list', { query: query.trim(), limit: 8 });
  const similar = detail.data?.similar_members ?? [];
  const items = [
    ...similar.map((m) => ({
      member_id: m.member_id,
      name: m.name,
      similarity: m.similarity as number | null,
      extra: '',
    })),
    ...(found.data?.items ?? [])
      .filter((m) => !similar.some((s) => s.member_id === m.member_id))
      .map((m) => ({
        member_id: m.member_id,
        name: m.name,
        similarity: null as number | null,
        extra: `${m.embeddings_count} faces · enrollment quality ${m.quality_score === null ? '—' : m.quality_score.toFixed(2)}`,
      })),
  ];
  return (
    <Stack spacing={1}>
      <TextField
        label="Search members by name"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
        slotProps={{ htmlInput: { 'data-testid': 'member-search' } }}
      />
      {found.error && <Typography color="error">{found.error}</Typography>}
      <List
        dense
        aria-label="Members"
        sx={{ maxHeight: 280, overflow: 'auto', border: 1, borderColor: 'divider', borderRadius: 1 }}
      >
        {items.length === 0 && (
          <ListItemText sx={{ px: 2 }} secondary={found.loading ? 'Searching…' : 'No member matches.'} />
        )}
        {items.map((m) => (
          <ListItemButton
            key={m.member_id}
            data-testid="member-option"
            data-id={m.member_id}
            selected={m.member_id === selected}
            onClick={() => onSelect(m.member_id === selected ? null : m)}
          >
            <ListItemAvatar>
              <PersonThumb kind="member" id={m.member_id} name={m.name} hasCrop={false} size={32} />
            </ListItemAvatar>
            <ListItemText
              primary={m.name}
              secondary={
                m.similarity !== null
                  ? `${m.member_id} · face similarity ${m.similarity.toFixed(2)} (recognised from ${detail.data?.recognition_threshold.toFixed(2) ?? '—'})`
                  : `${m.member_id} · ${m.extra}`
              }
            />
          </ListItemButton>
        ))}
      </List>
    </Stack>
  );
}

/** Identify as an existing member: the unknown's faces, sightings and alerts move to them. */
function IdentifyDialog({
  id,
  onClose,
  onDone,
  preselect,
}: One & { preselect?: { member_id: string; name: string } }) {
  const [member, setMember] = useState<{ member_id: string; name: string } | null>(preselect ?? null);
  const [notes, setNotes] = useState('');
  return (
    <ActionDialog
      open
      title="Identify as a member"
      submitLabel={member ? `Identify as ${member.name}` : 'Identify'}
      disabled={!member}
      onClose={onClose}
      onSubmit={async () => {
        if (!member) return;
        await call('unknowns.assign', { id, member_id: member.member_id, notes: notes.trim() || null });
        onDone();
      }}
    >
      <Typography variant="body2" color="text.secondary">
        {id}&apos;s faces join the member&apos;s templates, its sightings become theirs and its open alerts
        are closed. Someone who is not a member yet: use Convert to member.
      </Typography>
      <MemberPicker id={id} selected={member?.member_id ?? null} onSelect={setMember} />
      <TextField label="Notes" value={notes} onChange={(e) => setNotes(e.target.value)} />
    </ActionDialog>
  );
}

/** Makes a new member of the unknown, warning first when the face or the name is already a member's. */
function ConvertDialog({
  id,
  onClose,
  onDone,
  onIdentifyInstead,
}: One & { onIdentifyInstead(m: { member_id: string; name: string }): void }) {
  const [member, setMember] = useState(EMPTY_MEMBER);
  const detail = useCall('unknowns.get', { id });
  const name = member.name.trim();
  const sameName = useCall('members.list', name ? { query: name, limit: 5 } : null);
  const byName = (sameName.data?.items ?? []).filter((m) => m.name.toLowerCase() === name.toLowerCase());
  const byFace = detail.data?.similar_members ?? [];
  const warnings = [
    ...byFace.map((m) => ({
      m,
      text: `This face resembles member ${m.name} (similarity ${m.similarity.toFixed(2)}; members are recognised from ${detail.data?.recognition_threshold.toFixed(2) ?? '—'}).`,
    })),
    ...byName
      .filter((m) => !byFace.some((f) => f.member_id === m.member_id))
      .map((m) => ({ m, text: `A member called ${m.name} already exists (${m.member_id}).` })),
  ];
  return (
    <ActionDialog
      open
      title="Convert to member"
      submitLabel={warnings.length ? 'Create a new member anyway' : 'Create member'}
      disabled={!name}
      onClose={onClose}
      onSubmit={async () => {
        await call('unknowns.convert', { id, member: memberParams(member) });
        onDone();
      }}
    >
      <Typography variant="body2" color="text.secondary">
        The faces already collected for this person become the new member&apos;s templates, and their
        sightings the member&apos;s.
      </Typography>
      {warnings.map((w) => (
        <Alert
          key={w.m.member_id}
          severity="warning"
          data-testid="convert-duplicate"
          action={
            <Button color="inherit" size="small" onClick={() => onIdentifyInstead(w.m)}>
              Identify as {w.m.name}
            </Button>
          }
        >
          {w.text}
        </Alert>
      ))}
      <MemberFields value={member} onChange={setMember} />
    </ActionDialog>
  );
}

function DismissDialog({ id, onClose, onDone }: One) {
  const [notes, setNotes] = useState('');
  return (
    <ActionDialog
      open
      title="Dismiss this person"
      submitLabel="Dismiss"
      danger
      onClose={onClose}
      onSubmit={async () => {
        await call('unknowns.dismiss', { id, notes: notes.trim() || null });
        onDone();
      }}
    >
      <Typography variant="body2" color="text.secondary">
        They leave the review queue; their sightings stay until the retention period ends.
      </Typography>
      <TextField label="Notes" value={notes} onChange={(e) => setNotes(e.target.value)} autoFocus />
    </ActionDialog>
  );
}

function MergeDialog({ id, others, onClose, onDone }: One & { others: UnknownView[] }) {
  const [other, setOther] = useState('');
  return (
    <ActionDialog
      open
      title="Merge with another unknown"
      submitLabel="Merge"
      disabled={!other}
      onClose={onClose}
      onSubmit={async () => {
        await call('unknowns.merge', { keep: id, merge: other });
        onDone();
      }}
    >
      <Typography variant="body2" color="text.secondary">
        The other unknown&apos;s sightings and faces are folded into this one ({id}).
      </Typography>
      <TextField
        select
        label="Same person as"
        value={other}
        onChange={(e) => setOther(e.target.value)}
        autoFocus
        helperText={others.length === 0 ? 'There is no other unknown to merge with.' : undefined}
      >
        {others.map((u) => (
          <MenuItem key={u.unknown_id} value={u.unknown_id}>
            {u.unknown_id} · {u.appearance_count} sightings · last {new Date(u.last_seen).toLocaleString()}
          </MenuItem>
        ))}
      </TextField>
    </ActionDialog>
  );
}
