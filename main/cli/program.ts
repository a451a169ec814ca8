import { CommanderError, type Command } from 'commander';
import { runAlerts, runConfig } from './alerts-command.js';
import { runBackup, runMetricsToken, runRestore } from './backup-command.js';
import { runCalibrate } from './calibrate-command.js';
import { runCameras } from './cameras-command.js';
import { runDiscover } from './discover-command.js';
import { runDoctor } from './doctor.js';
import { GLOBAL_OPTIONS, globalOptions, type GlobalFlags, type GlobalOptions } from './global-options.js';
import { runModels } from './models-command.js';
import { UsageError } from './output.js';
import { VigilCommand } from './parser.js';
import { runEnroll, runIdentify, runMembers, runUnknowns } from './recognition-commands.js';
import { runAppearances, runCameraStatus, runEvents, runServe } from './serve-command.js';
import {
  refuseSharedStore,
  runClusterCameraStatus,
  runNodes,
  runStore,
  usesSharedStore,
} from './store-command.js';
import { runAudit, runConsent, runSubject } from './subject-command.js';
import { runUsers } from './users-command.js';

/** What a command does once parsed: its positionals and its own options in, an exit code out. */
type Run<O> = (g: GlobalOptions, args: string[], options: O) => Promise<number>;
type Action = (this: Command) => Promise<void>;

type NoOptions = Record<string, never>;
type Flags<K extends string> = { [P in K]?: string };

/** The global options as parsed on the program (they are recognised before or after the command). */
function globalFlags(program: Command): GlobalFlags {
  const flags: Record<string, unknown> = {};
  for (const [key, { option }] of Object.entries(GLOBAL_OPTIONS))
    flags[key] = program.getOptionValue(option.attributeName());
  return flags as GlobalFlags;
}

/** The names from the program down to `cmd`, e.g. ['cameras', 'status']. */
function commandPath(cmd: Command, program: Command): string[] {
  const path: string[] = [];
  for (let c: Command | null = cmd; c && c !== program; c = c.parent) path.unshift(c.name());
  return path;
}

/**
 * A command whose verbs are sub-commands. Its own action answers a missing or unknown verb with
 * the command module's usage sentence, as before; its verbs set their own excess-argument rule.
 */
function group(parent: Command, name: string, description: string, fallback: Action): Command {
  return parent
    .command(name)
    .description(description)
    .usage('<command> [options]')
    .allowExcessArguments(true)
    .action(fallback);
}

/** A positional argument, optional here: the command modules name a missing one themselves. */
type Arg = readonly [name: string, description: string];

/** A verb of a group (or a command on its own): refuses extra arguments unless told otherwise. */
function verb(parent: Command, name: string, description: string, ...args: Arg[]): Command {
  const cmd = parent.command(name).description(description).allowExcessArguments(false);
  for (const [arg, help] of args) cmd.argument(arg, help);
  return cmd;
}

const MEMBER: Arg = ['[id]', 'the member id (MEMBER_…)'];
const UNKNOWN: Arg = ['[id]', 'the unknown person id (UNKNOWN_…)'];
const PERSON: Arg = ['[id]', 'a member or unknown person id (MEMBER_… or UNKNOWN_…)'];
const USERNAME: Arg = ['[username]', 'the account name'];

/**
 * The `vigil` program: global options once, a sub-command per verb with its own options and
 * `--help`. `done` receives the command's exit code. Parse errors are thrown as `UsageError`s.
 */
