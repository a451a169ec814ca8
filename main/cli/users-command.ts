import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { addUser, listUsers, removeUser, setPassword } from '../accounts/users.js';
import { ROLES } from '../contract/roles.js';
import { VigilError } from '../errors.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

export interface UsersOptions {
  role?: string;
  passwordFile?: string;
}

/** Who ran the command, for the audit log: the OS account, since the CLI has no sign-in. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** The first line of stdin; a prompt goes to stderr when a person is typing. */
function readStdinLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let done = false;
    rl.once('line', (line) => {
      done = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!done) reject(new VigilError('INVALID_ARGUMENT', 'No password was given on standard input.'));
    });
  });
}

/**
 * The new password: --password-file (its first line), else $VIGIL_USER_PASSWORD, else one line
 * of stdin. Never a command-line argument, which any local user could read from the process list.
 */
async function readPassword(username: string, file: string | undefined): Promise<string> {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'it does not exist'
          : code === 'EISDIR'
            ? 'it is a folder'
            : code === 'EACCES' || code === 'EPERM'
              ? 'permission denied'
              : (code ?? 'unknown error');
      throw new VigilError('INVALID_ARGUMENT', `The password file ${file} cannot be read: ${why}.`);
    }
    return (text.split(/\r?\n/)[0] ?? '').replace(/\r$/, '');
  }
  const env = process.env.VIGIL_USER_PASSWORD;
  if (env !== undefined && env !== '') return env;
  return (await readStdinLine(`Password for ${username}: `)).replace(/\r$/, '');
}

/** vigil users add USERNAME --role ROLE | list | passwd USERNAME | remove USERNAME */
export async function runUsers(g: GlobalOptions, args: string[], options: UsersOptions): Promise<number> {
  const [sub, username, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`users ${sub} takes one username`);
  if (sub === 'list') {
    return withEngine(g, (e) => {
      const users = listUsers(e.store);
      g.out.result(users, () =>
        users.length === 0
          ? 'No users yet: add an administrator with "vigil users add NAME --role admin".'
          : users
              .map(
                (u) =>
                  `${u.username.padEnd(24)} ${u.role.padEnd(9)} last sign-in ${u.last_login ?? 'never'}` +
                  (u.locked_until ? `  locked until ${u.locked_until}` : ''),
              )
              .join('\n'),
      );
      return 0;
    });
  }
  if (sub !== 'add' && sub !== 'passwd' && sub !== 'remove')
    throw new UsageError('users takes add USERNAME --role ROLE, list, passwd USERNAME or remove USERNAME');
  if (!username) throw new UsageError(`users ${sub} needs a username`);
  const actor = cliActor();

  if (sub === 'remove') {
    return withEngine(g, (e) => {
      removeUser(e.store, username, { audit: { actor, action: 'user_removed' } });
      const name = username.trim().toLowerCase();
      g.out.result({ username: name, removed: true }, () => `Removed user ${name}.`);
      return 0;
    });
  }

  if (sub === 'add') {
    if (!options.role) throw new UsageError(`users add needs --role (${ROLES.join(', ')})`);
    if (!(ROLES as readonly string[]).includes(options.role))
      throw new UsageError(`unknown role "${options.role}"; roles are ${ROLES.join(', ')}`);
  }
  const password = await readPassword(username, options.passwordFile);
  return withEngine(g, async (e) => {
    if (sub === 'add') {
      const user = await addUser(
        e.store,
        { username, role: options.role!, password },
        { audit: { actor, action: 'user_added' } },
      );
      g.out.result(user, () => `Added ${user.role} ${user.username}.`);
      return 0;
    }
    await setPassword(e.store, username, password, {
      audit: { actor, action: 'password_changed', details: { by: 'cli' } },
    });
    const name = username.trim().toLowerCase();
    g.out.result(
      { username: name, password_changed: true },
      () => `Changed the password of ${name}; their sessions were signed out.`,
    );
    return 0;
  });
}
