import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { SettingsView } from '../../../../main/contract/contract.js';
import { call } from '../../api.js';
import { sentenceOf } from '../../components/states.js';
import { OutcomeLine, savedMessage, Section, type Outcome } from './parts.js';
import { parseInteger } from './validate.js';

/** The stored shape of alert_channels (main/notify/channels.ts); fields the form does not edit ride along. */
interface Channels {
  webhook?: { url: string };
  smtp?: { host: string; port: number; from: string; to: string[]; [extra: string]: unknown };
  mqtt?: { url: string; topic: string; [extra: string]: unknown };
}
type ChannelName = 'webhook' | 'smtp' | 'mqtt';

interface Form {
  webhookUrl: string;
  smtpHost: string;
  smtpPort: string;
  smtpFrom: string;
  smtpTo: string;
  mqttUrl: string;
  mqttTopic: string;
}

function formOf(c: Channels): Form {
  return {
    webhookUrl: c.webhook?.url ?? '',
    smtpHost: c.smtp?.host ?? '',
    smtpPort: c.smtp?.port ? String(c.smtp.port) : '587',
    smtpFrom: c.smtp?.from ?? '',
    smtpTo: (c.smtp?.to ?? []).join(', '),
    mqttUrl: c.mqtt?.url ?? '',
    mqttTopic: c.mqtt?.topic ?? '',
  };
}

/** The value to store, or the first problem as a sentence. A channel with every field empty is off. */
export function channelsOf(f: Form, stored: Channels): Channels | string {
  const out: Channels = {};
  if (f.webhookUrl.trim()) {
    let u: URL;
    try {
      u = new URL(f.webhookUrl.trim());
    } catch {
      return 'The webhook URL is not a valid URL.';
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      return 'The webhook URL must start with http:// or https://.';
    out.webhook = { url: f.webhookUrl.trim() };
  }
  if (f.smtpHost.trim() || f.smtpFrom.trim() || f.smtpTo.trim()) {
    const port = parseInteger(f.smtpPort, 'The SMTP port', 1, 65535);
    if ('error' in port) return port.error;
    const to = f.smtpTo
      .split(/[,;\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (!f.smtpHost.trim()) return 'Email alerts need an SMTP host.';
    if (!f.smtpFrom.includes('@')) return 'Email alerts need a sender address (From).';
    if (to.length === 0 || to.some((t) => !t.includes('@')))
      return 'Email alerts need recipient addresses (To).';
    out.smtp = { ...stored.smtp, host: f.smtpHost.trim(), port: port.value, from: f.smtpFrom.trim(), to };
  }
  if (f.mqttUrl.trim() || f.mqttTopic.trim()) {
    if (!/^mqtts?:\/\//.test(f.mqttUrl.trim())) return 'The MQTT URL must start with mqtt:// or mqtts://.';
    if (!f.mqttTopic.trim()) return 'MQTT alerts need a topic.';
    out.mqtt = { ...stored.mqtt, url: f.mqttUrl.trim(), topic: f.mqttTopic.trim() };
  }
  return out;
}

export function ChannelsTab({ settings }: { settings: SettingsView }) {
  const stored = (settings.values.alert_channels ?? {}) as Channels;
  const [form, setForm] = useState<Form>(() => formOf(stored));
  const [saved, setSaved] = useState<Channels>(stored);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [tests, setTests] = useState<Partial<Record<ChannelName, Outcome>>>({});
  const [busy, setBusy] = useState(false);

  const field = (key: keyof Form, label: string, extra: { type?: string; helperText?: string } = {}) => (
    <TextField
      label={label}
      size="small"
      value={form[key]}
      onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))}
      {...extra}
      fullWidth
    />
  );

  const save = async () => {
    const value = channelsOf(form, saved);
    if (typeof value === 'string') return setOutcome({ ok: false, message: value });
    setBusy(true);
    try {
      const r = await call('settings.set', { key: 'alert_channels', value });
      setSaved(value);
      setOutcome({ ok: true, message: savedMessage(r, 'Alert channels') });
    } catch (e) {
      setOutcome({ ok: false, message: sentenceOf(e) });
    } finally {
      setBusy(false);
    }
  };

  const test = async (channel: ChannelName) => {
    setTests((t) => ({ ...t, [channel]: null }));
    try {
      const r = await call('settings.testChannel', { channel });
      setTests((t) => ({ ...t, [channel]: r }));
    } catch (e) {
      setTests((t) => ({ ...t, [channel]: { ok: false, message: sentenceOf(e) } }));
    }
  };

  const testButton = (channel: ChannelName, label: string) => (
    <>
      <Button
        size="small"
        aria-label={`Send test ${label}`}
        // The engine tests what is stored; an unsaved channel has nothing to test yet.
        disabled={!saved[channel]}
        onClick={() => void test(channel)}
        sx={{ alignSelf: 'flex-start' }}
      >
        Send test
      </Button>
      <OutcomeLine outcome={tests[channel] ?? null} />
    </>
  );

  return (
    <Stack spacing={2} sx={{ maxWidth: 760 }}>
      <Section title="Webhook" hint="Slack, Teams or any URL that accepts a JSON POST.">
        <Stack spacing={1}>
          {field('webhookUrl', 'Webhook URL')}
          {testButton('webhook', 'webhook')}
        </Stack>
      </Section>
      <Section title="Email (SMTP)">
        <Stack spacing={1}>
          <Stack direction="row" spacing={1}>
            {field('smtpHost', 'SMTP host')}
            <TextField
              label="SMTP port"
              size="small"
              value={form.smtpPort}
              onChange={(e) => setForm((f) => ({ ...f, smtpPort: e.target.value }))}
              slotProps={{ htmlInput: { inputMode: 'numeric' } }}
              sx={{ width: 140 }}
            />
          </Stack>
          {field('smtpFrom', 'From')}
          {field('smtpTo', 'To', { helperText: 'Comma-separated addresses' })}
          {testButton('smtp', 'email')}
        </Stack>
      </Section>
      <Section title="MQTT" hint="Home Assistant and similar hubs; alerts go to <topic>/alert.">
        <Stack spacing={1}>
          <Stack direction="row" spacing={1}>
            {field('mqttUrl', 'MQTT URL')}
            {field('mqttTopic', 'MQTT topic')}
          </Stack>
          {testButton('mqtt', 'MQTT')}
        </Stack>
      </Section>
      <div>
        <Button variant="contained" disabled={busy} onClick={() => void save()}>
          Save channels
        </Button>
        <OutcomeLine outcome={outcome} />
      </div>
    </Stack>
  );
}
