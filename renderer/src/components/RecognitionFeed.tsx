import Chip from '@mui/material/Chip';
import List from '@mui/material/List';
import ListItemAvatar from '@mui/material/ListItemAvatar';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import { personHref } from '../router.js';
import { useFeed, type FeedDecision, type FeedItem } from '../store/feed.js';
import { useSession } from '../store/session.js';
import { PersonThumb } from './PersonThumb.js';

export { FEED_CAP } from '../store/feed.js';

/** What was decided, in words a guard reads at a glance. */
const DECISION: Record<FeedDecision, { label: string; color: 'success' | 'warning' | 'error' }> = {
  member: { label: 'Member', color: 'success' },
  seen_before: { label: 'Stranger, seen before', color: 'warning' },
  new_unknown: { label: 'New stranger', color: 'error' },
};

/** "similarity 0.62": the same cosine figure for members and strangers; none for a new one. */
export function similarityText(item: Pick<FeedItem, 'similarity' | 'decision'>): string {
  if (item.similarity === null) return 'no stored match';
  return `similarity ${item.similarity.toFixed(2)}`;
}

/** The latest recognitions, newest first, kept across pages (see store/feed). */
export function RecognitionFeed({ cameraName }: { cameraName(id: string): string }) {
  const items = useFeed((s) => s.items);
  const canOpenUnknown = useSession((s) => s.can('unknowns.view'));
  const canOpenMember = useSession((s) => s.can('members.view'));

  if (items.length === 0)
    return (
      <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
        Recognitions appear here as people are seen.
      </Typography>
    );
  return (
    <List dense aria-label="Recognitions" sx={{ overflow: 'auto', flexGrow: 1 }}>
      {items.map((r) => {
        const d = DECISION[r.decision];
        const openable = r.person_kind === 'member' ? canOpenMember : canOpenUnknown;
        return (
          <ListItemButton
            key={r.key}
            data-testid="feed-item"
            data-person={r.person_id}
            data-key={r.key}
            divider
            disabled={!openable}
            component="a"
            href={openable ? personHref(r.person_kind, r.person_id) : undefined}
            aria-label={`${r.name}, ${d.label}: open`}
            sx={{ alignItems: 'flex-start', '&.Mui-disabled': { opacity: 1 } }}
          >
            <ListItemAvatar sx={{ minWidth: 48, mt: 0.5 }}>
              <PersonThumb
                kind={r.person_kind}
                id={r.person_id}
                name={r.name}
                hasCrop={r.person_kind === 'unknown'}
              />
            </ListItemAvatar>
            <ListItemText
              primary={
                <>
                  <Typography
                    component="span"
                    variant="body2"
                    sx={{ fontWeight: 600, wordBreak: 'break-word' }}
                  >
                    {r.name}
                  </Typography>{' '}
                  <Chip size="small" variant="outlined" color={d.color} label={d.label} sx={{ ml: 0.5 }} />
                  {r.possible_member && (
                    <Typography
                      component="span"
                      variant="caption"
                      color="warning.main"
                      sx={{ display: 'block' }}
                    >
                      possibly {r.possible_member.name}?
                    </Typography>
                  )}
                </>
              }
              secondary={`${r.camera_id ? cameraName(r.camera_id) : 'photo'} · ${new Date(r.at).toLocaleTimeString()} · ${similarityText(r)}`}
            />
          </ListItemButton>
        );
      })}
    </List>
  );
}
