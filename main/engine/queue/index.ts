/**
 * The transfer queue's public surface, for hosts (the app core, the CLI, tests). See docs/queue.md.
 * Build one with `TransferQueue.open(ports, settings)`, listen with `on`, then `start()`.
 */
export { TransferQueue } from './transfer-queue.js';
export { DEFAULT_QUEUE_SETTINGS, checkSettings, type QueueEvent, type QueueListener, type QueuePorts, type QueueSettings } from './queue-types.js';
export { NewJobSchema, QueueJobSchema, type DownloadTarget, type DownloadTargetInput, type JobProgress, type JobResult, type NewJob, type QueueJob, type UploadTarget } from './job.js';
export { uploadTarget, type PlannedUpload } from '../plan/upload-target.js';
export { createEngineRunner, type EngineRunnerOptions } from './engine-runner.js';
export type { JobRunner, RunContext } from './runner.js';
export { JsonFileQueueStore, MemoryQueueStore, parseQueueDocument, type QueueDocument, type QueueStore } from './store.js';
export { noNotifications, noPower, type NotificationPort, type PowerPort, type QueueNotification } from './ports.js';
export { buildReport, reportCsv, RunReportSchema, type ReportRow, type ReportSink, type RunReport } from './report.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
export { DEFAULT_LIMITS, type ConcurrencyLimits } from './limits.js';
export { describeWindow, isWindowOpen, localCalendar, nextWindowChange, parseWindow, type Calendar, type ScheduleWindow } from './schedule.js';
export { isActive, isHoldable, isPending, isTerminal, nextState, type JobEvent } from './states.js';
export { canRetarget, retargetedJob, type Retarget } from './retarget.js';
