/** The left pane: engines, storage domains, and the disks or the VMs of the selected engine. */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DiskTable } from '../components/disk-table.js';
import { DomainList } from '../components/domain-list.js';
import { EngineList } from '../components/engine-list.js';
import { VmTable } from '../components/vm-table.js';
import { errorReason } from '../lib/error-text.js';
import { useLocale } from '../hooks/use-locale.js';
import { filterAndSortDisks, filterVms, type DiskSort, type DiskSortKey } from '../state/selectors.js';
import { useAppState, useController } from './context.js';

/** The sidebar container. */
export function Sidebar() {
  const { t, i18n } = useTranslation();
  const c = useController();
  const locale = useLocale();
  const engines = useAppState((s) => s.engines);
  const catalog = useAppState((s) => s.catalog);
  const selectedDiskIds = useAppState((s) => s.selectedDiskIds);
  const vmState = useAppState((s) => s.vms);
  const selectedVmIds = useAppState((s) => s.selectedVmIds);
  const [view, setView] = useState<'disks' | 'vms'>('disks');
  const [vmSearch, setVmSearch] = useState('');
  const vms = useMemo(() => filterVms(vmState.vms, vmSearch), [vmState.vms, vmSearch]);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<DiskSort>({ key: 'name', descending: false });
  // The last connection test's line, shown only under the engine it tested (a slow test of one
  // engine answered after another was selected showed under that one).
  const [tested, setTested] = useState<{ readonly engineId: string; readonly text: string } | null>(null);
  const testLine = tested !== null && tested.engineId === engines.selectedId ? tested.text : null;
  const disks = useMemo(() => filterAndSortDisks(catalog.disks, search, sort), [catalog.disks, search, sort]);
  const selected = engines.profiles.find((p) => p.id === engines.selectedId);

  const test = async (id: string) => {
    const asked = { engineId: id, text: t('sidebar.testing') };
    setTested(asked);
    const r = await c.testEngine(id);
    const text = r.ok ? t('sidebar.testOk', { version: r.value.engineVersion, ms: r.value.elapsedMs }) : r.error.message;
    // A later test (of this engine or another) has the line now.
    setTested((now) => (now === asked ? { engineId: id, text } : now));
  };
  const switcher = (
    <div className="view-switch" role="group" aria-label={t('backups.viewLabel')}>
      {(['disks', 'vms'] as const).map((v) => (
        <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)} data-testid={`view-${v}`}>
          {v === 'disks' ? t('backups.viewDisks') : t('backups.viewVms')}
        </button>
      ))}
    </div>
  );
  const onSort = (key: DiskSortKey) => setSort((s) => (s.key === key ? { key, descending: !s.descending } : { key, descending: key !== 'name' && key !== 'format' && key !== 'status' }));

  return (
    <nav className="sidebar" id="sidebar" aria-label={t('sidebar.label')}>
      <EngineList
        profiles={engines.profiles}
        selectedId={engines.selectedId}
        testLine={testLine}
        onSelect={(id) => {
          setTested(null);
          void c.selectEngine(id);
        }}
        onTest={(id) => void test(id)}
        onRemove={(id) => void c.removeEngine(id)}
        onAdd={() => c.openSheet({ kind: 'add-engine' })}
        onTransfers={() => void c.openEngineTransfers(null)}
      />
      {selected?.status === 'connected' && (
        <>
          {catalog.error && (
            <p className="error-text small pad" role="alert">
              {catalog.error.message}
            </p>
          )}
          <DomainList domains={catalog.domains} locale={locale} />
          {view === 'vms' && (
            <VmTable
              vms={vms}
              total={vmState.vms.length}
              search={vmSearch}
              selectedIds={selectedVmIds}
              backupFolder={vmState.backupFolder}
              error={vmState.error}
              errorText={errorReason(vmState.error, t, i18n.language)}
              locale={locale}
              loading={catalog.loading}
              onSearch={setVmSearch}
              onToggle={c.toggleVm}
              onSelectAll={c.selectVms}
              onBackUp={c.openBackup}
              onBackups={(vm) => c.openBackups(vm ?? {})}
              onRefresh={() => void c.loadCatalog(true)}
              switcher={switcher}
            />
          )}
          {view === 'disks' && (
            <DiskTable
              disks={disks}
              total={catalog.disks.length}
              search={search}
              sort={sort}
              selectedIds={selectedDiskIds}
              locale={locale}
              loading={catalog.loading}
              onSearch={setSearch}
              onSort={onSort}
              onToggle={c.toggleDisk}
              onSelectAll={c.selectDisks}
              onDownload={() => c.openDownloadPlan(selectedDiskIds)}
              onRefresh={() => void c.loadCatalog(true)}
              onBackups={() => c.openBackups()}
              switcher={switcher}
            />
          )}
        </>
      )}
      {selected && selected.status === 'connecting' && <p className="muted pad">{t('connection.connecting')}</p>}
    </nav>
  );
}
