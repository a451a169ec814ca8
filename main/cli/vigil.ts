#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { resolveDataDir } from '../config/data-dir.js';
import { passphraseFromEnvironment } from '../privacy/keys.js';
import { fail, makeOut, UsageError, type Out } from './output.js';
import { runAlerts, runConfig } from './alerts-command.js';
import { runBackup, runMetricsToken, runRestore } from './backup-command.js';
import { runCameras } from './cameras-command.js';
import { runDiscover } from './discover-command.js';
import { runDoctor } from './doctor.js';
import { runAppearances, runCameraStatus, runEvents, runServe } from './serve-command.js';
import { runModels } from './models-command.js';
import { runCalibrate } from './calibrate-command.js';
import { runEnroll, runIdentify, runMembers, runUnknowns } from './recognition-commands.js';
import { runAudit, runConsent, runSubject } from './subject-command.js';
import { runUsers } from './users-command.js';
import {
  refuseSharedStore,
  runClusterCameraStatus,
  runNodes,
  runStore,
  usesSharedStore,
} from './store-command.js';

const HELP = `Usage: vigil <command> [options]

Commands:
  enroll --name NAME [--apartment A] [--email E] [--phone P] PHOTO...   enroll a member from 1-10 photos
  identify [--camera ID] IMAGE...                                       identify every face in images
  calibrate [--far 0.01] [--apply] [--camera ID]                       this site's threshold for a false-accept rate (--apply stores it, audited)
  members list | show ID | delete ID                                    manage members
  members suspend|activate ID | watchlist ID on|off | hours ID HH:MM-HH:MM|any   access control (alerts)
  unknowns list | dismiss ID | crop ID --out FILE                       list unknown persons, close one, decrypt its face crop
  cameras add --id ID --name NAME --url URL [--location L] [--loop]     add a camera (rtsp://, http(s)://, file:// or a path)
  cameras list | remove ID | status                                     list, remove cameras; live status from a running server
  cameras discover [--timeout MS] [--user U --password-file F]          ONVIF cameras on the network (WS-Discovery) and their stream URIs
  serve [--port P] [--host H]                                           run the engine headless and serve the console (browser)
        [--tls-cert F --tls-key F] [--allow-host NAMES] [--allow-origin URLS]   HTTPS (self-signed when --host is not loopback); extra names
        [--audit-forward syslog://HOST:PORT|URL]                      copy each audit-chain head to syslog or a webhook
  events --follow                                                       stream a running server's events
  appearances [--since T]                                               the appearance log
  alerts list | ack ID | resolve ID [--notes TEXT]                      alerts
  config get KEY | set KEY JSON                                         settings (thresholds, retention, alert_channels, alert_rules)
  doctor                                                                check models, runtime, ffmpeg and data
  models list | fetch PACK [--accept-non-commercial]                    list or download model packs
  subject export ID [--out F] | erase ID | restrict ID [--lift]         data-subject rights (F.pdf writes a PDF, else JSON)
  consent record ID --text T | withdraw ID                              consent; withdrawing it erases the person's data
  audit verify                                                          check the audit log's hash chain (exit 1: tampered)
  users add NAME --role ROLE | list | passwd NAME | remove NAME         console accounts (password: --password-file F, $VIGIL_USER_PASSWORD or stdin)
  backup --out FILE                                                     encrypted online backup of the store, keys and audit anchor
  restore FILE --data-dir DIR [--device-key F]                          restore a backup into an empty folder and verify it
  metrics token [--rotate]                                              the read-only bearer token of GET /metrics (Prometheus)
  store init --store URL                                                create or migrate the shared PostgreSQL store's schema
  store migrate-from --data-dir D --store URL [--force]                 copy a data folder into the shared store and verify the copy
  nodes list --store URL                                                engine nodes of the shared store, their cameras and state
  cameras status --store URL                                            the node holding each camera of the shared store

Options for every command:
  --data-dir DIR   data folder (default: $VIGIL_DATA_DIR, else the OS user-data folder)
  --pack NAME      model pack: default, recommended, research (default: default)
  --json           print JSON only
  --passphrase-file F   passphrase that locks the data folder (else $VIGIL_PASSPHRASE)
  --store URL      the shared store, postgres://USER@HOST:PORT/DATABASE (else $VIGIL_STORE; default: the data folder)
`;

