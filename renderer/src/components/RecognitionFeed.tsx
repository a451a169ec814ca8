import Chip from '@mui/material/Chip';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { RecognitionEventView } from '../../../main/contract/contract.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';

/** Enough to scroll back over the last minutes; older ones are in the appearances report. */
export const FEED_CAP = 100;

const KIND = {
  known_member: { label: 'member', color: 'success' },
  recurring_unknown: { label: 'seen before', color: 'warning' },
  new_unknown: { label: 'new unknown', color: 'warning' },
} as const;

/** The latest recognitions, newest first. */
let nextKey = 1;

export function RecognitionFeed({ cameraName }: { cameraName(id: string): string }) {
  const [items, setItems] = useState<(RecognitionEventView & { key: number })[]>([]);
  useConsoleEvent('recognition', (e) =>
    setItems((list) => [{ ...e, key: nextKey++ }, ...list].slice(0, FEED_CAP)),
  );

  if (items.length === 0)
    return (
      <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
        Recognitions appear here as people are seen.
      </Typography>
    );
  return (
    <List dense aria-label="Recognitions" sx={{ overflow: 'auto', flexGrow: 1 }}>
      {items.map((r) => {
        const kind = KIND[r.kind];
        return (
          <ListItem key={r.key} data-testid="feed-item" divider>
            <ListItemText
              primary={
                <>
                  {r.name}{' '}
                  <Chip
                    size="small"
                    variant="outlined"
                    color={kind.color}
                    label={kind.label}
                    sx={{ ml: 0.5 }}
                  />
                </>
              }
              secondary={`${cameraName(r.camera_id)} · ${new Date(r.at).toLocaleTimeString()} · ${(r.confidence * 100).toFixed(0)}%`}
            />
          </ListItem>
        );
      })}
    </List>
  );
}
