import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AuthGuard, AuthModule } from '@riser/auth';
import { BusModule } from '@riser/bus';
import { PersistenceModule } from '@riser/persistence';
import { RunCoreModule } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from './config/riser-config.js';
import { ChatController } from './http/chat/chat.controller.js';
import { ThreadsController } from './http/chat/threads.controller.js';
import { ApprovalsController } from './http/chat/approvals.controller.js';
import { ConsoleController } from './http/console/console.controller.js';
import { HttpExceptionFilter } from './http/errors/http-exception.filter.js';
import { HealthController } from './http/health/health.controller.js';
import { SseFraming } from './http/sse/sse-framing.js';
import { Shutdown } from './lifecycle/shutdown.js';
import { RateLimiter } from './rate-limit/rate-limiter.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { ChatGateway } from './ws/chat.gateway.js';
import { ChatWsAuth } from './ws/plain/chat-ws.auth.js';
import { ChatWsCommands } from './ws/plain/chat-ws.commands.js';
import { ChatWsController } from './ws/plain/chat-ws.controller.js';
import { ChatWsServer } from './ws/plain/chat-ws.server.js';
import { AssistantsController } from './http/platform/assistants.controller.js';
import { MetaController } from './http/platform/meta.controller.js';
import { NotImplementedController } from './http/platform/not-implemented.controller.js';
import { PlatformRuns } from './http/platform/platform-runs.js';
import { PlatformAssistants } from './http/platform/platform-assistants.js';
import { PlatformCrons } from './http/platform/platform-crons.js';
import { CronsController } from './http/platform/crons.controller.js';
import { StoreController } from './http/platform/store.controller.js';
import { PlatformRunsController } from './http/platform/platform-runs.controller.js';
import { PlatformThreadsController } from './http/platform/platform-threads.controller.js';
import { DocsController } from './http/openapi/docs.controller.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { RiserMetrics } from './metrics/riser-metrics.js';
import { RunMetrics } from './metrics/run-metrics.js';
import { StateMetrics } from './metrics/state-metrics.js';
import { SocketTelemetry } from './ws/socket-telemetry.js';
import { RunLogScope } from './logging/request-scope.js';
import { RunTracing } from './tracing/run-tracing.js';

/** The composition root: libraries configured from the one typed config, and transports. */
@Module({})
export class AppModule {
  static forRoot(config: RiserConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        PersistenceModule.forRootAsync({ useFactory: () => config.persistence }),
        AuthModule.forRootAsync({ useFactory: () => config.auth }),
        RunCoreModule.forRootAsync({ useFactory: () => config.runCore }),
        BusModule.forRoot(config.redis),
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
      ],
      controllers: [
        ChatController,
        ThreadsController,
        ApprovalsController,
        ConsoleController,
        ChatWsController,
        HealthController,
        DocsController,
        MetaController,
        AssistantsController,
        NotImplementedController,
        PlatformThreadsController,
        PlatformRunsController,
        CronsController,
        StoreController,
      ],
      providers: [
        { provide: RISER_CONFIG, useValue: config },
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        SseFraming,
        ChatGateway,
        ChatWsAuth,
        ChatWsCommands,
        ChatWsServer,
        Shutdown,
        PlatformRuns,
        PlatformAssistants,
        PlatformCrons,
        SocketTelemetry,
        RunLogScope,
        RunTracing,
        { provide: RiserMetrics, useFactory: () => new RiserMetrics(config.metrics.port !== 0) },
        ...(config.metrics.port !== 0 ? [RunMetrics, StateMetrics, MetricsServer] : []),
        RateLimiter,
        RateLimitGuard,
      ],
      exports: [RISER_CONFIG],
    };
  }
}
