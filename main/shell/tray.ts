import { Menu, Tray, nativeImage } from 'electron';
import { log } from '../log.js';
import { trayIconPng, type StatusLevel, type StatusSummary } from './status.js';

export interface TrayActions {
  show(): void;
  /** Null at the kiosk: leaving it needs an administrator's PIN, not a tray menu. */
  quit: (() => void) | null;
}

/** The tray icon: its colour and tooltip summarise cameras and open alerts. */
export class StatusTray {
  private tray: Tray | null = null;
  private level: StatusLevel | null = null;
  private text = '';

  constructor(private readonly actions: TrayActions) {
    try {
      this.tray = new Tray(this.icon('idle'));
      this.level = 'idle';
      this.tray.on('click', () => this.actions.show());
    } catch (e) {
      // Some Linux desktops have no tray; the window and notifications still work.
      log('warn', 'tray_unavailable', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  get available(): boolean {
    return this.tray !== null;
  }

  private icon(level: StatusLevel) {
    const image = nativeImage.createEmpty();
    image.addRepresentation({ scaleFactor: 1, buffer: trayIconPng(level, 16) });
    image.addRepresentation({ scaleFactor: 2, buffer: trayIconPng(level, 32) });
    return image;
  }

  update(s: StatusSummary): void {
    if (!this.tray || (s.level === this.level && s.text === this.text)) return;
    if (s.level !== this.level) this.tray.setImage(this.icon(s.level));
    this.level = s.level;
    this.text = s.text;
    this.tray.setToolTip(s.text);
    const items: Electron.MenuItemConstructorOptions[] = [
      { label: s.text, enabled: false },
      { type: 'separator' },
      { label: 'Open Vigil', click: () => this.actions.show() },
    ];
    const quit = this.actions.quit;
    if (quit) items.push({ label: 'Quit Vigil (stops the cameras)', click: () => quit() });
    this.tray.setContextMenu(Menu.buildFromTemplate(items));
  }

  setQuit(quit: (() => void) | null): void {
    this.actions.quit = quit;
    this.text = '';
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = null;
  }
}
