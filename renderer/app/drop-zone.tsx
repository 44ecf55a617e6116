/**
 * Drop files anywhere on the window to upload them: an overlay while something is dragged over,
 * then the paths go to the controller (planning) — or, where the host cannot see paths, the
 * typed-paths sheet opens with the files' names.
 */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DiskFerryApi } from '../lib/api.js';
import { pathsFromDrop } from '../lib/drop-paths.js';
import { useAppState, useController } from './context.js';

/** True when a drag carries files (or file URLs). */
function carriesFiles(e: DragEvent): boolean {
  const types = e.dataTransfer?.types ?? [];
  return types.includes('Files') || types.includes('text/uri-list');
}

/** The drop zone (listens on the whole document). */
export function DropZone({ pathForFile }: { readonly pathForFile: DiskFerryApi['files']['pathForFile'] }) {
  const { t } = useTranslation();
  const c = useController();
  const connected = useAppState((s) => s.engines.profiles.some((p) => p.id === s.engines.selectedId && p.status === 'connected'));
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  useEffect(() => {
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setOver(true);
    };
    const leave = () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    };
    const overHandler = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = connected ? 'copy' : 'none';
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer || !carriesFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setOver(false);
      if (!connected) {
        c.note('drop.connectFirst');
        return;
      }
      const dt = e.dataTransfer;
      const { paths, unlocated } = pathsFromDrop({ files: [...dt.files], getData: (f) => dt.getData(f) }, pathForFile);
      void c.dropped(paths, unlocated);
    };
    document.addEventListener('dragenter', enter);
    document.addEventListener('dragleave', leave);
    document.addEventListener('dragover', overHandler);
    document.addEventListener('drop', drop);
    return () => {
      document.removeEventListener('dragenter', enter);
      document.removeEventListener('dragleave', leave);
      document.removeEventListener('dragover', overHandler);
      document.removeEventListener('drop', drop);
    };
  }, [c, connected, pathForFile]);
  if (!over) return null;
  return (
    <div className="drop-overlay" aria-hidden="true">
      <div className="drop-overlay__box">{connected ? t('drop.release') : t('drop.connectFirst')}</div>
    </div>
  );
}
