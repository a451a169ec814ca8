import mqtt from 'mqtt';
import nodemailer from 'nodemailer';
import type { ChannelConfig } from '../config/schema.js';
import type { AlertMessage } from '../engine/events.js';
import { log, redactUrl } from '../log.js';

/** The alert as the engine raises it (defined with the engine's events, which carry it). */
export type { AlertMessage };

/** What the channels settings hold (validated by the settings schema). */
export type { ChannelConfig };

export interface Channel {
  readonly name: string;
  send(a: AlertMessage): Promise<void>;
}

/** Slack- and Teams-compatible: both render `text`; the structured fields ride along. */
export class WebhookChannel implements Channel {
  readonly name = 'webhook';
  constructor(private readonly url: string) {}

  async send(a: AlertMessage): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `[${a.priority.toUpperCase()}] ${a.message}`, alert: a }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`webhook ${redactUrl(this.url)} answered ${res.status}`);
  }
}

export class SmtpChannel implements Channel {
  readonly name = 'email';
  private readonly transport: nodemailer.Transporter;

  constructor(private readonly cfg: NonNullable<ChannelConfig['smtp']>) {
    this.transport = nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.secure ?? false,
      ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.pass ?? '' } } : {}),
      connectionTimeout: 5000,
      greetingTimeout: 5000,
    });
  }

  async send(a: AlertMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.cfg.from,
      to: this.cfg.to,
      subject: `Vigil ${a.priority} alert: ${a.type.replace(/_/g, ' ')}`,
      text: `${a.message}\n\nCamera: ${a.camera_id ?? '-'}\nTime: ${a.created_at}\nAlert #${a.alert_id}\n`,
    });
  }
}

export class MqttChannel implements Channel {
  readonly name = 'mqtt';
  constructor(private readonly cfg: NonNullable<ChannelConfig['mqtt']>) {}

  async send(a: AlertMessage): Promise<void> {
    const client = await mqtt.connectAsync(this.cfg.url, {
      connectTimeout: 5000,
      reconnectPeriod: 0,
      ...(this.cfg.username ? { username: this.cfg.username, password: this.cfg.password ?? '' } : {}),
    });
    try {
      await client.publishAsync(`${this.cfg.topic}/alert`, JSON.stringify(a), { qos: 1 });
    } finally {
      await client.endAsync();
    }
  }
}

export function channelsFrom(cfg: ChannelConfig): Channel[] {
  const out: Channel[] = [];
  if (cfg.mqtt?.url) out.push(new MqttChannel(cfg.mqtt));
  if (cfg.webhook?.url) out.push(new WebhookChannel(cfg.webhook.url));
  if (cfg.smtp?.host) out.push(new SmtpChannel(cfg.smtp));
  return out;
}

/** Delivers to every channel; a failing channel is logged and never blocks the others. */
export async function deliver(
  channels: Channel[],
  a: AlertMessage,
): Promise<{ channel: string; ok: boolean; error?: string }[]> {
  return Promise.all(
    channels.map(async (c) => {
      try {
        await c.send(a);
        return { channel: c.name, ok: true };
      } catch (e) {
        const error = (e as Error).message;
        log('warn', 'alert_delivery_failed', { channel: c.name, alert: a.alert_id, error });
        return { channel: c.name, ok: false, error };
      }
    }),
  );
}
