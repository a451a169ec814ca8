import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';

import { LIMITS, MEMBER_TYPES } from '../../../main/contract/wire.js';

export { MEMBER_TYPES };
export type MemberType = (typeof MEMBER_TYPES)[number];

export interface MemberForm {
  name: string;
  apartment: string;
  email: string;
  phone: string;
  member_type: MemberType;
  notes: string;
}

export const EMPTY_MEMBER: MemberForm = {
  name: '',
  apartment: '',
  email: '',
  phone: '',
  member_type: 'member',
  notes: '',
};

/** The form as the contract's member fields: blanks become null. */
export function memberParams(f: MemberForm) {
  const orNull = (s: string) => (s.trim() ? s.trim() : null);
  return {
    name: f.name.trim(),
    apartment: orNull(f.apartment),
    email: orNull(f.email),
    phone: orNull(f.phone),
    member_type: f.member_type,
    notes: orNull(f.notes),
  };
}

interface Props {
  value: MemberForm;
  onChange(v: MemberForm): void;
  /** The kiosk asks only what a resident can answer about themselves. */
  simple?: boolean;
}

export function MemberFields({ value, onChange, simple = false }: Props) {
  const field = (k: keyof MemberForm) => ({
    value: value[k],
    onChange: (e: { target: { value: string } }) => onChange({ ...value, [k]: e.target.value }),
  });
  return (
    <Stack spacing={2}>
      <TextField
        label="Name"
        required
        autoFocus
        {...field('name')}
        slotProps={{ htmlInput: { maxLength: LIMITS.name } }}
      />
      <TextField
        label="Apartment"
        {...field('apartment')}
        slotProps={{ htmlInput: { maxLength: LIMITS.apartment } }}
      />
      <TextField
        label="Email"
        type="email"
        {...field('email')}
        slotProps={{ htmlInput: { maxLength: LIMITS.email } }}
      />
      <TextField
        label="Phone"
        type="tel"
        {...field('phone')}
        slotProps={{ htmlInput: { maxLength: LIMITS.phone } }}
      />
      {!simple && (
        <TextField select label="Type" {...field('member_type')}>
          {MEMBER_TYPES.map((t) => (
            <MenuItem key={t} value={t}>
              {t}
            </MenuItem>
          ))}
        </TextField>
      )}
      {!simple && (
        <TextField
          label="Notes"
          multiline
          minRows={2}
          {...field('notes')}
          slotProps={{ htmlInput: { maxLength: LIMITS.notes } }}
        />
      )}
    </Stack>
  );
}
