import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Step from '@mui/material/Step';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import Typography from '@mui/material/Typography';
import { useRef, useState, type ChangeEvent } from 'react';
import type { EnrollOutcome } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { CONSENT_TEXT } from '../enroll/consent.js';
import { MAX_PHOTOS, readAsBase64 } from '../enroll/photos.js';
import { EMPTY_MEMBER, MemberFields, memberParams, type MemberForm } from './MemberFields.js';
import { PhotoList, type PhotoEntry } from './PhotoList.js';
import { sentenceOf } from './states.js';
import { WebcamCapture } from './WebcamCapture.js';

const STEPS = ['Details', 'Consent', 'Photos', 'Done'] as const;

interface Props {
  /** Where the consent was given; the kiosk also hides the operator-only fields. */
  method: 'console' | 'kiosk';
  onEnrolled?(outcome: EnrollOutcome): void;
  /** Cancel on the first step; Close on the last (the kiosk has Next person instead). */
  onClose?(): void;
  closeLabel?: string;
  /** After the outcome, when the wizard starts over for the next person. */
  onRestart?(): void;
}

/**
 * Enrollment: details → consent → photos (each checked by the engine as soon as it is added) →
 * the outcome. Only photos the engine found usable are sent with the enrollment.
 */
export function EnrollWizard({ method, onEnrolled, onClose, closeLabel = 'Close', onRestart }: Props) {
  const [step, setStep] = useState(0);
  const [member, setMember] = useState<MemberForm>(EMPTY_MEMBER);
  const [consent, setConsent] = useState(false);
  const [photos, setPhotos] = useState<PhotoEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<EnrollOutcome | null>(null);
  const nextKey = useRef(1);
  const kiosk = method === 'kiosk';

  const addPhoto = (name: string, data: string, mime: string, live = false) => {
    const key = nextKey.current++;
    setPhotos((ps) => [...ps, { key, name, data, mime, live, check: null, error: null }]);
    call('members.checkPhoto', { photo: { name, data }, live }).then(
      (check) => setPhotos((ps) => ps.map((p) => (p.key === key ? { ...p, check } : p))),
      (e: unknown) => setPhotos((ps) => ps.map((p) => (p.key === key ? { ...p, error: sentenceOf(e) } : p))),
    );
  };

  const onFiles = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.target;
    const files = [...(input.files ?? [])];
    input.value = '';
    setError(null);
    const room = MAX_PHOTOS - photos.length;
    if (files.length > room)
      setError(`At most ${MAX_PHOTOS} photos; ${files.length - Math.max(0, room)} were not added.`);
    for (const f of files.slice(0, Math.max(0, room))) {
      try {
        addPhoto(f.name, await readAsBase64(f), f.type || 'image/jpeg');
      } catch (err) {
        setError(`${f.name}: ${sentenceOf(err)}`);
      }
    }
  };

  const usable = photos.filter((p) => p.check?.ok);
  const checking = photos.some((p) => !p.check && !p.error);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await call('members.enroll', {
        member: memberParams(member),
        photos: usable.map((p) => ({ name: p.name, data: p.data, ...(p.live ? { live: true } : {}) })),
        consent: { text: CONSENT_TEXT, method },
      });
      setOutcome(r);
      setStep(3);
      onEnrolled?.(r);
    } catch (e) {
      setError(sentenceOf(e));
    } finally {
      setBusy(false);
    }
  };

  const reset = () => {
    setStep(0);
    setMember(EMPTY_MEMBER);
    setConsent(false);
    setPhotos([]);
    setOutcome(null);
    setError(null);
  };

  let body;
  if (step === 0)
    body = (
      <Stack
        spacing={2}
        component="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (member.name.trim()) setStep(1);
        }}
      >
        <MemberFields value={member} onChange={setMember} simple={kiosk} />
        <Nav onCancel={onClose} next={{ label: 'Next', disabled: !member.name.trim(), submit: true }} />
      </Stack>
    );
  else if (step === 1)
    body = (
      <Stack spacing={2}>
        <Paper variant="outlined" sx={{ p: 2 }}>
          <Typography variant={kiosk ? 'h6' : 'body1'} data-testid="consent-text">
            {CONSENT_TEXT}
          </Typography>
        </Paper>
        <FormControlLabel
          control={<Checkbox checked={consent} onChange={(e) => setConsent(e.target.checked)} />}
          label={kiosk ? 'I agree' : `${member.name.trim() || 'The person'} has read this and agrees`}
        />
        <Nav
          onBack={() => setStep(0)}
          next={{ label: 'Next', disabled: !consent, onClick: () => setStep(2) }}
        />
      </Stack>
    );
  else if (step === 2)
    body = (
      <Stack spacing={2}>
        <Typography variant="body2" color="text.secondary">
          1 to {MAX_PHOTOS} photos of the face, well lit, looking at the camera. Each is checked as soon as it
          is added.
        </Typography>
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: 'flex-start' }}>
          <Button variant="outlined" component="label" disabled={photos.length >= MAX_PHOTOS}>
            Choose photos
            <input
              hidden
              type="file"
              multiple
              accept="image/*"
              data-testid="enroll-files"
              aria-label="Choose photos"
              onChange={(e) => void onFiles(e)}
            />
          </Button>
          <Box sx={{ flexGrow: 1 }}>
            <WebcamCapture
              disabled={photos.length >= MAX_PHOTOS}
              onCapture={(p) => addPhoto(p.name, p.data, p.mime, true)}
            />
          </Box>
        </Stack>
        <PhotoList photos={photos} onRemove={(key) => setPhotos((ps) => ps.filter((p) => p.key !== key))} />
        {photos.length > 0 && !checking && (
          <Typography variant="body2" data-testid="enroll-summary">
            {usable.length} usable, {photos.length - usable.length} not usable.
          </Typography>
        )}
        {error && (
          <Alert severity="error" data-testid="error">
            {error}
          </Alert>
        )}
        <Nav
          onBack={() => setStep(1)}
          next={{
            label: busy ? 'Enrolling…' : 'Enroll',
            disabled: busy || checking || usable.length === 0,
            onClick: () => void submit(),
          }}
        />
      </Stack>
    );
  else body = outcome && <Outcome outcome={outcome} kiosk={kiosk} />;

  return (
    <Stack spacing={3} data-testid="enroll-wizard">
      <Stepper activeStep={step} alternativeLabel>
        {STEPS.map((s) => (
          <Step key={s}>
            <StepLabel>{s}</StepLabel>
          </Step>
        ))}
      </Stepper>
      {step === 0 && error && <Alert severity="error">{error}</Alert>}
      {body}
      {step === 3 && (
        <Stack direction="row" spacing={2}>
          <Button
            variant="contained"
            onClick={() => {
              reset();
              onRestart?.();
            }}
          >
            {kiosk ? 'Next person' : 'Enroll another'}
          </Button>
          {onClose && !kiosk && <Button onClick={onClose}>{closeLabel}</Button>}
        </Stack>
      )}
    </Stack>
  );
}

