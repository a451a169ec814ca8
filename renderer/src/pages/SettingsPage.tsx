import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import type { SettingsView } from '../../../main/contract/contract.js';
import { ErrorState, Loading } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { CamerasTab } from './settings/CamerasTab.js';
import { BackupSection } from './settings/BackupSection.js';
import { ChannelsTab } from './settings/ChannelsTab.js';
import { LogsTab } from './settings/LogsTab.js';
import { Section } from './settings/parts.js';
import { RecognitionTab } from './settings/RecognitionTab.js';

const TABS = ['cameras', 'recognition', 'channels', 'models', 'data', 'logs'] as const;
type TabId = (typeof TABS)[number];
const LABEL: Record<TabId, string> = {
  cameras: 'Cameras',
  recognition: 'Recognition',
  channels: 'Alert channels',
  models: 'Models',
  data: 'Data',
  logs: 'Logs',
};

export default function SettingsPage() {
  const [tab, setTab] = useState<TabId>('cameras');
  const settings = useCall('settings.get', {});

  // Every tab but Cameras edits settings.get's values; they wait for it.
  const needsSettings = (render: (s: SettingsView) => ReactNode) =>
    settings.error ? (
      <ErrorState message={settings.error} onRetry={settings.reload} />
    ) : settings.data ? (
      render(settings.data)
    ) : (
      <Loading />
    );

  return (
    <Box data-testid="page-settings" sx={{ p: 2 }}>
      <Typography variant="h5" component="h1" gutterBottom>
        Settings
      </Typography>
      <Tabs value={tab} onChange={(_e, v: TabId) => setTab(v)} aria-label="Settings sections" sx={{ mb: 2 }}>
        {TABS.map((t) => (
          <Tab
            key={t}
            value={t}
            label={LABEL[t]}
            id={`settings-tab-${t}`}
            aria-controls={`settings-panel-${t}`}
          />
        ))}
      </Tabs>
      <Box role="tabpanel" id={`settings-panel-${tab}`} aria-labelledby={`settings-tab-${tab}`}>
        {tab === 'cameras' && <CamerasTab />}
        {tab === 'recognition' &&
          needsSettings((s) => <RecognitionTab settings={s} onSaved={settings.reload} />)}
        {tab === 'channels' && needsSettings((s) => <ChannelsTab settings={s} />)}
        {tab === 'models' && needsSettings((s) => <ModelsTab settings={s} />)}
        {tab === 'data' && needsSettings((s) => <DataTab settings={s} onSaved={settings.reload} />)}
        {tab === 'logs' && <LogsTab />}
      </Box>
    </Box>
  );
}

function ModelsTab({ settings }: { settings: SettingsView }) {
  return (
    <Stack spacing={2} sx={{ maxWidth: 760 }}>
      <Section title="Active model pack">
        <Typography data-testid="settings-pack">{settings.pack}</Typography>
        <Typography variant="body2" color="text.secondary">
          Execution provider: <span data-testid="settings-provider">{settings.execution_provider}</span>
        </Typography>
      </Section>
      <Section
        title="Installed packs"
        hint="The engine starts with one pack (--pack); `vigil models list | fetch` manages them on the engine host."
      >
        <List dense>
          {settings.packs.map((p) => (
            <ListItem key={p} disableGutters>
              <ListItemText primary={p} />
              {p === settings.pack && <Chip size="small" color="primary" label="active" />}
            </ListItem>
          ))}
        </List>
      </Section>
    </Stack>
  );
}

function DataTab({ settings, onSaved }: { settings: SettingsView; onSaved: () => void }) {
  return (
    <Stack spacing={2} sx={{ maxWidth: 760 }}>
      <Section
        title="Data location"
        hint="The database, face vectors and encrypted crops live here; back it up together with the passphrase."
      >
        <Typography sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} data-testid="settings-data-dir">
          {settings.data_dir}
        </Typography>
      </Section>
      <BackupSection initial={settings.values.backup_schedule} onSaved={onSaved} />
    </Stack>
  );
}
