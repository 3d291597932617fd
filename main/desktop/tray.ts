// Electron glue for the tray icon; what it shows comes from tray-model.ts.
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type Rectangle } from 'electron';
import { join } from 'node:path';
import { assertNever } from '../core/index.ts';
import type { ConnectionView } from '../api/contract.ts';
import { trayModel, type TrayItem, type TrayState } from './tray-model.ts';

export interface TrayActions {
  open(): void;
  quit(): void;
  reconnect(connectionId: string): void;
  /** The kill switch: revoke every broker token agents hold. */
  revokeAgents(): void;
}

export interface SophonTray {
  update(connections: readonly ConnectionView[], serviceNames: ReadonlyMap<string, string>, liveAgentTokens?: number): void;
  /** Where the icon is on screen; undefined where the OS does not say (Linux AppIndicator). */
  bounds(): Rectangle | undefined;
  dispose(): void;
}

function iconFile(assetsDir: string, state: TrayState): string {
  // macOS menu bars want monochrome template images; the shape still tells the state.
  const name = process.platform === 'darwin' ? `${state}Template.png` : `${state}.png`;
  return join(assetsDir, 'tray', name);
}

export function createTray(assetsDir: string, actions: TrayActions): SophonTray {
  const tray = new Tray(nativeImage.createFromPath(iconFile(assetsDir, 'ok')));
  let shownState: TrayState = 'ok';
  tray.setToolTip('Sophon');
  // Linux AppIndicator trays never emit click: the menu's Open item is the way in there.
  tray.on('click', () => actions.open());

  const toMenuItem = (item: TrayItem): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'connection':
        return { label: item.label, click: () => actions.open() };
      case 'reconnect':
        return { label: item.label, click: () => actions.reconnect(item.id) };
      case 'more':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'open':
        return { label: item.label, click: () => actions.open() };
      case 'quit':
        return { label: item.label, click: () => actions.quit() };
      case 'revoke-agents':
        return { label: item.label, click: () => actions.revokeAgents() };
      default:
        return assertNever(item, 'tray item');
    }
  };

  const update = (connections: readonly ConnectionView[], serviceNames: ReadonlyMap<string, string>, liveAgentTokens = 0) => {
    const model = trayModel(connections, { serviceNames, liveAgentTokens });
    if (model.state !== shownState) {
      tray.setImage(nativeImage.createFromPath(iconFile(assetsDir, model.state)));
      shownState = model.state;
    }
    tray.setToolTip(model.tooltip);
    // Linux needs setContextMenu again after every change.
    tray.setContextMenu(Menu.buildFromTemplate(model.items.map(toMenuItem)));
  };
  update([], new Map());
  const bounds = () => {
    const b = tray.getBounds();
    return b.width > 0 && b.height > 0 ? b : undefined;
  };
  return { update, bounds, dispose: () => tray.destroy() };
}
