// The open dialog (ui.dialog.kind), one at a time.
import { useStore } from '../hooks.js';
import { ui, closeDialog } from '../ui.js';
import { AddDialog } from './add_dialog.jsx';
import { RemoveDialog } from './remove_dialog.jsx';
import { MoveDialog } from './move_dialog.jsx';
import { RenameDialog } from './rename_dialog.jsx';
import { LimitsDialog } from './limits_dialog.jsx';
import { LabelsDialog } from './labels_dialog.jsx';
import { HelpDialog } from './help_dialog.jsx';
import { SettingsDialog } from '../session/settings_dialog.jsx';
import { StatsDialog } from '../session/stats_dialog.jsx';

const KINDS = {
  add: AddDialog,
  remove: RemoveDialog,
  move: MoveDialog,
  rename: RenameDialog,
  limits: LimitsDialog,
  labels: LabelsDialog,
  help: HelpDialog,
  settings: SettingsDialog,
  stats: StatsDialog,
};

export function Dialogs() {
  useStore();
  const d = ui.dialog;
  if (!d) return null;
  const Kind = KINDS[d.kind];
  if (!Kind) return null;
  // The add dialog stays mounted while drops and pastes hand it more (a new nonce); the others
  // are keyed on their subject so that reopening starts afresh.
  return <Kind key={d.kind === 'add' ? 'add' : JSON.stringify({ ...d, nonce: 0 })} {...d} onClose={closeDialog} />;
}
