import Alert from '@mui/material/Alert';
import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Drawer from '@mui/material/Drawer';
import IconButton from '@mui/material/IconButton';
import useMediaQuery from '@mui/material/useMediaQuery';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { useEffect, useState, type ComponentType } from 'react';
import { connectionState, onConnection, type ConnectionState } from './api.js';
import AlertsPage from './pages/AlertsPage.js';
import AuditPage from './pages/AuditPage.js';
import DashboardPage from './pages/DashboardPage.js';
import LivePage from './pages/LivePage.js';
import MembersPage from './pages/MembersPage.js';
import ReportsPage from './pages/ReportsPage.js';
import ReviewPage from './pages/ReviewPage.js';
import SettingsPage from './pages/SettingsPage.js';
import UsersPage from './pages/UsersPage.js';
import WelcomePage from './pages/WelcomePage.js';
import { navigate, useRoute } from './router.js';
import { startCameraLive } from './store/cameras.js';
import { startFeed } from './store/feed.js';
import { useSession } from './store/session.js';
import { forgetCrops } from './components/PersonThumb.js';
import { PageBoundary } from './components/PageBoundary.js';
import { EmptyState } from './components/states.js';
import { NAV, allowedPages, type PageId } from './components/nav.js';

const PAGES: Record<PageId, ComponentType> = {
  live: LivePage,
  review: ReviewPage,
  members: MembersPage,
  alerts: AlertsPage,
  dashboard: DashboardPage,
  reports: ReportsPage,
  settings: SettingsPage,
  audit: AuditPage,
  users: UsersPage,
  welcome: WelcomePage,
};

const DRAWER = 200;
const DRAWER_SMALL = 56;

function useConnection(): ConnectionState {
  const [state, setState] = useState(connectionState());
  useEffect(() => onConnection(setState), []);
  return state;
}

/** The signed-in console: the pages this role may see on the left, the chosen one on the right. */
export function Shell() {
  const user = useSession((s) => s.user);
  const can = useSession((s) => s.can);
  const logout = useSession((s) => s.logout);
  const pages = allowedPages(can);
  const page = useRoute((r) => r.page);
  const connection = useConnection();
  const current = page && pages.includes(page) ? page : pages[0];
  const Page = current ? PAGES[current] : null;
  // Below 1200 px the navigation folds to initials by default; the guard can unfold it.
  const narrow = useMediaQuery('(max-width: 1199px)');
  const [folded, setFolded] = useState<boolean | null>(null);
  const small = folded ?? narrow;
  const width = small ? DRAWER_SMALL : DRAWER;

  // The feed and camera states outlive page changes: started once per signed-in console.
  useEffect(() => {
    const stopFeed = startFeed();
    const stopCameras = startCameraLive();
    return () => {
      stopFeed();
      stopCameras();
      forgetCrops();
    };
  }, []);

  return (
    <Box sx={{ display: 'flex', height: '100vh' }}>
      <AppBar position="fixed" sx={{ zIndex: (t) => t.zIndex.drawer + 1 }} color="default" elevation={1}>
        <Toolbar variant="dense">
          <IconButton
            edge="start"
            sx={{ mr: 1, fontSize: 20 }}
            onClick={() => setFolded(!small)}
            aria-label={small ? 'Show page names' : 'Fold navigation'}
            aria-expanded={!small}
            data-testid="nav-toggle"
          >
            ☰
          </IconButton>
          <Typography variant="h6" sx={{ flexGrow: 1 }}>
            Vigil
          </Typography>
          <Typography variant="body2" sx={{ mr: 2 }} data-testid="current-user">
            {user?.username} · {user?.role}
          </Typography>
          <Button color="inherit" onClick={() => void logout()} aria-label="Sign out">
            Sign out
          </Button>
        </Toolbar>
      </AppBar>
      <Drawer
        variant="permanent"
        sx={{
          width,
          flexShrink: 0,
          '& .MuiDrawer-paper': { width, boxSizing: 'border-box', overflowX: 'hidden' },
        }}
      >
        <Toolbar variant="dense" />
        <List component="nav" aria-label="Pages">
          {NAV.filter((n) => pages.includes(n.id)).map((n) => (
            <ListItemButton
              key={n.id}
              selected={n.id === current}
              onClick={() => navigate(n.id)}
              data-testid={`nav-${n.id}`}
              aria-label={n.label}
              title={small ? n.label : undefined}
              sx={small ? { px: 1, justifyContent: 'center' } : undefined}
            >
              <ListItemText
                primary={small ? n.short : n.label}
                slotProps={{
                  primary: { noWrap: true, sx: small ? { textAlign: 'center', fontWeight: 600 } : undefined },
                }}
              />
            </ListItemButton>
          ))}
        </List>
      </Drawer>
      <Box component="main" sx={{ flexGrow: 1, minWidth: 0, display: 'flex', flexDirection: 'column' }}>
        <Toolbar variant="dense" />
        {connection === 'connecting' && (
          <Alert severity="warning" square data-testid="reconnecting">
            Reconnecting to the engine…
          </Alert>
        )}
        <Box sx={{ flexGrow: 1, overflow: 'auto', p: 2 }}>
          {Page ? (
            <PageBoundary key={current}>
              <Page />
            </PageBoundary>
          ) : (
            <EmptyState
              title="Nothing to show"
              hint="Your role has no pages in this console; ask an administrator."
            />
          )}
        </Box>
      </Box>
    </Box>
  );
}
