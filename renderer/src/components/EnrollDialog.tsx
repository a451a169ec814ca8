import Dialog from '@mui/material/Dialog';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import { EnrollWizard } from './EnrollWizard.js';

/** The console's enrollment wizard in a dialog (Members page and the first-run guide). */
export function EnrollDialog({
  open,
  onEnrolled,
  onClose,
}: {
  open: boolean;
  onEnrolled: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="md" aria-label="Enroll member">
      <DialogTitle>Enroll member</DialogTitle>
      <DialogContent>
        <EnrollWizard method="console" onEnrolled={onEnrolled} onClose={onClose} />
      </DialogContent>
    </Dialog>
  );
}
