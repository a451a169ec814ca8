import Box from '@mui/material/Box';
import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { useCallback, useEffect, useState } from 'react';
import type { SystemInfo } from '../../main/contract/contract.js';
import { call } from './api.js';
import CriticalAlertToast from './components/CriticalAlertToast.js';
import { LoginScreen } from './components/LoginScreen.js';
import { Shell } from './Shell.js';
import { ErrorState, Loading, sentenceOf } from './components/states.js';
import KioskPage from './pages/KioskPage.js';
import { navigate } from './router.js';
import { useSession } from './store/session.js';
import { theme } from './theme.js';

type Boot =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'ready'; info: SystemInfo | null; needsSetup: boolean };

function kioskFromUrl(): boolean {
  return new URLSearchParams(window.location.search).get('kiosk') === '1';
}

/** Boots the console: who is signed in, whether this is the kiosk, then login, kiosk or shell. */
export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const [kioskExited, setKioskExited] = useState(false);
  const user = useSession((s) => s.user);
  const setUser = useSession((s) => s.setUser);
  const logout = useSession((s) => s.logout);

  const start = useCallback(async () => {
    setBoot({ state: 'loading' });
    try {
      const [info, status] = await Promise.all([
        // system.info only decorates (kiosk, liveness); the console works without it.
        call('system.info', {}).catch(() => null),
        call('auth.status', {}),
      ]);
      setUser(status.user);
      setBoot({ state: 'ready', info, needsSetup: status.needs_setup });
    } catch (e) {
      setBoot({ state: 'error', message: sentenceOf(e) });
    }
  }, [setUser]);

  useEffect(() => {
    void start();
  }, [start]);

  const kiosk = boot.state === 'ready' && !kioskExited && (boot.info?.kiosk === true || kioskFromUrl());

  const exitKiosk = () => {
    setKioskExited(true);
    const url = new URL(window.location.href);
    url.searchParams.delete('kiosk');
    window.history.replaceState(null, '', url);
    // A kiosk account can do nothing outside the kiosk: the next person signs in as themselves.
    if (user?.role === 'kiosk') void logout();
  };

  let body;
  if (boot.state === 'loading') body = <Loading label="Starting" />;
  else if (boot.state === 'error')
    body = (
      <Box sx={{ p: 4 }}>
        <ErrorState message={boot.message} onRetry={() => void start()} />
      </Box>
    );
  else if (!user)
    body = (
      <LoginScreen
        setup={boot.needsSetup}
        kiosk={kiosk}
        onSignedIn={(u) => {
          setUser(u);
          if (boot.needsSetup) {
            setBoot({ ...boot, needsSetup: false });
            // A new installation: the administrator is guided to a camera and a first member.
            if (!kiosk) navigate('welcome');
          }
        }}
      />
    );
  else if ((kiosk || user.role === 'kiosk') && !user.permissions.includes('members.enroll'))
    // Refused before the wizard starts: an account that cannot enroll would only fail after the
    // visitor had read and accepted the consent text.
    body = (
      <Box sx={{ p: 4, maxWidth: 560, mx: 'auto' }} data-testid="kiosk-refused">
        <ErrorState
          message={`The ${user.role} account ${user.username} cannot enroll members, so it cannot run the kiosk; sign in with a kiosk account.`}
          onRetry={() => void logout()}
          retryLabel="Sign out"
        />
      </Box>
    );
  else if (kiosk || user.role === 'kiosk')
    body = <KioskPage liveness={boot.info?.liveness === true} onExit={exitKiosk} />;
  else body = <Shell />;

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      {body}
      {user && !kiosk && user.role !== 'kiosk' && <CriticalAlertToast />}
    </ThemeProvider>
  );
}
