import { Module, type DynamicModule, type InjectionToken, type OptionalFactoryDependency } from '@nestjs/common';
import { ApprovalService } from './approvals/approval.service.js';
import { GraphRegistry } from './graphs/graph-registry.js';
import { RunCoreEvents } from './run-core.events.js';
import { RunAdmission } from './run-admission.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
import { RunDrain } from './run-drain.js';
import { RunCompletion } from './run-completion.js';
import { RunDriver } from './run-driver.js';
import { RunExecutor } from './run-executor.js';
import { RunOrphans } from './run-orphans.js';
import { RunRegistry } from './run-registry.js';
import { RunScheduler } from './run-scheduler.js';
import { RunService } from './run.service.js';
import { RunControl } from './run-control.js';
import { RunHandles } from './run-handles.js';
import { ThreadService } from './thread.service.js';
import { ThreadCheckpoints } from './thread-checkpoints.js';

export interface RunCoreModuleAsyncOptions {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: any[]) => RunCoreOptions | Promise<RunCoreOptions>;
}

/**
 * Runs, their events and graphs. Needs the PersistenceModule and the two cluster ports
 * (RunLogs, RunSignals: in-process or Redis, provided by the composition root); knows no
 * transport.
 */
@Module({})
export class RunCoreModule {
  static forRootAsync(options: RunCoreModuleAsyncOptions): DynamicModule {
    return {
      module: RunCoreModule,
      global: true,
      providers: [
        { provide: RUN_CORE_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        GraphRegistry,
        RunAdmission,
        RunExecutor,
        RunDriver,
        RunCompletion,
        RunRegistry,
        RunOrphans,
        RunScheduler,
        RunHandles,
        RunControl,
        RunService,
        RunDrain,
        ThreadService,
        ThreadCheckpoints,
        ApprovalService,
        RunCoreEvents,
      ],
      exports: [RUN_CORE_OPTIONS, GraphRegistry, RunService, RunDrain, ThreadService, ApprovalService, RunCoreEvents],
    };
  }
}