function Nav({
  onBack,
  onCancel,
  next,
}: {
  onBack?: () => void;
  onCancel?: () => void;
  next: { label: string; disabled: boolean; onClick?: () => void; submit?: boolean };
}) {
  return (
    <Stack direction="row" spacing={2} sx={{ justifyContent: 'flex-end' }}>
      {onCancel && <Button onClick={onCancel}>Cancel</Button>}
      {onBack && <Button onClick={onBack}>Back</Button>}
      <Button
        variant="contained"
        type={next.submit ? 'submit' : 'button'}
        disabled={next.disabled}
        onClick={next.onClick}
      >
        {next.label}
      </Button>
    </Stack>
  );
}

function Outcome({ outcome, kiosk }: { outcome: EnrollOutcome; kiosk: boolean }) {
  return (
    <Stack spacing={2} data-testid="enroll-done">
      <Alert severity="success">
        {kiosk ? 'Thank you, you are enrolled.' : 'Enrolled.'} Member id:{' '}
        <strong data-testid="enroll-member-id">{outcome.member_id}</strong>
      </Alert>
      {!kiosk && (
        <Typography variant="body2">
          {outcome.embeddings_count} face template{outcome.embeddings_count === 1 ? '' : 's'} stored, quality{' '}
          {outcome.quality_score.toFixed(2)}.
        </Typography>
      )}
      {outcome.rejected.map((r) => (
        <Alert key={r.photo} severity="warning" data-testid="enroll-rejected">
          {r.photo}: {r.reason}
        </Alert>
      ))}
      {outcome.warnings.map((w) => (
        <Alert key={w} severity="warning" data-testid="enroll-warning">
          {w}
        </Alert>
      ))}
    </Stack>
  );
}
