import { Option } from 'commander';
import { resolveDataDir } from '../config/data-dir.js';
import { passphraseFromEnvironment } from '../privacy/keys.js';
import { makeOut, type Out } from './output.js';

/** One option every command takes; `value` only carries the parsed value's type. */
interface GlobalOption<T> {
  option: Option;
  value: T;
}

const text = (flags: string, description: string): GlobalOption<string | undefined> => ({
  option: new Option(flags, description),
  value: undefined,
});
const flag = (flags: string, description: string): GlobalOption<boolean | undefined> => ({
  option: new Option(flags, description),
  value: undefined,
});

/**
 * The options of every command, declared once on the program. A new one (e.g. `--store URL`) is
 * one line here; it appears in every command's help and in `GlobalOptions.flags`, typed.
 */
export const GLOBAL_OPTIONS = {
  dataDir: text('--data-dir <dir>', 'data folder (default: $VIGIL_DATA_DIR, else the OS user-data folder)'),
  pack: text(
    '--pack <name>',
    'model pack: default, recommended, research (default: $VIGIL_MODEL_PACK, else default)',
  ),
  json: flag('--json', 'print JSON only'),
  passphraseFile: text(
    '--passphrase-file <file>',
    'passphrase that locks the data folder (else $VIGIL_PASSPHRASE)',
  ),
  store: text(
    '--store <url>',
    'the shared store, postgres://USER@HOST:PORT/DATABASE (else $VIGIL_STORE; default: the data folder)',
  ),
};

export type GlobalFlags = { [K in keyof typeof GLOBAL_OPTIONS]: (typeof GLOBAL_OPTIONS)[K]['value'] };

export interface GlobalOptions {
  dataDir: string;
  pack: string;
  out: Out;
  /** The data folder's passphrase (VIGIL_PASSPHRASE or --passphrase-file), read when the engine opens. */
  passphrase: () => string | undefined;
  /** The global options as given (undefined where absent), for what the fields above do not cover. */
  flags: GlobalFlags;
}

/** What a command sees of the global options, with the environment's fallbacks applied. */
export function globalOptions(flags: GlobalFlags): GlobalOptions {
  return {
    dataDir: resolveDataDir(flags.dataDir),
    pack: flags.pack ?? process.env.VIGIL_MODEL_PACK ?? 'default',
    out: makeOut(flags.json === true),
    passphrase: () => passphraseFromEnvironment(flags.passphraseFile),
    flags,
  };
}
