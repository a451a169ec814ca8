import { Command, type ErrorOptions } from 'commander';
import { UsageError } from './output.js';

/** `vigil members show`: how the user would type the command, for sentences and help hints. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const quoted = (args: readonly string[]) => args.map((a) => `"${a}"`).join(' ');

/**
 * commander's own error as the project's one sentence on stderr (and exit code 2, a usage error):
 * the parser reports, `fail` prints, so a refused command line writes nothing else anywhere.
 */
export function usageSentence(cmd: Command, message: string, code: string | undefined): string {
  const path = commandPath(cmd);
  // As the module's own sentences name it ("members show needs …"), after the "vigil: " of `fail`.
  const name = cmd.parent ? path.replace(/^\S+ /, '') : path;
  const help = `see "${path} --help"`;
  switch (code) {
    case 'commander.unknownOption': {
      const flag = /unknown option '([^']*)'/.exec(message)?.[1] ?? '';
      return `Unknown option ${flag}: ${name} does not take it; ${help}.`;
    }
    case 'commander.optionMissingArgument': {
      const flags = /option '([^']*)' argument missing/.exec(message)?.[1] ?? '';
      return `${flags.split(/[ ,]/)[0]} needs a value (${path} ${flags}); ${help}.`;
    }
    case 'commander.excessArguments': {
      const expected = cmd.registeredArguments.length;
      const extra = cmd.args.slice(expected);
      return `${name} takes ${expected === 0 ? 'no arguments' : `${expected} argument${expected === 1 ? '' : 's'}`}, not also ${quoted(extra)}; ${help}.`;
    }
    case 'commander.unknownCommand':
      return `unknown command "${cmd.args[0] ?? ''}"; run "${path} --help"`;
    default: {
      const plain = message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      return `${plain.charAt(0).toUpperCase()}${plain.slice(1)}`;
    }
  }
}

/**
 * A commander command whose parse errors are thrown as `UsageError`s (never printed by commander,
 * never exiting the process) and whose sub-commands are of the same kind.
 */
export class VigilCommand extends Command {
  override createCommand(name?: string): VigilCommand {
    return new VigilCommand(name);
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    throw new UsageError(usageSentence(this, message, errorOptions?.code));
  }
}
