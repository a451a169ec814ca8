import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { UnknownView } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { ActionDialog } from './ActionDialog.js';
import { EMPTY_MEMBER, MEMBER_TYPES, MemberFields, memberParams, type MemberType } from './MemberFields.js';

export type ReviewAction = 'identify' | 'convert' | 'dismiss' | 'merge';

interface Props {
  action: ReviewAction | null;
  unknown: UnknownView;
  /** The other unknowns, candidates to merge into this one. */
  others: UnknownView[];
  onClose(): void;
  onDone(action: ReviewAction): void;
}

/** The four ways to resolve an unknown person, one dialog each. */
export function ReviewDialogs({ action, unknown, others, onClose, onDone }: Props) {
  const id = unknown.unknown_id;
  return (
    <>
      {action === 'identify' && (
        <IdentifyDialog id={id} onClose={onClose} onDone={() => onDone('identify')} />
      )}
      {action === 'convert' && <ConvertDialog id={id} onClose={onClose} onDone={() => onDone('convert')} />}
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

function IdentifyDialog({ id, onClose, onDone }: One) {
  const [name, setName] = useState('');
  const [type, setType] = useState<MemberType>('visitor');
  const [notes, setNotes] = useState('');
  return (
    <ActionDialog
      open
      title="Identify this person"
      submitLabel="Identify"
      disabled={!name.trim()}
      onClose={onClose}
      onSubmit={async () => {
        await call('unknowns.identify', { id, name: name.trim(), type, notes: notes.trim() || null });
        onDone();
      }}
    >
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} autoFocus required />
      <TextField select label="Type" value={type} onChange={(e) => setType(e.target.value as MemberType)}>
        {MEMBER_TYPES.map((t) => (
          <MenuItem key={t} value={t}>
            {t}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        label="Notes"
        value={notes}
        onChange={(e) => setNotes(e.target.value)}
        multiline
        minRows={2}
      />
    </ActionDialog>
  );
}

function ConvertDialog({ id, onClose, onDone }: One) {
  const [member, setMember] = useState(EMPTY_MEMBER);
  return (
    <ActionDialog
      open
      title="Convert to member"
      submitLabel="Create member"
      disabled={!member.name.trim()}
      onClose={onClose}
      onSubmit={async () => {
        await call('unknowns.convert', { id, member: memberParams(member) });
        onDone();
      }}
    >
      <Typography variant="body2" color="text.secondary">
        The faces already collected for this person become the new member&apos;s templates.
      </Typography>
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