export interface GlobalOptions {
  dataDir: string;
  pack: string;
  out: Out;
  /** The data folder's passphrase (VIGIL_PASSPHRASE or --passphrase-file), read when the engine opens. */
  passphrase: () => string | undefined;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      pack: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      name: { type: 'string' },
      apartment: { type: 'string' },
      email: { type: 'string' },
      phone: { type: 'string' },
      camera: { type: 'string' },
      'accept-non-commercial': { type: 'boolean', default: false },
      id: { type: 'string' },
      url: { type: 'string' },
      location: { type: 'string' },
      loop: { type: 'boolean', default: false },
      port: { type: 'string' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allow-host': { type: 'string' },
      'allow-origin': { type: 'string' },
      'audit-forward': { type: 'string' },
      follow: { type: 'boolean', default: false },
      since: { type: 'string' },
      'passphrase-file': { type: 'string' },
      out: { type: 'string' },
      notes: { type: 'string' },
      lift: { type: 'boolean', default: false },
      text: { type: 'string' },
      role: { type: 'string' },
      'password-file': { type: 'string' },
      far: { type: 'string' },
      apply: { type: 'boolean', default: false },
      'device-key': { type: 'string' },
      rotate: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      user: { type: 'string' },
      store: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const g: GlobalOptions = {
    dataDir: resolveDataDir(values['data-dir']),
    pack: values.pack ?? process.env.VIGIL_MODEL_PACK ?? 'default',
    out: makeOut(values.json),
    passphrase: () => passphraseFromEnvironment(values['passphrase-file']),
  };
  refuseSharedStore(command, rest[0], values.store, g.dataDir);
  switch (command) {
    case 'store':
      return runStore(g, rest, { store: values.store, force: values.force });
    case 'nodes':
      return runNodes(g, rest, { store: values.store });
    case 'enroll':
      return runEnroll(g, {
        name: values.name,
        apartment: values.apartment,
        email: values.email,
        phone: values.phone,
        photos: rest,
      });
    case 'identify':
      return runIdentify(g, rest, values.camera);
    case 'calibrate':
      return runCalibrate(g, { far: values.far, apply: values.apply, camera: values.camera });
    case 'members':
      return runMembers(g, rest);
    case 'unknowns':
      return runUnknowns(g, rest, values.out);
    case 'doctor':
      return runDoctor(g);
    case 'alerts':
      return runAlerts(g, rest, values.notes);
    case 'config':
      return runConfig(g, rest);
    case 'serve':
      return runServe(g, {
        port: values.port,
        host: values.host,
        tlsCert: values['tls-cert'],
        tlsKey: values['tls-key'],
        allowHost: values['allow-host'],
        allowOrigin: values['allow-origin'],
        auditForward: values['audit-forward'],
      });
    case 'events':
      return runEvents(g, values.follow);
    case 'appearances':
      return runAppearances(g, values.since);
    case 'cameras':
      if (rest[0] === 'status')
        return usesSharedStore(values.store, g.dataDir)
          ? runClusterCameraStatus(g, values.store)
          : runCameraStatus(g);
      if (rest[0] === 'discover')
        return runDiscover(g, {
          timeout: values.timeout,
          user: values.user,
          passwordFile: values['password-file'],
        });
      return runCameras(g, rest, {
        id: values.id,
        name: values.name,
        url: values.url,
        location: values.location,
        loop: values.loop,
      });
    case 'users':
      return runUsers(g, rest, { role: values.role, passwordFile: values['password-file'] });
    case 'subject':
      return runSubject(g, rest, { out: values.out, lift: values.lift });
    case 'consent':
      return runConsent(g, rest, { text: values.text });
    case 'audit':
      return runAudit(g, rest);
    case 'models':
      return runModels(g, rest, values['accept-non-commercial']);
    case 'metrics':
      return runMetricsToken(g, rest, values.rotate);
    case 'backup':
      return runBackup(g, values.out);
    case 'restore':
      return runRestore(g, rest, {
        dataDirGiven: values['data-dir'] !== undefined,
        deviceKey: values['device-key'],
      });
    default:
      throw new UsageError(`unknown command "${command}"; run "vigil --help"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const msg =
      e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')
        ? new UsageError(e.message)
        : e;
    process.exitCode = fail(msg);
  },
);