export function buildProgram(done: (code: number) => void): VigilCommand {
  const program = new VigilCommand('vigil');
  program
    .description('Vigil: privacy-first CCTV face recognition, from the command line.')
    .usage('<command> [options]')
    .addHelpText(
      'after',
      '\nRun "vigil help COMMAND" or "vigil COMMAND --help" for its own options.\n' +
        'Exit codes: 0 success, 1 refused input or failure, 2 usage error.',
    )
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  for (const { option } of Object.values(GLOBAL_OPTIONS)) program.addOption(option);

  const as = <O extends Record<string, unknown>>(run: Run<O>): Action =>
    async function (this: Command) {
      const g = globalOptions(globalFlags(program));
      // Commands that do not run on the shared store yet refuse --store rather than ignore it.
      const path = commandPath(this, program);
      refuseSharedStore(path[0] ?? '', path[1], g.flags.store, g.dataDir);
      done(await run(g, this.args, this.opts<O>()));
    };

  verb(program, 'enroll', 'enroll a member from 1-10 photos')
    .argument('[photos...]', 'photos of the member, one usable face each')
    .option('--name <name>', "the member's name (required)")
    .option('--apartment <apartment>', 'their apartment or unit')
    .option('--email <email>', 'their e-mail address')
    .option('--phone <phone>', 'their phone number')
    .action(
      as<Flags<'name' | 'apartment' | 'email' | 'phone'>>((g, photos, o) =>
        runEnroll(g, { name: o.name, apartment: o.apartment, email: o.email, phone: o.phone, photos }),
      ),
    );

  verb(program, 'identify', 'identify every face in images')
    .argument('[images...]', 'the images')
    .option('--camera <id>', "decide with this camera's thresholds")
    .action(as<Flags<'camera'>>((g, images, o) => runIdentify(g, images, o.camera)));

  verb(program, 'calibrate', "this site's threshold for a false-accept rate (--apply stores it, audited)")
    .option('--far <rate>', 'the false-accept rate, between 0 and 1 (default: 0.01)')
    .option('--apply', 'store the threshold (audited)')
    .option('--camera <id>', 'for this camera only')
    .action(
      as<Flags<'far' | 'camera'> & { apply?: boolean }>((g, _args, o) =>
        runCalibrate(g, { far: o.far, apply: o.apply === true, camera: o.camera }),
      ),
    );

  const members = group(
    program,
    'members',
    'manage members and their access (alerts)',
    as<NoOptions>((g, args) => runMembers(g, args)),
  );
  const member = (name: string, description: string, ...args: Arg[]) =>
    verb(members, name, description, ...args).action(as<NoOptions>((g, a) => runMembers(g, [name, ...a])));
  member('list', 'list members');
  member('show', 'one member', MEMBER);
  member('delete', 'erase a member and all their data', MEMBER);
  member('suspend', 'suspend a member (a sighting raises an alert)', MEMBER);
  member('activate', 'make a suspended member active again', MEMBER);
  member('watchlist', 'put a member on the watch list or take them off', MEMBER, ['[state]', 'on or off']);
  member('hours', "a member's allowed hours (outside them a sighting raises an alert)", MEMBER, [
    '[hours]',
    'HH:MM-HH:MM or any',
  ]);

  const unknowns = group(
    program,
    'unknowns',
    'list unknown persons, close one, decrypt its face crop',
    as<NoOptions>((g, args) => runUnknowns(g, args)),
  );
  verb(unknowns, 'list', 'list unknown persons').action(as<NoOptions>((g) => runUnknowns(g, ['list'])));
  verb(unknowns, 'dismiss', 'close an unknown person (its face crop is deleted)', UNKNOWN).action(
    as<NoOptions>((g, args) => runUnknowns(g, ['dismiss', ...args])),
  );
  verb(unknowns, 'crop', "decrypt an unknown person's face crop into a file", UNKNOWN)
    .option('--out <file>', 'the JPEG file to write (required)')
    .action(as<Flags<'out'>>((g, args, o) => runUnknowns(g, ['crop', ...args], o.out)));

  const cameras = group(
    program,
    'cameras',
    'add, list and remove cameras; their live status; ONVIF discovery',
    as<NoOptions>((g, args) => runCameras(g, args, { loop: false })),
  );
  verb(cameras, 'add', 'add a camera (rtsp://, http(s)://, file:// or a path)')
    .option('--id <id>', "the camera's id (required)")
    .option('--name <name>', "the camera's name (required)")
    .option('--url <url>', 'its stream: rtsp://, http(s)://, file:// or a path (required)')
    .option('--location <location>', 'where it is')
    .option('--loop', 'play a file source in a loop')
    .action(
      as<Flags<'id' | 'name' | 'url' | 'location'> & { loop?: boolean }>((g, _args, o) =>
        runCameras(g, ['add'], {
          id: o.id,
          name: o.name,
          url: o.url,
          location: o.location,
          loop: o.loop === true,
        }),
      ),
    );
  verb(cameras, 'list', 'list cameras').action(
    as<NoOptions>((g) => runCameras(g, ['list'], { loop: false })),
  );
  verb(cameras, 'remove', 'remove a camera', ['[id]', 'the camera id']).action(
    as<NoOptions>((g, args) => runCameras(g, ['remove', ...args], { loop: false })),
  );
  verb(
    cameras,
    'status',
    'live status of each camera from a running vigil serve (with --store: the node holding each camera)',
  ).action(
    as<NoOptions>((g) =>
      usesSharedStore(g.flags.store, g.dataDir)
        ? runClusterCameraStatus(g, g.flags.store)
        : runCameraStatus(g),
    ),
  );
  verb(cameras, 'discover', 'ONVIF cameras on the network (WS-Discovery) and their stream URIs')
    .option('--timeout <ms>', 'how long to listen, 100 to 60000 ms (default: 3000)')
    .option('--user <user>', "the cameras' user, to read their stream URIs")
    .option('--password-file <file>', "a file whose first line is that user's password")
    .action(
      as<Flags<'timeout' | 'user' | 'passwordFile'>>((g, _args, o) =>
        runDiscover(g, { timeout: o.timeout, user: o.user, passwordFile: o.passwordFile }),
      ),
    );

  verb(program, 'serve', 'run the engine headless and serve the console (browser)')
    .option('--port <port>', 'the port to listen on (0: any free one)')
    .option('--host <host>', 'the address to listen on (default: loopback)')
    .option('--tls-cert <file>', 'HTTPS with this certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--allow-host <names>', 'comma list of DNS names the server is reached by')
    .option('--allow-origin <urls>', 'comma list of page origins allowed to call the API')
    .option('--audit-forward <target>', 'copy each audit-chain head to syslog://HOST:PORT or a webhook URL')
    .option('--node <name>', "this node's name in a cluster sharing one store (with --store)")
    .option('--max-cameras <n>', 'the most cameras this node takes (default 8)')
    .action(
      as<
        Flags<
          | 'port'
          | 'host'
          | 'tlsCert'
          | 'tlsKey'
          | 'allowHost'
          | 'allowOrigin'
          | 'auditForward'
          | 'node'
          | 'maxCameras'
        >
      >((g, _args, o) =>
        runServe(g, {
          port: o.port,
          host: o.host,
          tlsCert: o.tlsCert,
          tlsKey: o.tlsKey,
          allowHost: o.allowHost,
          allowOrigin: o.allowOrigin,
          auditForward: o.auditForward,
          node: o.node,
          maxCameras: o.maxCameras,
        }),
      ),
    );

  verb(program, 'events', "stream a running server's events")
    .option('--follow', 'keep streaming (required)')
    .action(as<{ follow?: boolean }>((g, _args, o) => runEvents(g, o.follow === true)));

  verb(program, 'appearances', 'the appearance log')
    .option('--since <time>', 'only appearances from this date or time on')
    .action(as<Flags<'since'>>((g, _args, o) => runAppearances(g, o.since)));

  const alerts = group(
    program,
    'alerts',
    'list, acknowledge and resolve alerts',
    as<NoOptions>((g, args) => runAlerts(g, args)),
  );
  verb(alerts, 'list', 'list alerts, newest first').action(as<NoOptions>((g) => runAlerts(g, ['list'])));
  for (const [name, description] of [
    ['ack', 'acknowledge an alert'],
    ['resolve', 'resolve an alert'],
  ] as const)
    verb(alerts, name, description, ['[id]', 'the alert number'])
      .option('--notes <text>', 'a note kept with the alert')
      .action(as<Flags<'notes'>>((g, args, o) => runAlerts(g, [name, ...args], o.notes)));

  const config = group(
    program,
    'config',
    'settings (thresholds, retention, alert_channels, alert_rules, ...)',
    as<NoOptions>((g, args) => runConfig(g, args)),
  );
  verb(config, 'get', 'print a setting', ['[key]', 'the setting']).action(
    as<NoOptions>((g, args) => runConfig(g, ['get', ...args])),
  );
  verb(
    config,
    'set',
    'change a setting (validated, audited)',
    ['[key]', 'the setting'],
    ['[json]', 'its new value as JSON'],
  ).action(as<NoOptions>((g, args) => runConfig(g, ['set', ...args])));

  verb(program, 'doctor', 'check models, runtime, ffmpeg and data').action(
    as<NoOptions>((g) => runDoctor(g)),
  );

  const models = group(
    program,
    'models',
    'list or download model packs',
    as<NoOptions>((g, args) => runModels(g, args, false)),
  );
  verb(models, 'list', 'the model packs and their licences').action(
    as<NoOptions>((g) => runModels(g, ['list'], false)),
  );
  verb(models, 'fetch', 'download a pack into DATA_DIR/models', [
    '[pack]',
    'default, recommended or research (default: --pack)',
  ])
    .option('--accept-non-commercial', "accept a pack's non-commercial licence")
    .action(
      as<{ acceptNonCommercial?: boolean }>((g, args, o) =>
        runModels(g, ['fetch', ...args], o.acceptNonCommercial === true),
      ),
    );

  const subject = group(
    program,
    'subject',
    'data-subject rights: export, erase, restrict',
    as<NoOptions>((g, args) => runSubject(g, args, { lift: false })),
  );
  verb(subject, 'export', 'everything held about a member or unknown person', PERSON)
    .option('--out <file>', 'write it to a file (F.pdf: a PDF, else JSON) instead of stdout')
    .action(
      as<Flags<'out'>>((g, args, o) => runSubject(g, ['export', ...args], { out: o.out, lift: false })),
    );
  verb(subject, 'erase', 'erase a person and all their data', PERSON).action(
    as<NoOptions>((g, args) => runSubject(g, ['erase', ...args], { lift: false })),
  );
  verb(subject, 'restrict', 'keep a person but stop recognising them', PERSON)
    .option('--lift', 'lift the restriction')
    .action(
      as<{ lift?: boolean }>((g, args, o) => runSubject(g, ['restrict', ...args], { lift: o.lift === true })),
    );

  const consent = group(
    program,
    'consent',
    "consent; withdrawing it erases the person's data",
    as<NoOptions>((g, args) => runConsent(g, args, {})),
  );
  verb(consent, 'record', "record a person's consent", PERSON)
    .option('--text <text>', 'what they consented to (required)')
    .action(as<Flags<'text'>>((g, args, o) => runConsent(g, ['record', ...args], { text: o.text })));
  verb(consent, 'withdraw', 'record the withdrawal of consent and erase the person', PERSON).action(
    as<NoOptions>((g, args) => runConsent(g, ['withdraw', ...args], {})),
  );

  const audit = group(
    program,
    'audit',
    'the audit log',
    as<NoOptions>((g, args) => runAudit(g, args)),
  );
  verb(audit, 'verify', "check the audit log's hash chain (exit 1: tampered)").action(
    as<NoOptions>((g) => runAudit(g, ['verify'])),
  );

  const users = group(
    program,
    'users',
    'console accounts',
    as<NoOptions>((g, args) => runUsers(g, args, {})),
  );
  const password = '--password-file <file>';
  const passwordHelp = 'a file whose first line is the password (else $VIGIL_USER_PASSWORD, else stdin)';
  verb(users, 'add', 'add a console account', USERNAME)
    .option('--role <role>', 'admin, security, operator, viewer or kiosk (required)')
    .option(password, passwordHelp)
    // The module names a second username itself ("users add takes one username").
    .allowExcessArguments(true)
    .action(
      as<Flags<'role' | 'passwordFile'>>((g, args, o) =>
        runUsers(g, ['add', ...args], { role: o.role, passwordFile: o.passwordFile }),
      ),
    );
  verb(users, 'list', 'list accounts').action(as<NoOptions>((g) => runUsers(g, ['list'], {})));
  verb(users, 'passwd', "change an account's password (signs its sessions out)", USERNAME)
    .option(password, passwordHelp)
    .allowExcessArguments(true)
    .action(
      as<Flags<'passwordFile'>>((g, args, o) =>
        runUsers(g, ['passwd', ...args], { passwordFile: o.passwordFile }),
      ),
    );
  verb(users, 'remove', 'remove an account', USERNAME)
    .allowExcessArguments(true)
    .action(as<NoOptions>((g, args) => runUsers(g, ['remove', ...args], {})));

  verb(program, 'backup', 'encrypted online backup of the store, keys and audit anchor')
    .option('--out <file>', 'the backup file to write (required)')
    .action(as<Flags<'out'>>((g, _args, o) => runBackup(g, o.out)));

  verb(program, 'restore', 'restore a backup into an empty folder (--data-dir, required) and verify it')
    .argument('[file]', 'the backup file')
    .option('--device-key <file>', 'the device key of the backed-up folder, if it had no passphrase')
    .action(
      as<Flags<'deviceKey'>>((g, args, o) =>
        runRestore(g, args, { dataDirGiven: g.flags.dataDir !== undefined, deviceKey: o.deviceKey }),
      ),
    );

  const metrics = group(
    program,
    'metrics',
    'the read-only bearer token of GET /metrics (Prometheus)',
    as<NoOptions>((g, args) => runMetricsToken(g, args, false)),
  );
  verb(metrics, 'token', 'print the token')
    .option('--rotate', 'replace it (the old one is refused from then on)')
    .action(as<{ rotate?: boolean }>((g, _args, o) => runMetricsToken(g, ['token'], o.rotate === true)));

  const store = group(
    program,
    'store',
    "the shared PostgreSQL store's schema, and copying a data folder into it",
    as<NoOptions>((g, args) => runStore(g, args, { store: g.flags.store, force: false })),
  );
  verb(store, 'init', "create or migrate the shared store's schema (--store URL)").action(
    as<NoOptions>((g) => runStore(g, ['init'], { store: g.flags.store, force: false })),
  );
  verb(store, 'migrate-from', 'copy a data folder (--data-dir) into the shared store and verify the copy')
    .option('--force', 'replace what the shared store already holds')
    .action(
      as<{ force?: boolean }>((g, _args, o) =>
        runStore(g, ['migrate-from'], { store: g.flags.store, force: o.force === true }),
      ),
    );
  const nodes = group(
    program,
    'nodes',
    'engine nodes of the shared store',
    as<NoOptions>((g, args) => runNodes(g, args, { store: g.flags.store })),
  );
  verb(nodes, 'list', 'the nodes, their cameras and state (--store URL)').action(
    as<NoOptions>((g) => runNodes(g, ['list'], { store: g.flags.store })),
  );

  verb(program, 'help', "a command's usage and options")
    .argument('[command...]', 'the command, e.g. members show')
    .action(function (this: Command) {
      let target: Command = program;
      for (const name of this.args) {
        const next = target.commands.find((c) => c.name() === name);
        if (!next) throw new UsageError(`unknown command "${this.args.join(' ')}"; run "vigil --help"`);
        target = next;
      }
      target.outputHelp();
      done(0);
    });

  // No command, or one the program does not know: today's answers (help with exit 2, a sentence).
  program.allowExcessArguments(true).action(function (this: Command) {
    const [name] = this.args;
    if (name !== undefined) throw new UsageError(`unknown command "${name}"; run "vigil --help"`);
    program.outputHelp();
    done(2);
  });
  return program;
}

/** Runs one command line; resolves to the exit code (help: 0), rejects with what `fail` reports. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    // --help and the like end the parse by "exiting"; exitOverride turns that into this error.
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  return code;
}
